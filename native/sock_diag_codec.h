// Socket diagnostics (NETLINK_SOCK_DIAG, linux/inet_diag.h): SOCK_DIAG_BY_FAMILY dumps of TCP and UDP
// sockets, the decoder of their inet_diag_msg replies, and SOCK_DESTROY requests for a listed socket.
#pragma once

#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include <cstdint>
#include <vector>

struct DiagSocket {
  uint8_t family = 0;     // AF_INET or AF_INET6
  uint8_t protocol = 0;   // IPPROTO_TCP or IPPROTO_UDP (from the request: the reply does not say)
  uint8_t state = 0;      // TCP_* of linux/tcp_states.h (UDP: TCP_CLOSE unconnected, TCP_ESTABLISHED connected)
  inet_diag_sockid id{};  // as the kernel gave it (ports in network order, the cookie): what SOCK_DESTROY needs
  uint32_t uid = 0, inode = 0;
};

// Every state ss -a asks for (TCP_ESTABLISHED .. TCP_NEW_SYN_RECV).
constexpr uint32_t kAllSocketStates = (1u << 13) - 1;

// A dump of one family's sockets of one protocol in the given states.
std::vector<uint8_t> EncodeSocketDump(uint8_t family, uint8_t protocol, uint32_t states);
// SOCK_DESTROY for a socket a dump listed (its id, cookie included: a socket that has gone is ENOENT), acked.
std::vector<uint8_t> EncodeSocketDestroy(const DiagSocket& socket);
// Appends the socket if msg is a well-formed SOCK_DIAG_BY_FAMILY reply of a socket of the family dumped.
void DecodeSocket(const nlmsghdr* msg, uint8_t family, uint8_t protocol, std::vector<DiagSocket>* sockets);
