#include "route_napi.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "napi_fields.h"

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

uint8_t FamilyOfLength(size_t len) { return len == 16 ? AF_INET6 : AF_INET; }

RouteChangeNexthop NexthopFromJs(Napi::Env env, Napi::Object object) {
  RouteChangeNexthop hop;
  if (Has(object, "gateway")) {
    hop.gateway_family = FamilyOfLength(object.Get("gateway").As<Napi::Uint8Array>().ByteLength());
    CopyAddress(env, object, "gateway", hop.gateway_family, hop.gateway, "gateway");
  } else if (Has(object, "via")) {
    Napi::Object via = object.Get("via").As<Napi::Object>();
    hop.gateway_family = static_cast<uint8_t>(U32(via, "family"));
    CopyAddress(env, via, "host", hop.gateway_family, hop.gateway, "via");
  }
  if (Has(object, "dev")) hop.oif = U32(object, "dev");
  const uint32_t weight = U32(object, "weight");
  if (weight < 1 || weight > 256) throw Napi::TypeError::New(env, "invalid weight");
  hop.hops = static_cast<uint8_t>(weight - 1);
  if (Has(object, "flags")) {
    Napi::Array flags = object.Get("flags").As<Napi::Array>();
    for (uint32_t i = 0; i < flags.Length(); i++) {
      if (flags.Get(i).As<Napi::String>().Utf8Value() != "onlink") throw Napi::TypeError::New(env, "invalid flag");
      hop.flags |= RTNH_F_ONLINK;
    }
  }
  return hop;
}

void MetricsFromJs(Napi::Env env, Napi::Object object, RouteChangeRareFields* rare) {
  rare->has_metrics = true;
  Napi::Array names = object.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value value = object.Get(name);
    const unsigned type = MetricType(name);
    if (type == RTAX_CC_ALGO) {
      rare->congestion = value.As<Napi::String>().Utf8Value();
      if (rare->congestion.empty() || rare->congestion.size() > 15)
        throw Napi::TypeError::New(env, "invalid congestion");
    } else if (type) {
      rare->metrics.emplace_back(type, MetricToKernel(type, value.As<Napi::Number>().Uint32Value()));
    } else {
      throw Napi::TypeError::New(env, "unknown metric " + name);
    }
  }
}

RouteChangeRareFields OneFromJs(Napi::Env env, Napi::Object object) {
  RouteChangeRareFields rare;
  if (Has(object, "nexthops")) {
    Napi::Array hops = object.Get("nexthops").As<Napi::Array>();
    if (hops.Length() > kMaxRouteNexthops) throw Napi::TypeError::New(env, "too many next hops");
    for (uint32_t i = 0; i < hops.Length(); i++)
      rare.nexthops.push_back(NexthopFromJs(env, hops.Get(i).As<Napi::Object>()));
  }
  if (Has(object, "metrics")) MetricsFromJs(env, object.Get("metrics").As<Napi::Object>(), &rare);
  if (Has(object, "nhid")) {
    rare.has_nhid = true;
    rare.nhid = U32(object, "nhid");
  }
  return rare;
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

std::vector<RouteChangeRareFields> RareFieldsFromJs(Napi::Env env, Napi::Array list) {
  std::vector<RouteChangeRareFields> out;
  out.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) out.push_back(OneFromJs(env, list.Get(i).As<Napi::Object>()));
  return out;
}
