#include "address_operations.h"

NlError ReadAddresses(NetlinkSocket* socket, int family, std::vector<InterfaceAddress>* addresses) {
  socket->ExpectLargeReplies();
  auto request = EncodeAddressDump(family);
  return socket->TransactOne(request, [addresses](size_t, const nlmsghdr* m) { DecodeAddress(m, addresses); });
}

NlError ChangeAddress(NetlinkSocket* socket, bool add, const InterfaceAddress& address) {
  auto request = EncodeAddressChange(add, address);
  return socket->TransactOne(request, [](size_t, const nlmsghdr*) {});
}
