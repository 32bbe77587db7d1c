// Addresses between C++ and JS (NativeAddress in src/netlink/native.ts): plain objects with the fields
// present, in the kernel's numbers; addresses as text going out, as bytes coming in; and the RouteSocket
// handle's address calls.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "address_codec.h"
#include "netlink_socket.h"

Napi::Array AddressesToJs(Napi::Env env, const std::vector<InterfaceAddress>& addresses);

// listAddresses(family: number): addresses (synchronous: addresses are few)
Napi::Value ListAddressesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// changeAddress(add: boolean, address): undefined (synchronous). Throws a TypeError on a malformed address
// (src/netlink/address-spec.ts validates before it gets here).
Napi::Value ChangeAddressJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
