#include "event_raw_codec.h"

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "address_text.h"

namespace {

bool IpFamily(uint8_t family) { return family == AF_INET || family == AF_INET6; }

}  // namespace

bool DecodeRawAddress(const nlmsghdr* msg, RawEvent* out) {
  if ((msg->nlmsg_type != RTM_NEWADDR && msg->nlmsg_type != RTM_DELADDR) ||
      msg->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg)))
    return false;
  const ifaddrmsg* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(msg));
  if (!IpFamily(ifa->ifa_family)) return false;
  out->family = ifa->ifa_family;
  out->index = ifa->ifa_index;
  out->prefix_len = ifa->ifa_prefixlen;
  const size_t addr_len = ifa->ifa_family == AF_INET ? 4 : 16;
  const uint8_t *local = nullptr, *address = nullptr;
  int len = static_cast<int>(IFA_PAYLOAD(msg));
  for (const rtattr* attr = IFA_RTA(ifa); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    if (RTA_PAYLOAD(attr) != addr_len) continue;
    if (attr->rta_type == IFA_LOCAL) local = static_cast<const uint8_t*>(RTA_DATA(attr));
    if (attr->rta_type == IFA_ADDRESS) address = static_cast<const uint8_t*>(RTA_DATA(attr));
  }
  if (local || address) AppendAddress(&out->address, ifa->ifa_family, local ? local : address);
  return true;
}

bool DecodeRawRule(const nlmsghdr* msg, RawEvent* out) {
  if ((msg->nlmsg_type != RTM_NEWRULE && msg->nlmsg_type != RTM_DELRULE) ||
      msg->nlmsg_len < NLMSG_LENGTH(sizeof(fib_rule_hdr)))
    return false;
  const fib_rule_hdr* frh = static_cast<const fib_rule_hdr*>(NLMSG_DATA(msg));
  if (!IpFamily(frh->family)) return false;
  out->family = frh->family;
  out->table = frh->table;
  int len = static_cast<int>(msg->nlmsg_len - NLMSG_SPACE(sizeof(fib_rule_hdr)));
  for (const rtattr* attr =
           reinterpret_cast<const rtattr*>(reinterpret_cast<const uint8_t*>(frh) + NLMSG_ALIGN(sizeof(fib_rule_hdr)));
       RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    if (RTA_PAYLOAD(attr) != 4) continue;
    if (attr->rta_type == FRA_TABLE) memcpy(&out->table, RTA_DATA(attr), 4);
    if (attr->rta_type == FRA_PRIORITY) {
      memcpy(&out->priority, RTA_DATA(attr), 4);
      out->has_priority = true;
    }
  }
  return true;
}
