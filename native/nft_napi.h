// The firewall's N-API surface (src/netlink/firewall.ts): a NETLINK_NETFILTER socket as a handle with methods, as
// the route socket is (addon.cc), registered beside the route socket's open().
#pragma once

#include <napi.h>

// The FirewallHandle class (listMasquerade, setMasquerade, removeMasquerade, listLockdown, setLockdown,
// removeLockdown, close), made once per environment (napi_classes.h).
Napi::Function DefineFirewall(Napi::Env env);

// Adds openFirewall(netns, timeoutMs) -> FirewallHandle, and lockdownDescribe(rules) (no socket: the rules as nft
// lists them).
void RegisterFirewall(Napi::Env env, Napi::Object exports);
