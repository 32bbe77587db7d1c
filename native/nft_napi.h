// The firewall's N-API surface (src/netlink/firewall.ts): a NETLINK_NETFILTER socket as an external handle and
// the calls on it, registered beside the route socket's open().
#pragma once

#include <napi.h>

// Adds openFirewall(netns, timeoutMs) -> handle, and firewallList / firewallSet / firewallRemove / firewallClose.
void RegisterFirewall(Napi::Env env, Napi::Object exports);
