#include "link_change.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include "attribute_writer.h"

std::vector<uint8_t> EncodeLinkSet(const LinkSettings& settings) {
  AttributeWriter w(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, sizeof(ifinfomsg));
  ifinfomsg* ifi = w.Header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(settings.index);
  if (settings.up >= 0) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = settings.up ? IFF_UP : 0;
  }
  if (settings.mtu) w.PutU32(IFLA_MTU, settings.mtu);
  return w.Take();
}

NlError SetLink(NetlinkSocket* socket, const LinkSettings& settings) {
  auto request = EncodeLinkSet(settings);
  return socket->TransactOne(request, [](size_t, const nlmsghdr*) {});
}
