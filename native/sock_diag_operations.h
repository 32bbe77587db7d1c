// The addon's socket diagnostics without N-API (like operations.h for routes): what listSockets and
// destroySockets ask of the kernel, on a NETLINK_SOCK_DIAG socket, with the results in plain C++ types.
#pragma once

#include <cstdint>
#include <vector>

#include "netlink_socket.h"
#include "sock_diag_codec.h"

// listSockets: one SOCK_DIAG_BY_FAMILY dump per family and protocol (one after another: the kernel runs one
// dump per socket at a time), every state.
NlError ReadSockets(NetlinkSocket* diag, const std::vector<uint8_t>& families, const std::vector<uint8_t>& protocols,
                    std::vector<DiagSocket>* sockets);

// destroySockets: SOCK_DESTROY for each socket, sent together; one result per socket (ENOENT: it has gone).
NlError DestroySockets(NetlinkSocket* diag, const std::vector<DiagSocket>& sockets, std::vector<NlError>* results);
