#include "sock_diag_operations.h"

NlError ReadSockets(NetlinkSocket* diag, const std::vector<uint8_t>& families, const std::vector<uint8_t>& protocols,
                    std::vector<DiagSocket>* sockets) {
  diag->ExpectLargeReplies();
  for (uint8_t family : families) {
    for (uint8_t protocol : protocols) {
      auto request = EncodeSocketDump(family, protocol, kAllSocketStates);
      NlError err = diag->TransactOne(request, [sockets, family, protocol](size_t, const nlmsghdr* m) {
        DecodeSocket(m, family, protocol, sockets);
      });
      if (err.err) return err;
    }
  }
  return NlError{};
}

NlError DestroySockets(NetlinkSocket* diag, const std::vector<DiagSocket>& sockets, std::vector<NlError>* results) {
  std::vector<std::vector<uint8_t>> requests;
  requests.reserve(sockets.size());
  for (const DiagSocket& s : sockets) requests.push_back(EncodeSocketDestroy(s));
  return diag->Transact(
      requests, [](size_t, const nlmsghdr*) {}, results);
}
