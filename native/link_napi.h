// Links between C++ and JS (NativeLink in src/netlink/native.ts): { index, name, flags, mtu, operstate }.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "link_codec.h"
#include "netlink_socket.h"

Napi::Array LinksToJs(Napi::Env env, const std::vector<Link>& links);

// The RouteSocket handle's link calls, all synchronous: listLinks(): links; linkIndexes(names: string[]): number[],
// 0 where there is no such link; getLinks(names: string[]): (link | null)[]; setLink(index, up: -1 unchanged | 0 |
// 1, mtu: 0 unchanged): undefined.
Napi::Value ListLinksJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
Napi::Value LinkIndexesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
Napi::Value GetLinksJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
Napi::Value SetLinkJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
