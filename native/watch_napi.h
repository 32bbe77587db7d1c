// Change events for JS (NativeWatch in src/netlink/native.ts): a socket of its own joined to the multicast groups,
// read by a thread of its own (reader_thread.h): next() -> Promise<batch | null>, narrowRoutes(...), close() ->
// Promise<void>.
#pragma once

#include <napi.h>

#include <memory>

#include "netlink_socket.h"

// The Watch class, made once per environment (napi_classes.h).
Napi::Function DefineWatch(Napi::Env env);

// watch(filter: { routes, links, addresses, rules: boolean, families: number[] }): a Watch on a new socket in
// `socket`'s namespace, joined to the groups the filter asks for, its reader thread started.
Napi::Value WatchJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
