#include "address_napi.h"

#include <sys/socket.h>

#include <cstring>
#include <string>

#include "address_text.h"

namespace {

struct AddressField {
  const char* name;
  uint32_t bit;
};
const AddressField kAddressFields[] = {
    {"local", InterfaceAddress::kLocal},
    {"address", InterfaceAddress::kAddress},
    {"broadcast", InterfaceAddress::kBroadcast},
};

uint8_t* Bytes(InterfaceAddress* a, uint32_t bit) {
  return bit == InterfaceAddress::kLocal ? a->local : bit == InterfaceAddress::kAddress ? a->address : a->broadcast;
}

const uint8_t* Bytes(const InterfaceAddress& a, uint32_t bit) {
  return bit == InterfaceAddress::kLocal ? a.local : bit == InterfaceAddress::kAddress ? a.address : a.broadcast;
}

uint32_t U32(Napi::Object object, const char* name) { return object.Get(name).As<Napi::Number>().Uint32Value(); }

}  // namespace

Napi::Array AddressesToJs(Napi::Env env, const std::vector<InterfaceAddress>& addresses) {
  Napi::Array out = Napi::Array::New(env, addresses.size());
  for (size_t i = 0; i < addresses.size(); i++) {
    const InterfaceAddress& a = addresses[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", a.family);
    o.Set("prefixLen", a.prefix_len);
    o.Set("scope", a.scope);
    o.Set("flags", a.flags);
    o.Set("index", a.index);
    for (const AddressField& f : kAddressFields) {
      if (!(a.present & f.bit)) continue;
      std::string text;
      AppendAddress(&text, a.family, Bytes(a, f.bit));
      o.Set(f.name, text);
    }
    if (a.present & InterfaceAddress::kLabel) o.Set("label", a.label);
    if (a.present & InterfaceAddress::kCacheInfo) {
      o.Set("valid", a.valid);
      o.Set("preferred", a.preferred);
    }
    out.Set(i, o);
  }
  return out;
}

InterfaceAddress AddressFromJs(Napi::Env env, Napi::Object object) {
  InterfaceAddress a;
  a.family = static_cast<uint8_t>(U32(object, "family"));
  if (a.family != AF_INET && a.family != AF_INET6) throw Napi::TypeError::New(env, "invalid address family");
  a.prefix_len = static_cast<uint8_t>(U32(object, "prefixLen"));
  a.scope = static_cast<uint8_t>(U32(object, "scope"));
  a.flags = U32(object, "flags");
  a.index = U32(object, "index");
  for (const AddressField& f : kAddressFields) {
    if (object.Get(f.name).IsUndefined()) continue;
    Napi::Uint8Array bytes = object.Get(f.name).As<Napi::Uint8Array>();
    if (bytes.ByteLength() != (a.family == AF_INET6 ? 16u : 4u))
      throw Napi::TypeError::New(env, "address length does not match the family");
    memcpy(Bytes(&a, f.bit), bytes.Data(), bytes.ByteLength());
    a.present |= f.bit;
  }
  if (!object.Get("label").IsUndefined()) {
    a.label = object.Get("label").As<Napi::String>().Utf8Value();
    a.present |= InterfaceAddress::kLabel;
  }
  return a;
}
