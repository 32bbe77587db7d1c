// An NlError as JS sees it: an Error with the errno and the kernel's extended-ack text; and the per-change
// results of a pipelined batch (route or rule changes) as JS sees them.
#pragma once

#include <napi.h>

#include <cstddef>
#include <utility>
#include <vector>

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

// Failures as JS wants them: { errors: Int32Array (an errno per change, 0 for success), messages: the kernel's
// text by change, where it gave one }.
inline Napi::Object ChangeResultsToJs(Napi::Env env, size_t count,
                                      const std::vector<std::pair<size_t, NlError>>& failures) {
  Napi::Int32Array errors = Napi::Int32Array::New(env, count);
  Napi::Array messages = Napi::Array::New(env);
  for (const auto& f : failures) {
    errors[f.first] = f.second.err;
    if (!f.second.message.empty()) messages.Set(static_cast<uint32_t>(f.first), f.second.message);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("errors", errors);
  out.Set("messages", messages);
  return out;
}
