#include "route_codec.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "address_text.h"

namespace {

size_t AddressLength(int family) { return family == AF_INET6 ? 16 : 4; }

class MessageBuilder {
 public:
  MessageBuilder(uint16_t type, uint16_t flags, const void* header, size_t header_len)
      : bytes_(NLMSG_SPACE(header_len)) {
    nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(bytes_.data());
    hdr->nlmsg_type = type;
    hdr->nlmsg_flags = flags;
    memcpy(NLMSG_DATA(hdr), header, header_len);
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    size_t pos = bytes_.size();
    bytes_.resize(pos + RTA_SPACE(len));
    rtattr* attr = reinterpret_cast<rtattr*>(bytes_.data() + pos);
    attr->rta_type = type;
    attr->rta_len = RTA_LENGTH(len);
    memcpy(RTA_DATA(attr), data, len);
  }
  void U32(uint16_t type, uint32_t value) { Attr(type, &value, sizeof(value)); }
  std::vector<uint8_t> Finish() {
    reinterpret_cast<nlmsghdr*>(bytes_.data())->nlmsg_len = static_cast<uint32_t>(bytes_.size());
    return std::move(bytes_);
  }

 private:
  std::vector<uint8_t> bytes_;
};

uint32_t ReadU32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

uint8_t HeaderTable(uint32_t table) { return static_cast<uint8_t>(table < 256 ? table : RT_TABLE_UNSPEC); }

}  // namespace

std::vector<uint8_t> EncodeRouteChange(const uint8_t* rec) {
  const uint8_t op = rec[record::kOp], family = rec[record::kFamily], present = rec[record::kPresent];
  const uint8_t gw_family = rec[record::kGatewayFamily];
  const uint32_t table = ReadU32(rec + record::kTable);
  uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
  if (op == record::kAdd) flags |= NLM_F_CREATE | NLM_F_EXCL;
  if (op == record::kReplace) flags |= NLM_F_CREATE | NLM_F_REPLACE;
  rtmsg rtm{};
  rtm.rtm_family = family;
  rtm.rtm_dst_len = rec[record::kDstLen];
  rtm.rtm_table = HeaderTable(table);
  rtm.rtm_protocol = rec[record::kProtocol];
  rtm.rtm_scope = rec[record::kScope];
  rtm.rtm_type = rec[record::kType];
  MessageBuilder m(op == record::kDelete ? RTM_DELROUTE : RTM_NEWROUTE, flags, &rtm, sizeof(rtm));
  m.U32(RTA_TABLE, table);
  if (rtm.rtm_dst_len) m.Attr(RTA_DST, rec + record::kDst, AddressLength(family));
  if (gw_family == family) {
    m.Attr(RTA_GATEWAY, rec + record::kGateway, AddressLength(family));
  } else if (gw_family) {
    uint8_t via[sizeof(rtvia) + 16];
    reinterpret_cast<rtvia*>(via)->rtvia_family = gw_family;
    memcpy(via + sizeof(rtvia), rec + record::kGateway, AddressLength(gw_family));
    m.Attr(RTA_VIA, via, sizeof(rtvia) + AddressLength(gw_family));
  }
  if (present & record::kHasOif) m.U32(RTA_OIF, ReadU32(rec + record::kOif));
  if (present & record::kHasMetric) m.U32(RTA_PRIORITY, ReadU32(rec + record::kMetric));
  if (present & record::kHasPrefsrc) m.Attr(RTA_PREFSRC, rec + record::kPrefsrc, AddressLength(family));
  return m.Finish();
}

std::vector<uint8_t> EncodeRouteDump(int family, uint32_t table, uint8_t protocol, uint32_t oif) {
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(family);
  rtm.rtm_table = HeaderTable(table);
  rtm.rtm_protocol = protocol;
  MessageBuilder m(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &rtm, sizeof(rtm));
  if (table) m.U32(RTA_TABLE, table);
  if (oif) m.U32(RTA_OIF, oif);
  return m.Finish();
}

std::vector<uint8_t> EncodeRouteGet(int family, const uint8_t* addr, uint32_t oif, bool fib_match) {
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(family);
  rtm.rtm_dst_len = static_cast<uint8_t>(AddressLength(family) * 8);
  if (fib_match) rtm.rtm_flags = RTM_F_FIB_MATCH;
  MessageBuilder m(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, &rtm, sizeof(rtm));
  m.Attr(RTA_DST, addr, AddressLength(family));
  if (oif) m.U32(RTA_OIF, oif);
  return m.Finish();
}

void PackedRoutes::AppendInterned(int family, const uint8_t* addr, uint32_t* range) {
  std::string key;
  AppendAddress(&key, family, addr);
  auto found = interned_.find(key);
  if (found == interned_.end()) {
    uint32_t start = static_cast<uint32_t>(text_.size());
    text_ += key;
    found = interned_.emplace(std::move(key), std::make_pair(start, static_cast<uint32_t>(text_.size()))).first;
  }
  range[0] = found->second.first;
  range[1] = found->second.second;
}

void PackedRoutes::Add(const nlmsghdr* msg) {
  if (msg->nlmsg_type != RTM_NEWROUTE || msg->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return;
  const rtmsg* rtm = static_cast<const rtmsg*>(NLMSG_DATA(msg));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return;
  const size_t addr_len = AddressLength(rtm->rtm_family);
  uint32_t w[packed::kWords] = {};
  w[packed::kFamily] = rtm->rtm_family;
  w[packed::kTable] = rtm->rtm_table;
  w[packed::kProtocol] = rtm->rtm_protocol;
  w[packed::kScope] = rtm->rtm_scope;
  w[packed::kType] = rtm->rtm_type;
  static const uint8_t kZero[16] = {};
  const uint8_t* dst = kZero;
  int len = static_cast<int>(RTM_PAYLOAD(msg));
  for (const rtattr* attr = RTM_RTA(rtm); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    const uint8_t* data = static_cast<const uint8_t*>(RTA_DATA(attr));
    const size_t data_len = RTA_PAYLOAD(attr);
    switch (attr->rta_type) {
      case RTA_DST:
        if (data_len == addr_len) dst = data;
        break;
      case RTA_GATEWAY:
        if (data_len == addr_len) {
          AppendInterned(rtm->rtm_family, data, &w[packed::kGateway]);
          w[packed::kPresent] |= packed::kHasGateway;
        }
        break;
      case RTA_VIA: {
        const rtvia* via = reinterpret_cast<const rtvia*>(data);
        if (data_len >= sizeof(rtvia) && (via->rtvia_family == AF_INET || via->rtvia_family == AF_INET6) &&
            data_len >= sizeof(rtvia) + AddressLength(via->rtvia_family)) {
          AppendInterned(via->rtvia_family, data + sizeof(rtvia), &w[packed::kGateway]);
          w[packed::kPresent] |= packed::kHasGateway;
        }
        break;
      }
      case RTA_PREFSRC:
        if (data_len == addr_len) {
          AppendInterned(rtm->rtm_family, data, &w[packed::kPrefsrc]);
          w[packed::kPresent] |= packed::kHasPrefsrc;
        }
        break;
      case RTA_OIF:
        if (data_len == 4) {
          w[packed::kOif] = ReadU32(data);
          w[packed::kPresent] |= packed::kHasOif;
        }
        break;
      case RTA_PRIORITY:
        if (data_len == 4) {
          w[packed::kMetric] = ReadU32(data);
          w[packed::kPresent] |= packed::kHasMetric;
        }
        break;
      case RTA_TABLE:
        if (data_len == 4) w[packed::kTable] = ReadU32(data);
        break;
    }
  }
  w[packed::kDst] = static_cast<uint32_t>(text_.size());
  AppendPrefix(&text_, rtm->rtm_family, dst, rtm->rtm_dst_len);
  w[packed::kDst + 1] = static_cast<uint32_t>(text_.size());
  words_.insert(words_.end(), w, w + packed::kWords);
}
