// A batch of changes (routes, rules) as the handle makes it: on the calling thread, or on the libuv pool with a
// promise of its results, so that the event loop runs on while the kernel works through a large one (addon.cc
// says which calls run where); either way every change has its own result, as JS sees them.
#pragma once

#include <napi.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "napi_errors.h"
#include "nl_error.h"

// Each failed change: its index in the batch and its error.
using ChangeFailures = std::vector<std::pair<size_t, NlError>>;

// Failures as JS wants them: { errors: Int32Array (an errno per change, 0 for success), messages: the kernel's
// text by change, where it gave one }.
inline Napi::Object ChangeResultsToJs(Napi::Env env, size_t count, const ChangeFailures& failures) {
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

// The batch on the pool: apply runs there, its results settle the promise back on the JS thread.
template <typename Apply>
class ChangeBatchWorker : public Napi::AsyncWorker {
 public:
  ChangeBatchWorker(Napi::Env env, size_t count, Apply apply)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), count_(count), apply_(std::move(apply)) {}

  Napi::Promise Start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  void Execute() override { failure_ = apply_(&failures_); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failure_.err) {
      deferred_.Reject(ToJsError(env, failure_).Value());
      return;
    }
    try {
      deferred_.Resolve(ChangeResultsToJs(env, count_, failures_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  size_t count_;
  Apply apply_;
  NlError failure_;
  ChangeFailures failures_;
};

// Applies a batch of `count` changes: apply(&failures) makes them (an *_operations.h call: each change's own
// failure appended, only a transport failure returned, and thrown as a JS error). On the pool it runs after this
// call has returned, so it must own what it reads: a promise of the results; else the results.
template <typename Apply>
Napi::Value ApplyChangeBatch(Napi::Env env, size_t count, bool on_pool, Apply apply) {
  if (on_pool) return (new ChangeBatchWorker<Apply>(env, count, std::move(apply)))->Start();
  ChangeFailures failures;
  ThrowIf(env, apply(&failures));
  return ChangeResultsToJs(env, count, failures);
}
