// Addresses between C++ and JS (NativeAddress in src/netlink/native.ts): plain objects with the fields
// present, in the kernel's numbers; addresses as text going out, as bytes coming in.
#pragma once

#include <napi.h>

#include <vector>

#include "address_codec.h"

Napi::Array AddressesToJs(Napi::Env env, const std::vector<InterfaceAddress>& addresses);
// Throws a TypeError on a malformed object (src/netlink/address-spec.ts validates before it gets here).
InterfaceAddress AddressFromJs(Napi::Env env, Napi::Object object);
