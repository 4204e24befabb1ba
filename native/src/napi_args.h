// What a binding sees of its JS call, and the checks the generated bindings (generated/bindings.cc, written
// from src/backend/kernels.ts) run before any kernel: every argument of the right type, integers in range,
// length expressions computed without overflow, buffers long enough, outputs overlapping nothing else.
// A refused call throws a JS error naming the op and the argument; no kernel sees a bad pointer.
#pragma once

#include <node_api.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace jl {

// A length being checked: int64 arithmetic that refuses to overflow (or to divide by zero) instead of
// wrapping, so `rows * cols` with rows = 2^16 and cols = 2^48 is an error, not 0.
struct N {
  int64_t v;
  N(int64_t x) : v(x) {}  // NOLINT: implicit, so that expressions read as written
};
struct Overflow : std::runtime_error {
  using std::runtime_error::runtime_error;
};
inline N operator+(N a, N b) {
  int64_t r;
  if (__builtin_add_overflow(a.v, b.v, &r)) throw Overflow("overflows");
  return r;
}
inline N operator-(N a, N b) {
  int64_t r;
  if (__builtin_sub_overflow(a.v, b.v, &r)) throw Overflow("overflows");
  return r;
}
inline N operator*(N a, N b) {
  int64_t r;
  if (__builtin_mul_overflow(a.v, b.v, &r)) throw Overflow("overflows");
  return r;
}
inline N operator/(N a, N b) {
  if (b.v == 0) throw Overflow("divides by zero");
  return a.v / b.v;
}
inline N operator%(N a, N b) {
  if (b.v == 0) throw Overflow("divides by zero");
  return a.v % b.v;
}
inline bool operator<(N a, N b) { return a.v < b.v; }
inline bool operator<=(N a, N b) { return a.v <= b.v; }
inline bool operator>(N a, N b) { return a.v > b.v; }
inline bool operator>=(N a, N b) { return a.v >= b.v; }
inline bool operator==(N a, N b) { return a.v == b.v; }
inline bool operator!=(N a, N b) { return a.v != b.v; }

// A typed array argument: its data and element count. A null argument is not `given`; an empty array is,
// though its data pointer may be null too.
template <class T>
struct Buf {
  T* p = nullptr;
  size_t len = 0;
  const char* name = "";
  bool given = false;
};

inline bool present(const Buf<const float>& b) { return b.given; }
inline bool present(const Buf<float>& b) { return b.given; }

// Elements a batch of row-major matrices reaches.
inline N matrix(N batch, N stride, N rows, N cols, N ld) {
  if (batch.v == 0 || rows.v == 0 || cols.v == 0) return 0;
  return (batch - 1) * stride + (rows - 1) * ld + cols;
}

// dims = [rank, ...shape, ...strides of each of `operands`]: checks the layout and returns the rank.
inline int dims_rank(const Buf<const int32_t>& dims, int operands) {
  if (dims.len < 1) throw std::invalid_argument("dims is empty");
  const int32_t rank = dims.p[0];
  if (rank < 0 || rank > 64) throw std::invalid_argument("rank " + std::to_string(rank) + " out of range");
  if (dims.len < static_cast<size_t>(1 + (1 + operands) * rank)) {
    throw std::invalid_argument("dims has " + std::to_string(dims.len) + " entries, rank " + std::to_string(rank) +
                                " needs " + std::to_string(1 + (1 + operands) * rank));
  }
  for (int d = 0; d < rank; d++) {
    if (dims.p[1 + d] < 0) throw std::invalid_argument("negative size in dims");
  }
  return rank;
}

// Elements of the contiguous output of a dims walk.
inline N count(const Buf<const int32_t>& dims, int operands) {
  const int rank = dims_rank(dims, operands);
  N n = 1;
  for (int d = 0; d < rank; d++) n = n * dims.p[1 + d];
  return n;
}

// Elements operand `which` must have for a dims walk from `offset`: 1 + its largest offset. Strides may
// be negative; the smallest offset reached must not be below 0.
inline N strided(const Buf<const int32_t>& dims, int operands, int which, N offset) {
  const int rank = dims_rank(dims, operands);
  const int32_t* shape = dims.p + 1;
  const int32_t* strides = shape + rank * (1 + which);
  N lo = offset, hi = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return 0;
    const N reach = N(shape[d] - 1) * strides[d];
    if (reach.v < 0) lo = lo + reach;
    else hi = hi + reach;
  }
  if (lo.v < 0) throw std::invalid_argument("its strides reach offset " + std::to_string(lo.v) + ", before the start");
  return hi + 1;
}

struct Args {
  static constexpr size_t kMax = 24;
  napi_env env;
  napi_value argv[kMax];
  size_t argc = kMax;
  const char* op;

  Args(napi_env e, napi_callback_info info, const char* name) : env(e), op(name) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);  // argc becomes the count passed
  }

  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(std::string(op) + ": " + what); }
  [[noreturn]] void fail(size_t i, const char* name, const std::string& what) const {
    fail("argument " + std::to_string(i) + " (" + name + ") " + what);
  }

  void expect(size_t n) const {
    if (argc != n) fail("takes " + std::to_string(n) + " arguments, got " + std::to_string(argc));
  }

  double number(size_t i, const char* name) const {
    double v;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) fail(i, name, "must be a number");
    return v;
  }
  float f(size_t i, const char* name) const { return static_cast<float>(number(i, name)); }

  // An integer in [min, max] (max at most 2^53, where doubles stop holding every integer).
  int64_t integer(size_t i, const char* name, int64_t min, int64_t max) const {
    const double v = number(i, name);
    if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || v != std::floor(v)) {
      char got[32];
      std::snprintf(got, sizeof got, "%.17g", v);
      fail(i, name, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + got);
    }
    return static_cast<int64_t>(v);
  }

  bool flag(size_t i, const char* name) const {
    bool v;
    if (napi_get_value_bool(env, argv[i], &v) != napi_ok) fail(i, name, "must be a boolean");
    return v;
  }

  template <class T>
  Buf<T> array(size_t i, const char* name, napi_typedarray_type want, bool nullable) const {
    napi_valuetype kind;
    napi_typeof(env, argv[i], &kind);
    if (nullable && (kind == napi_null || kind == napi_undefined)) return {nullptr, 0, name, false};
    bool is_typed = false;
    napi_is_typedarray(env, argv[i], &is_typed);
    napi_typedarray_type type;
    void* data = nullptr;
    size_t length = 0;
    if (is_typed) napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr);
    if (!is_typed || type != want) {
      fail(i, name, std::string(want == napi_float32_array ? "must be a Float32Array" : "must be an Int32Array") +
                        (nullable ? " or null" : ""));
    }
    return {static_cast<T*>(data), length, name, true};
  }

  // Refuses a buffer shorter than `need` elements (a null one needs nothing).
  template <class T>
  void need(const Buf<T>& b, N need) const {
    if (b.given && need.v > 0 && b.len < static_cast<uint64_t>(need.v)) {
      fail(std::string(b.name) + " has " + std::to_string(b.len) + " elements, needs " + std::to_string(need.v));
    }
  }

  // Refuses an output that shares memory with another buffer argument (unless it may be that very array).
  template <class T, class U>
  void disjoint(const Buf<T>& out, const Buf<U>& other, bool same_ok = false) const {
    if (!out.p || !other.p || out.len == 0 || other.len == 0) return;
    if (same_ok && static_cast<const void*>(out.p) == static_cast<const void*>(other.p) && out.len == other.len) return;
    const auto a = reinterpret_cast<uintptr_t>(out.p), b = reinterpret_cast<uintptr_t>(other.p);
    if (a < b + other.len * sizeof(U) && b < a + out.len * sizeof(T)) {
      fail(std::string(out.name) + " overlaps " + other.name + " in memory");
    }
  }

  // Every element in [0, below) or equal to `except`.
  void values(const Buf<const int32_t>& b, size_t n, int64_t below, int64_t except) const {
    for (size_t r = 0; r < n; r++) {
      const int32_t t = b.p[r];
      if (t != except && (t < 0 || t >= below)) {
        fail(std::string(b.name) + "[" + std::to_string(r) + "] = " + std::to_string(t) + " is out of range [0, " +
             std::to_string(below) + ")");
      }
    }
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
