#include "namespace_napi.h"

#include <cstdint>
#include <string>

#include "napi_errors.h"
#include "sysctl.h"

Napi::Value NetnsCookieJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  uint64_t cookie = 0;
  bool known = false;
  ThrowIf(info.Env(), socket->NetnsCookie(&cookie, &known));
  return known ? Napi::String::New(info.Env(), std::to_string(cookie)) : info.Env().Undefined();
}

Napi::Value GetSysctlJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  std::string value;
  ThrowIf(info.Env(), ReadSysctl(socket->namespace_fd(), info[0].As<Napi::String>().Utf8Value(), &value));
  return Napi::String::New(info.Env(), value);
}

Napi::Value SetSysctlJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  ThrowIf(info.Env(), WriteSysctl(socket->namespace_fd(), info[0].As<Napi::String>().Utf8Value(),
                                  info[1].As<Napi::String>().Utf8Value()));
  return info.Env().Undefined();
}
