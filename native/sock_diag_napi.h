// Socket diagnostics between C++ and JS (NativeSocket in src/netlink/native.ts): sockets as plain objects in the
// kernel's numbers, addresses as text, and the kernel's socket id as bytes that destroySockets hands back.
#pragma once

#include <napi.h>

#include "netlink_socket.h"

// listSockets(families: number[], protocols: number[]) on the handle's sock_diag socket: the sockets (synchronous)
Napi::Value ListSocketsJs(const Napi::CallbackInfo& info, NetlinkSocket* diag);
// destroySockets(sockets: { family, protocol, id }[]): an Int32Array, the errno per socket (0: destroyed)
// (synchronous). Throws a TypeError on a malformed object (src/netlink/sockets.ts hands back only what
// listSockets gave it).
Napi::Value DestroySocketsJs(const Napi::CallbackInfo& info, NetlinkSocket* diag);
