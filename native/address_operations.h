// The addon's address operations without N-API (like operations.h for routes): what listAddresses,
// addAddress and deleteAddress ask of the kernel, with the results in plain C++ types.
#pragma once

#include <vector>

#include "address_codec.h"
#include "netlink_socket.h"

// listAddresses: one RTM_GETADDR dump of the family (AF_UNSPEC: both).
NlError ReadAddresses(NetlinkSocket* socket, int family, std::vector<InterfaceAddress>* addresses);

// addAddress / deleteAddress: one request, acked; its own error (EEXIST, EADDRNOTAVAIL, ...) fails the call.
NlError ChangeAddress(NetlinkSocket* socket, bool add, const InterfaceAddress& address);
