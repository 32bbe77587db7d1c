#include "sock_diag_codec.h"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <cstring>

#include "attribute_writer.h"

namespace {

std::vector<uint8_t> Request(uint16_t type, uint16_t flags, uint8_t family, uint8_t protocol, uint32_t states,
                             const inet_diag_sockid& id) {
  AttributeWriter w(type, flags, sizeof(inet_diag_req_v2));
  inet_diag_req_v2* req = w.Header<inet_diag_req_v2>();
  req->sdiag_family = family;
  req->sdiag_protocol = protocol;
  req->idiag_states = states;
  req->id = id;
  return w.Take();
}

}  // namespace

std::vector<uint8_t> EncodeSocketDump(uint8_t family, uint8_t protocol, uint32_t states) {
  inet_diag_sockid any{};
  any.idiag_cookie[0] = any.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  return Request(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, family, protocol, states, any);
}

std::vector<uint8_t> EncodeSocketDestroy(const DiagSocket& s) {
  return Request(SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, s.family, s.protocol, kAllSocketStates, s.id);
}

void DecodeSocket(const nlmsghdr* msg, uint8_t family, uint8_t protocol, std::vector<DiagSocket>* sockets) {
  if (msg->nlmsg_type != SOCK_DIAG_BY_FAMILY || msg->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return;
  inet_diag_msg m;
  memcpy(&m, NLMSG_DATA(msg), sizeof(m));
  if (m.idiag_family != family) return;  // a dump answers with its own family's sockets only
  DiagSocket s;
  s.family = m.idiag_family;
  s.protocol = protocol;
  s.state = m.idiag_state;
  s.id = m.id;
  s.uid = m.idiag_uid;
  s.inode = m.idiag_inode;
  sockets->push_back(s);
}
