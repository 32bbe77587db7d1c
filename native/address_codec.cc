#include "address_codec.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "attribute_writer.h"

namespace {

size_t AddressLength(uint8_t family) { return family == AF_INET6 ? 16 : 4; }

}  // namespace

std::vector<uint8_t> EncodeAddressChange(bool add, const InterfaceAddress& a) {
  const uint16_t create = add ? static_cast<uint16_t>(NLM_F_CREATE | NLM_F_EXCL) : 0;
  AttributeWriter w(add ? RTM_NEWADDR : RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK | create, sizeof(ifaddrmsg));
  ifaddrmsg* ifa = w.Header<ifaddrmsg>();
  ifa->ifa_family = a.family;
  ifa->ifa_prefixlen = a.prefix_len;
  ifa->ifa_scope = a.scope;
  ifa->ifa_index = a.index;
  ifa->ifa_flags = static_cast<uint8_t>(a.flags);
  const size_t alen = AddressLength(a.family);
  if (a.present & InterfaceAddress::kLocal) w.Put(IFA_LOCAL, a.local, alen);
  if (a.present & InterfaceAddress::kAddress) w.Put(IFA_ADDRESS, a.address, alen);
  if (a.present & InterfaceAddress::kBroadcast) w.Put(IFA_BROADCAST, a.broadcast, alen);
  if (a.present & InterfaceAddress::kLabel) w.Put(IFA_LABEL, a.label.c_str(), a.label.size() + 1);
  if (a.flags > 0xff) w.PutU32(IFA_FLAGS, a.flags);
  return w.Take();
}

std::vector<uint8_t> EncodeAddressDump(int family) {
  AttributeWriter w(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, sizeof(ifaddrmsg));
  w.Header<ifaddrmsg>()->ifa_family = static_cast<uint8_t>(family);
  return w.Take();
}

void DecodeAddress(const nlmsghdr* msg, std::vector<InterfaceAddress>* addresses) {
  if ((msg->nlmsg_type != RTM_NEWADDR && msg->nlmsg_type != RTM_DELADDR) ||
      msg->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg)))
    return;
  const ifaddrmsg* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(msg));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return;
  InterfaceAddress a;
  a.family = ifa->ifa_family;
  a.prefix_len = ifa->ifa_prefixlen;
  a.scope = ifa->ifa_scope;
  a.flags = ifa->ifa_flags;
  a.index = ifa->ifa_index;
  const size_t alen = AddressLength(a.family);
  if (a.prefix_len > alen * 8) return;
  int len = static_cast<int>(IFA_PAYLOAD(msg));
  for (const rtattr* attr = IFA_RTA(ifa); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    const char* data = static_cast<const char*>(RTA_DATA(attr));
    const size_t data_len = RTA_PAYLOAD(attr);
    if (attr->rta_type == IFA_LOCAL && data_len == alen) {
      memcpy(a.local, data, alen);
      a.present |= InterfaceAddress::kLocal;
    } else if (attr->rta_type == IFA_ADDRESS && data_len == alen) {
      memcpy(a.address, data, alen);
      a.present |= InterfaceAddress::kAddress;
    } else if (attr->rta_type == IFA_BROADCAST && data_len == alen) {
      memcpy(a.broadcast, data, alen);
      a.present |= InterfaceAddress::kBroadcast;
    } else if (attr->rta_type == IFA_LABEL) {
      a.label.assign(data, strnlen(data, data_len));
      a.present |= InterfaceAddress::kLabel;
    } else if (attr->rta_type == IFA_FLAGS && data_len == 4) {
      memcpy(&a.flags, data, 4);
    } else if (attr->rta_type == IFA_CACHEINFO && data_len == sizeof(ifa_cacheinfo)) {
      ifa_cacheinfo info;
      memcpy(&info, data, sizeof(info));
      a.valid = info.ifa_valid;
      a.preferred = info.ifa_prefered;
      a.present |= InterfaceAddress::kCacheInfo;
    }
  }
  // IPv6 addresses have no IFA_LOCAL unless they have a peer: their address is IFA_ADDRESS.
  if (!(a.present & InterfaceAddress::kLocal) && (a.present & InterfaceAddress::kAddress)) {
    memcpy(a.local, a.address, alen);
    a.present = (a.present & ~InterfaceAddress::kAddress) | InterfaceAddress::kLocal;
  }
  if (!(a.present & InterfaceAddress::kLocal)) return;
  addresses->push_back(std::move(a));
}
