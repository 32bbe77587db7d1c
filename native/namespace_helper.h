// Netlink sockets inside other network namespaces, made without moving Node's threads (namespace_helper.cc).
#pragma once

#include "nl_error.h"

// A NETLINK_ROUTE socket (SOCK_CLOEXEC) in the network namespace that ns_fd refers to, or in the caller's
// namespace when ns_fd is -1. The calling thread never changes namespace.
NlError CreateRouteSocket(int ns_fd, int* fd);
