// Route dumps for JS (NativeDump in src/netlink/native.ts): read in batches by a thread of their own
// (reader_thread.h), next(maxRoutes) -> Promise<batch | null>, close() -> Promise<void>.
#pragma once

#include <napi.h>

#include <memory>

#include "netlink_socket.h"

// The RouteDump class, made once per environment (napi_classes.h).
Napi::Function DefineRouteDump(Napi::Env env);

// dumpRoutes(families: number[], table, protocol, oif, ownSocket: boolean) on `socket`: a RouteDump. With
// ownSocket the dump runs on a new socket in the same namespace, so that `socket` stays free.
Napi::Value DumpRoutesJs(const Napi::CallbackInfo& info, std::shared_ptr<NetlinkSocket> socket);
