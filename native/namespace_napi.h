// The RouteSocket handle's calls about its network namespace rather than a kernel object in it: the namespace's
// cookie and its sysctls (sysctl.h).
#pragma once

#include <napi.h>

#include <memory>

#include "netlink_socket.h"

// netnsCookie(): the namespace's cookie in decimal, or undefined on a kernel without SO_NETNS_COOKIE
Napi::Value NetnsCookieJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// getSysctl(name): the value under /proc/sys/NAME in the socket's namespace (synchronous)
Napi::Value GetSysctlJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// setSysctl(name, value): undefined (synchronous)
Napi::Value SetSysctlJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
