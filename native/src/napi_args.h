// What a binding sees of its JS call: typed arguments with bounds checks (a wrong call throws a JS error
// instead of corrupting memory), and the registry through which each kernel file exports its bindings.
// A kernel family adds a .cc file under native/src with JL_EXPORT lines; nothing else needs editing.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace jl {

struct Args {
  static constexpr size_t kMax = 20;
  napi_env env;
  napi_value argv[kMax];
  size_t argc = kMax;
  const char* op;

  Args(napi_env e, napi_callback_info info, const char* name) : env(e), op(name) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  }

  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(std::string(op) + ": " + what); }

  napi_value at(size_t i) const {
    if (i >= argc) fail("missing argument " + std::to_string(i));
    return argv[i];
  }

  template <class T>
  T* array(size_t i, napi_typedarray_type want, size_t* length, bool nullable) const {
    napi_valuetype kind;
    napi_typeof(env, at(i), &kind);
    if (nullable && (kind == napi_null || kind == napi_undefined)) {
      *length = 0;
      return nullptr;
    }
    bool is_typed = false;
    napi_is_typedarray(env, argv[i], &is_typed);
    napi_typedarray_type type;
    void* data = nullptr;
    if (is_typed) napi_get_typedarray_info(env, argv[i], &type, length, &data, nullptr, nullptr);
    if (!is_typed || type != want) {
      fail("argument " + std::to_string(i) + (want == napi_float32_array ? " must be a Float32Array" : " must be an Int32Array"));
    }
    return static_cast<T*>(data);
  }

  float* f32(size_t i, size_t need) const {
    size_t n;
    float* p = array<float>(i, napi_float32_array, &n, false);
    check(i, n, need);
    return p;
  }
  float* f32_or_null(size_t i, size_t need) const {
    size_t n;
    float* p = array<float>(i, napi_float32_array, &n, true);
    if (p) check(i, n, need);
    return p;
  }
  int32_t* i32(size_t i, size_t need, size_t* length = nullptr) const {
    size_t n;
    int32_t* p = array<int32_t>(i, napi_int32_array, &n, false);
    check(i, n, need);
    if (length) *length = n;
    return p;
  }
  void check(size_t i, size_t have, size_t need) const {
    if (have < need) fail("argument " + std::to_string(i) + " has " + std::to_string(have) + " elements, needs " + std::to_string(need));
  }

  double num(size_t i) const {
    double v;
    if (napi_get_value_double(env, at(i), &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }
  long integer(size_t i) const {
    const double v = num(i);
    if (v < 0 || v != static_cast<double>(static_cast<long>(v))) fail("argument " + std::to_string(i) + " must be a non-negative integer");
    return static_cast<long>(v);
  }
  bool flag(size_t i) const {
    bool v;
    if (napi_get_value_bool(env, at(i), &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a boolean");
    return v;
  }
};

using Binding = void (*)(const Args&);

struct Export {
  const char* name;
  Binding fn;
};

// Every binding registered by JL_EXPORT, in no particular order.
std::vector<Export>& exports();

struct Register {
  Register(const char* name, Binding fn) { exports().push_back({name, fn}); }
};

}  // namespace jl

// Registers `fn` (void fn(const jl::Args&)) as the addon function `js_name`.
#define JL_EXPORT(js_name, fn) static const jl::Register jl_export_##fn(js_name, fn)
