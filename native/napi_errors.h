// An NlError as JS sees it: an Error with the errno and the kernel's extended-ack text.
#pragma once

#include <napi.h>

#include "nl_error.h"

inline Napi::Error ToJsError(Napi::Env env, const NlError& e) {
  Napi::Error error = Napi::Error::New(env, e.message.empty() ? "netlink error" : e.message);
  error.Set("errno", Napi::Number::New(env, e.err));
  error.Set("extack", Napi::String::New(env, e.message));
  return error;
}

inline void ThrowIf(Napi::Env env, const NlError& e) {
  if (e.err) throw ToJsError(env, e);
}
