// Routes between C++ and JS (RouteBatch in src/netlink/native.ts): a batch of decoded routes as one object, its
// words in a Uint32Array, for a dump's next(), a watch's events and the lookups alike.
#pragma once

#include <napi.h>

#include "operations.h"

// { words: Uint32Array, text: string, strings: string[], extras: string, done: boolean }
Napi::Object RouteBatchToJs(Napi::Env env, RouteBatch&& batch);
