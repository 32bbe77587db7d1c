// Routes between C++ and JS: a change's rare fields (NativeRareFields in src/netlink/native.ts), read in
// Route's field names and turned into the kernel's numbers.
#pragma once

#include <napi.h>

#include <vector>

#include "route_codec.h"

// The rare fields of the records that have them, in order. Throws a TypeError on a malformed object
// (src/netlink/route-spec.ts validates before it gets here).
std::vector<RouteChangeRareFields> RareFieldsFromJs(Napi::Env env, Napi::Array list);
