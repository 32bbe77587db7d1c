// Links between C++ and JS (NativeLink in src/netlink/native.ts): { index, name, flags, mtu, operstate }.
#pragma once

#include <napi.h>

#include <vector>

#include "link_codec.h"

Napi::Array LinksToJs(Napi::Env env, const std::vector<Link>& links);
