#include "link_codec.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace {

// Where the request's attributes begin, and the size of its fixed part (with the statistics mask).
constexpr size_t kAttrs = NLMSG_SPACE(sizeof(ifinfomsg));
constexpr size_t kFixed = kAttrs + RTA_SPACE(sizeof(uint32_t));

// An RTM_GETLINK request of kFixed + extra bytes (zeroed), with IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS:
// without the statistics, each link's message is a fraction of the size.
std::vector<uint8_t> LinkRequest(uint16_t flags, size_t extra) {
  std::vector<uint8_t> bytes(kFixed + extra);
  nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(bytes.data());
  hdr->nlmsg_len = static_cast<uint32_t>(bytes.size());
  hdr->nlmsg_type = RTM_GETLINK;
  hdr->nlmsg_flags = flags;
  static_cast<ifinfomsg*>(NLMSG_DATA(hdr))->ifi_family = AF_UNSPEC;
  rtattr* mask = reinterpret_cast<rtattr*>(bytes.data() + kAttrs);
  mask->rta_type = IFLA_EXT_MASK;
  mask->rta_len = RTA_LENGTH(sizeof(uint32_t));
  const uint32_t skip_stats = RTEXT_FILTER_SKIP_STATS;
  memcpy(RTA_DATA(mask), &skip_stats, sizeof(skip_stats));
  return bytes;
}

}  // namespace

std::vector<uint8_t> EncodeLinkDump() { return LinkRequest(NLM_F_REQUEST | NLM_F_DUMP, 0); }

std::vector<uint8_t> EncodeLinkGet(const std::string& name) {
  std::vector<uint8_t> bytes = LinkRequest(NLM_F_REQUEST, RTA_SPACE(name.size() + 1));  // no ack: see Transact
  rtattr* attr = reinterpret_cast<rtattr*>(bytes.data() + kFixed);
  attr->rta_type = IFLA_IFNAME;
  attr->rta_len = static_cast<unsigned short>(RTA_LENGTH(name.size() + 1));
  memcpy(RTA_DATA(attr), name.c_str(), name.size() + 1);
  return bytes;
}

void DecodeLink(const nlmsghdr* msg, std::vector<Link>* links) {
  if ((msg->nlmsg_type != RTM_NEWLINK && msg->nlmsg_type != RTM_DELLINK) ||
      msg->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg)))
    return;
  const ifinfomsg* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(msg));
  Link link;
  link.index = static_cast<uint32_t>(ifi->ifi_index);
  link.flags = ifi->ifi_flags;
  int len = static_cast<int>(IFLA_PAYLOAD(msg));
  for (const rtattr* attr = IFLA_RTA(ifi); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    const char* data = static_cast<const char*>(RTA_DATA(attr));
    const size_t data_len = RTA_PAYLOAD(attr);
    if (attr->rta_type == IFLA_IFNAME) {
      link.name.assign(data, strnlen(data, data_len));
    } else if (attr->rta_type == IFLA_MTU && data_len == 4) {
      memcpy(&link.mtu, data, 4);
    } else if (attr->rta_type == IFLA_OPERSTATE && data_len == 1) {
      link.operstate = static_cast<uint8_t>(data[0]);
    }
  }
  links->push_back(std::move(link));
}
