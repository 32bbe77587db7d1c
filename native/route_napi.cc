#include "route_napi.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <string>

#include "napi_fields.h"

namespace {

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

std::vector<RouteChangeRareFields> RareFieldsFromJs(Napi::Env env, Napi::Array list) {
  std::vector<RouteChangeRareFields> out;
  out.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) out.push_back(OneFromJs(env, list.Get(i).As<Napi::Object>()));
  return out;
}
