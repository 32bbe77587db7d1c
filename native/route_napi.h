// Routes between C++ and JS: a batch of decoded routes as one object, its words in a Uint32Array (RouteBatch in
// src/netlink/native.ts), for a dump's next(), a watch's events and the lookups alike; and a change's rare fields
// (NativeRareFields), read in Route's field names and turned into the kernel's numbers.
#pragma once

#include <napi.h>

#include <vector>

#include "operations.h"
#include "route_codec.h"

// { words: Uint32Array, text: string, strings: string[], extras: string, done: boolean }
Napi::Object RouteBatchToJs(Napi::Env env, RouteBatch&& batch);

// The rare fields of the records that have them, in order. Throws a TypeError on a malformed object
// (src/netlink/route-spec.ts validates before it gets here).
std::vector<RouteChangeRareFields> RareFieldsFromJs(Napi::Env env, Napi::Array list);
