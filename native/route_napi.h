// Routes between C++ and JS: a batch of decoded routes as one object, its words in a Uint32Array (RouteBatch in
// src/netlink/native.ts), for a dump's next(), a watch's events and the lookups alike; a change's rare fields
// (NativeRareFields), read in Route's field names and turned into the kernel's numbers; the RouteSocket
// handle's route lookups and changes; and the metrics' names.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "netlink_socket.h"
#include "operations.h"
#include "route_codec.h"

// { words: Uint32Array, text: string, strings: string[], extras: string, done: boolean }
Napi::Object RouteBatchToJs(Napi::Env env, RouteBatch&& batch);

// getRoute(family, address: Uint8Array, oif, fibMatch, [ipProto, dport]): batch (synchronous)
Napi::Value GetRouteJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// getRoutes(families: number[], addresses: Uint8Array (16 bytes each), oifs: number[], fibMatch,
// [knownIndexes: number[], knownNames: string[]]): the lookups pipelined in one send (synchronous):
// { ...batch, owners: Int32Array (the lookup each route answers), errors: Int32Array (an errno per lookup) }
Napi::Value GetRoutesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// change(records: Uint8Array, rare: NativeRareFields[], async: boolean): { errors: Int32Array (an errno per
// change), messages: the kernel's text by change }, or with async a promise of it (the batch applied on the pool)
Napi::Value ChangeRoutesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// routeMetrics(): by RTAX_* number, { name, scale } or null: iproute2's names of the metrics and what the kernel
// keeps per unit of the value ip takes (route_codec.h: the one table of them, which src/netlink/route-spec.ts reads)
Napi::Value RouteMetricsJs(const Napi::CallbackInfo& info);
