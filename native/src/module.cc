// The addon's entry point: every binding registered with JL_EXPORT (napi_args.h) becomes a function of
// the module, called through one trampoline that turns C++ exceptions into JS errors.
#include <node_api.h>

#include <exception>
#include <string>
#include <vector>

#include "napi_args.h"
#include "parallel.h"

namespace jl {

std::vector<Export>& exports() {
  static std::vector<Export> all;
  return all;
}

}  // namespace jl

namespace {

napi_value call(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, nullptr, nullptr, &data);
  const auto* e = static_cast<const jl::Export*>(data);
  try {
    e->fn(jl::Args(env, info, e->name));
  } catch (const std::exception& ex) {
    // Refusals from the bindings name the kernel already; anything else (std::bad_alloc) gets its name.
    const std::string prefix = std::string(e->name) + ": ";
    std::string message = ex.what();
    if (message.rfind(prefix, 0) != 0) message = prefix + message;
    napi_throw_error(env, nullptr, message.c_str());
  }
  return nullptr;
}

napi_value get_num_threads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, jl::num_threads(), &out);
  return out;
}

napi_value init(napi_env env, napi_value exports) {
  std::vector<napi_property_descriptor> props;
  for (const jl::Export& e : jl::exports()) {
    props.push_back({e.name, nullptr, call, nullptr, nullptr, nullptr, napi_default,
                     const_cast<jl::Export*>(&e)});
  }
  props.push_back({"getNumThreads", nullptr, get_num_threads, nullptr, nullptr, nullptr, napi_default, nullptr});
  napi_define_properties(env, exports, props.size(), props.data());
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
