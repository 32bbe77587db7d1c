// Socket diagnostics between C++ and JS (NativeSocket in src/netlink/native.ts): sockets as plain objects in the
// kernel's numbers, addresses as text, and the kernel's socket id as bytes that destroySockets hands back.
#pragma once

#include <napi.h>

#include "netlink_socket.h"

// listSockets(families: number[], protocols: number[]) on the handle's sock_diag socket; *out: the sockets.
NlError ListSocketsJs(Napi::Env env, NetlinkSocket* diag, Napi::Array families, Napi::Array protocols,
                      Napi::Value* out);
// destroySockets(sockets: { family, protocol, id }[]); *out: an Int32Array, the errno per socket (0: destroyed).
// Throws a TypeError on a malformed object (src/netlink/sockets.ts hands back only what listSockets gave it).
NlError DestroySocketsJs(Napi::Env env, NetlinkSocket* diag, Napi::Array sockets, Napi::Value* out);
