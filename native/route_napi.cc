#include "route_napi.h"

#include <cstring>
#include <utility>
#include <vector>

namespace {

template <typename T>
Napi::ArrayBuffer MoveToArrayBuffer(Napi::Env env, std::vector<T>&& data) {
  const size_t bytes = data.size() * sizeof(T);
  if (bytes <= 16384) {  // small: a copy is cheaper than an external buffer and its finalizer
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) memcpy(copy.Data(), data.data(), bytes);
    return copy;
  }
  auto* owned = new std::vector<T>(std::move(data));
  return Napi::ArrayBuffer::New(
      env, owned->data(), owned->size() * sizeof(T), [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owned);
}

Napi::String Latin1(Napi::Env env, const std::string& text) {
  napi_value value;
  napi_status status = napi_create_string_latin1(env, text.data(), text.size(), &value);
  NAPI_THROW_IF_FAILED(env, status, Napi::String());
  return Napi::String(env, value);
}

}  // namespace

Napi::Object RouteBatchToJs(Napi::Env env, RouteBatch&& batch) {
  Napi::Object out = Napi::Object::New(env);
  const size_t count = batch.words.size();
  out.Set("words", Napi::Uint32Array::New(env, count, MoveToArrayBuffer(env, std::move(batch.words)), 0));
  out.Set("text", Latin1(env, batch.text));
  Napi::Array list = Napi::Array::New(env, batch.strings.size());
  for (size_t i = 0; i < batch.strings.size(); i++) list.Set(i, Napi::String::New(env, batch.strings[i]));
  out.Set("strings", list);
  out.Set("extras", Latin1(env, batch.extras));
  out.Set("done", Napi::Boolean::New(env, batch.done));
  return out;
}
