#include "address_napi.h"

#include <sys/socket.h>

#include "address_operations.h"
#include "napi_errors.h"
#include "napi_fields.h"

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
      if (a.present & f.bit) o.Set(f.name, AddressText(a.family, Bytes(a, f.bit)));
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

namespace {

InterfaceAddress AddressFromJs(Napi::Env env, Napi::Object object) {
  InterfaceAddress a;
  a.family = static_cast<uint8_t>(U32(object, "family"));
  if (a.family != AF_INET && a.family != AF_INET6) throw Napi::TypeError::New(env, "invalid address family");
  a.prefix_len = static_cast<uint8_t>(U32(object, "prefixLen"));
  a.scope = static_cast<uint8_t>(U32(object, "scope"));
  a.flags = U32(object, "flags");
  a.index = U32(object, "index");
  for (const AddressField& f : kAddressFields) {
    if (!Has(object, f.name)) continue;
    CopyAddress(env, object, f.name, a.family, Bytes(&a, f.bit), "address");
    a.present |= f.bit;
  }
  if (Has(object, "label")) {
    a.label = object.Get("label").As<Napi::String>().Utf8Value();
    a.present |= InterfaceAddress::kLabel;
  }
  return a;
}

}  // namespace

Napi::Value ListAddressesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  std::vector<InterfaceAddress> addresses;
  ThrowIf(env, ReadAddresses(socket.get(), info[0].As<Napi::Number>().Int32Value(), &addresses));
  return AddressesToJs(env, addresses);
}

Napi::Value ChangeAddressJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  const InterfaceAddress address = AddressFromJs(env, info[1].As<Napi::Object>());
  ThrowIf(env, ChangeAddress(socket.get(), info[0].ToBoolean().Value(), address));
  return env.Undefined();
}
