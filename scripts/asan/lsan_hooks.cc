// A tiny Node-API module for `npm run test:asan`: lets scripts/asan/preload.cjs run LeakSanitizer's check in
// a node process at its exit (the sanitizer's own at-exit check is off: it cannot work in a process that
// strace traces, and the suite runs some under strace). Built by CMakeLists.txt with RG_SANITIZE.
#include <node_api.h>

extern "C" int __lsan_do_recoverable_leak_check();

namespace {

// leakCheck(): true when LeakSanitizer reported leaks (to the sanitizers' log_path).
napi_value LeakCheck(napi_env env, napi_callback_info) {
  napi_value result;
  napi_get_boolean(env, __lsan_do_recoverable_leak_check() != 0, &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "leakCheck", NAPI_AUTO_LENGTH, LeakCheck, nullptr, &fn) == napi_ok)
    napi_set_named_property(env, exports, "leakCheck", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
