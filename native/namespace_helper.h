// Netlink sockets inside other network namespaces: the calling thread enters one and comes back within the call.
#pragma once

#include <functional>

#include "nl_error.h"

// Work that makes a file descriptor (*fd) in a namespace: a socket, a sysctl file opened there.
using NamespaceWork = std::function<NlError(int* fd)>;

// Runs work in the network namespace that ns_fd refers to, or in the caller's namespace when ns_fd is -1.
// The calling thread is in the other namespace only while work runs; the work must not block.
NlError RunInNamespace(int ns_fd, const NamespaceWork& work, int* fd);

// A netlink socket of the given protocol (NETLINK_ROUTE, NETLINK_NETFILTER, NETLINK_SOCK_DIAG; SOCK_CLOEXEC)
// in the namespace ns_fd refers to (-1: the caller's).
NlError CreateNetlinkSocket(int ns_fd, int protocol, int* fd);
