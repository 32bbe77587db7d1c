#include "route_napi.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "change_batch_napi.h"
#include "napi_errors.h"
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

// The rare fields of the records that have them, in order. Throws a TypeError on a malformed object
// (src/netlink/route-spec.ts validates before it gets here).
std::vector<RouteChangeRareFields> RareFieldsFromJs(Napi::Env env, Napi::Array list) {
  std::vector<RouteChangeRareFields> out;
  out.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) out.push_back(OneFromJs(env, list.Get(i).As<Napi::Object>()));
  return out;
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

Napi::Value GetRouteJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  Napi::Uint8Array addr = info[1].As<Napi::Uint8Array>();
  int family = info[0].As<Napi::Number>().Int32Value();
  if (addr.ByteLength() != (family == AF_INET6 ? 16u : 4u))
    throw Napi::TypeError::New(env, "address length does not match the family");
  RouteQuery query{family, addr.Data(), info[2].As<Napi::Number>().Uint32Value(), {}};
  if (info.Length() > 5) {
    query.transport.ip_proto = static_cast<uint8_t>(info[4].As<Napi::Number>().Uint32Value());
    query.transport.dport = static_cast<uint16_t>(info[5].As<Napi::Number>().Uint32Value());
  }
  RouteBatch batch;
  ThrowIf(env, GetRoute(socket.get(), query, info[3].ToBoolean().Value(), &batch));
  return RouteBatchToJs(env, std::move(batch));
}

Napi::Value GetRoutesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  Napi::Array families = info[0].As<Napi::Array>();
  Napi::Uint8Array addrs = info[1].As<Napi::Uint8Array>();
  Napi::Array oifs = info[2].As<Napi::Array>();
  const bool fib_match = info[3].ToBoolean().Value();
  const uint32_t n = families.Length();
  if (addrs.ByteLength() != n * 16u || oifs.Length() != n)
    throw Napi::TypeError::New(env, "lookups have the wrong size");
  std::vector<RouteQuery> queries(n);
  for (uint32_t i = 0; i < n; i++) {
    queries[i] = RouteQuery{families.Get(i).As<Napi::Number>().Int32Value(),
                            addrs.Data() + i * 16,
                            oifs.Get(i).As<Napi::Number>().Uint32Value(),
                            {}};
  }
  std::vector<Link> known;
  if (info.Length() > 5) {  // links the caller already knows by name: no request to name them again
    Napi::Array indexes = info[4].As<Napi::Array>();
    Napi::Array names = info[5].As<Napi::Array>();
    known.resize(indexes.Length());
    for (uint32_t i = 0; i < indexes.Length(); i++) {
      known[i].index = indexes.Get(i).As<Napi::Number>().Uint32Value();
      known[i].name = names.Get(i).As<Napi::String>().Utf8Value();
    }
  }
  RouteBatch batch;
  std::vector<int32_t> owners, errors;
  ThrowIf(env, GetRoutes(socket.get(), queries, fib_match, known, &batch, &owners, &errors));
  Napi::Object out = RouteBatchToJs(env, std::move(batch));
  Napi::Int32Array owner_array = Napi::Int32Array::New(env, owners.size());
  for (size_t i = 0; i < owners.size(); i++) owner_array[i] = owners[i];
  Napi::Int32Array error_array = Napi::Int32Array::New(env, n);
  for (uint32_t i = 0; i < n; i++) error_array[i] = errors[i];
  out.Set("owners", owner_array);
  out.Set("errors", error_array);
  return out;
}

Napi::Value ChangeRoutesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  Napi::Uint8Array records = info[0].As<Napi::Uint8Array>();
  std::vector<RouteChangeRareFields> rare = RareFieldsFromJs(env, info[1].As<Napi::Array>());
  if (records.ByteLength() % record::kSize) throw Napi::TypeError::New(env, "change records have the wrong size");
  const size_t count = records.ByteLength() / record::kSize;
  // A copy of the records, which the pool reads after the JS buffer may be gone (on the calling thread: a small
  // batch, a copy of a few KiB).
  std::vector<uint8_t> own(records.Data(), records.Data() + records.ByteLength());
  return ApplyChangeBatch(env, count, info[2].ToBoolean().Value(),
                          [socket, own = std::move(own), rare = std::move(rare)](ChangeFailures* failures) {
                            return ApplyChanges(socket.get(), own.data(), own.size() / record::kSize, rare, failures);
                          });
}

Napi::Value RouteMetricsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, RTAX_MAX + 1);
  for (unsigned type = 0; type <= RTAX_MAX; type++) {
    const char* name = MetricName(type);
    if (!name) {
      out.Set(type, env.Null());
      continue;
    }
    Napi::Object metric = Napi::Object::New(env);
    metric.Set("name", name);
    metric.Set("scale", MetricScale(type));
    out.Set(type, metric);
  }
  return out;
}
