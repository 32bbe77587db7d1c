#include "route_codec.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <utility>

#include "address_text.h"

namespace {

size_t AddressLength(int family) { return family == AF_INET6 ? 16 : 4; }

// Builds one message in place; the caller guarantees the room.
class MessageWriter {
 public:
  MessageWriter(uint8_t* out, uint16_t type, uint16_t flags, const void* header, size_t header_len)
      : out_(out), pos_(NLMSG_SPACE(header_len)) {
    memset(out_, 0, pos_);
    nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(out_);
    hdr->nlmsg_type = type;
    hdr->nlmsg_flags = flags;
    memcpy(NLMSG_DATA(hdr), header, header_len);
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    rtattr* attr = reinterpret_cast<rtattr*>(out_ + pos_);
    attr->rta_type = type;
    attr->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    memcpy(RTA_DATA(attr), data, len);
    size_t space = RTA_SPACE(len);
    memset(out_ + pos_ + RTA_LENGTH(len), 0, space - RTA_LENGTH(len));
    pos_ += space;
  }
  void U32(uint16_t type, uint32_t value) { Attr(type, &value, sizeof(value)); }
  // A nested attribute (or a next hop): Begin reserves its header, End sets its length.
  size_t Begin(uint16_t type, size_t header_len = sizeof(rtattr)) {
    const size_t at = pos_;
    memset(out_ + at, 0, header_len);
    reinterpret_cast<rtattr*>(out_ + at)->rta_type = type;
    pos_ += header_len;
    return at;
  }
  void End(size_t at) { reinterpret_cast<rtattr*>(out_ + at)->rta_len = static_cast<unsigned short>(pos_ - at); }
  rtnexthop* BeginNexthop(size_t* at) {
    *at = Begin(0, sizeof(rtnexthop));
    return reinterpret_cast<rtnexthop*>(out_ + *at);
  }
  void EndNexthop(size_t at) {
    reinterpret_cast<rtnexthop*>(out_ + at)->rtnh_len = static_cast<unsigned short>(pos_ - at);
  }
  size_t Finish() {
    reinterpret_cast<nlmsghdr*>(out_)->nlmsg_len = static_cast<uint32_t>(pos_);
    return pos_;
  }

 private:
  uint8_t* out_;
  size_t pos_;
};

std::vector<uint8_t> Build(uint16_t type, uint16_t flags, const rtmsg& rtm, void (*attrs)(MessageWriter&, const void*),
                           const void* arg) {
  std::vector<uint8_t> bytes(kMaxRouteChangeMessage);
  MessageWriter m(bytes.data(), type, flags, &rtm, sizeof(rtm));
  attrs(m, arg);
  bytes.resize(m.Finish());
  return bytes;
}

uint32_t ReadU32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

uint8_t HeaderTable(uint32_t table) { return static_cast<uint8_t>(table < 256 ? table : RT_TABLE_UNSPEC); }

}  // namespace

namespace {

// iproute2's names (ip/iproute.c mx_names), by RTAX_* number.
const char* const kMetricNames[] = {
    nullptr,    "lock",    "mtu",      "window",     "rtt",        "rttvar",
    "ssthresh", "cwnd",    "advmss",   "reordering", "hoplimit",   "initcwnd",
    "features", "rto_min", "initrwnd", "quickack",   "congestion", "fastopen_no_cookie"};
constexpr unsigned kMetricCount = sizeof(kMetricNames) / sizeof(kMetricNames[0]);

// RTA_VIA: a gateway of another family than the route's.
void AppendVia(MessageWriter* m, uint8_t family, const uint8_t* address) {
  uint8_t via[sizeof(rtvia) + 16];
  reinterpret_cast<rtvia*>(via)->rtvia_family = family;
  memcpy(via + sizeof(rtvia), address, AddressLength(family));
  m->Attr(RTA_VIA, via, sizeof(rtvia) + AddressLength(family));
}

void AppendGateway(MessageWriter* m, uint8_t route_family, uint8_t family, const uint8_t* address) {
  if (family == route_family) {
    m->Attr(RTA_GATEWAY, address, AddressLength(family));
  } else if (family) {
    AppendVia(m, family, address);
  }
}

void AppendRareFields(MessageWriter* m, uint8_t family, const RouteChangeRareFields& rare) {
  if (!rare.nexthops.empty()) {
    const size_t multipath = m->Begin(RTA_MULTIPATH);
    for (const RouteChangeNexthop& hop : rare.nexthops) {
      size_t at;
      rtnexthop* nh = m->BeginNexthop(&at);
      nh->rtnh_flags = hop.flags;
      nh->rtnh_hops = hop.hops;
      nh->rtnh_ifindex = static_cast<int>(hop.oif);
      AppendGateway(m, family, hop.gateway_family, hop.gateway);
      m->EndNexthop(at);
    }
    m->End(multipath);
  }
  if (rare.has_metrics) {
    const size_t metrics = m->Begin(RTA_METRICS);
    for (const auto& metric : rare.metrics) m->U32(metric.first, metric.second);
    if (!rare.congestion.empty()) m->Attr(RTAX_CC_ALGO, rare.congestion.c_str(), rare.congestion.size() + 1);
    m->End(metrics);
  }
  if (rare.has_nhid) m->U32(RTA_NH_ID, rare.nhid);
}

}  // namespace

const char* MetricName(unsigned type) { return type < kMetricCount ? kMetricNames[type] : nullptr; }

unsigned MetricType(const std::string& name) {
  for (unsigned type = 1; type < kMetricCount; type++)
    if (name == kMetricNames[type]) return type;
  return 0;
}

uint32_t MetricScale(unsigned type) { return type == RTAX_RTT ? 8 : type == RTAX_RTTVAR ? 4 : 1; }

uint32_t MetricToKernel(unsigned type, uint32_t value) { return value * MetricScale(type); }

uint32_t MetricFromKernel(unsigned type, uint32_t value) { return value / MetricScale(type); }

size_t RouteChangeRareFields::MaxEncodedSize() const {
  constexpr size_t kMaxNexthop = sizeof(rtnexthop) + RTA_SPACE(sizeof(rtvia) + 16);
  size_t size = RTA_SPACE(0) + nexthops.size() * kMaxNexthop;
  if (has_metrics) size += RTA_SPACE(0) + metrics.size() * RTA_SPACE(4) + RTA_SPACE(congestion.size() + 1);
  return size + RTA_SPACE(4);
}

size_t EncodeRouteChangeInto(const uint8_t* rec, const RouteChangeRareFields* rare, uint8_t* out) {
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
  if (present & record::kHasOnlink) rtm.rtm_flags = RTNH_F_ONLINK;
  MessageWriter m(out, op == record::kDelete ? RTM_DELROUTE : RTM_NEWROUTE, flags, &rtm, sizeof(rtm));
  m.U32(RTA_TABLE, table);
  if (rtm.rtm_dst_len) m.Attr(RTA_DST, rec + record::kDst, AddressLength(family));
  AppendGateway(&m, family, gw_family, rec + record::kGateway);
  if (present & record::kHasOif) m.U32(RTA_OIF, ReadU32(rec + record::kOif));
  if (present & record::kHasMetric) m.U32(RTA_PRIORITY, ReadU32(rec + record::kMetric));
  if (present & record::kHasPrefsrc) m.Attr(RTA_PREFSRC, rec + record::kPrefsrc, AddressLength(family));
  if (rare) AppendRareFields(&m, family, *rare);
  return m.Finish();
}

namespace {
struct DumpArgs {
  uint32_t table, oif;
};
struct GetArgs {
  int family;
  const uint8_t* addr;
  uint32_t oif;
  uint8_t ip_proto;
  uint16_t dport;
};
}  // namespace

std::vector<uint8_t> EncodeRouteDump(int family, uint32_t table, uint8_t protocol, uint32_t oif) {
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(family);
  rtm.rtm_table = HeaderTable(table);
  rtm.rtm_protocol = protocol;
  DumpArgs args{table, oif};
  return Build(
      RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, rtm,
      [](MessageWriter& m, const void* p) {
        const DumpArgs* a = static_cast<const DumpArgs*>(p);
        if (a->table) m.U32(RTA_TABLE, a->table);
        if (a->oif) m.U32(RTA_OIF, a->oif);
      },
      &args);
}

std::vector<uint8_t> EncodeRouteGet(int family, const uint8_t* addr, uint32_t oif, const TransportSelector& transport,
                                    bool fib_match) {
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(family);
  rtm.rtm_dst_len = static_cast<uint8_t>(AddressLength(family) * 8);
  if (fib_match) rtm.rtm_flags = RTM_F_FIB_MATCH;
  // IPv4 then names the table that matched (through the policy rules), not main always. (IPv6 names it anyway,
  // and its strict checking refuses the flag.)
  if (fib_match && family == AF_INET) rtm.rtm_flags |= RTM_F_LOOKUP_TABLE;
  GetArgs args{family, addr, oif, transport.ip_proto, transport.dport};
  return Build(
      RTM_GETROUTE, NLM_F_REQUEST, rtm,  // no ack: the answer or the error is the end
      [](MessageWriter& m, const void* p) {
        const GetArgs* a = static_cast<const GetArgs*>(p);
        m.Attr(RTA_DST, a->addr, AddressLength(a->family));
        if (a->oif) m.U32(RTA_OIF, a->oif);
        // As `ip route get ... ipproto P dport N`: policy rules that match on them are then consulted.
        if (a->ip_proto) m.Attr(RTA_IP_PROTO, &a->ip_proto, sizeof(a->ip_proto));
        if (a->dport) {
          const uint16_t be = htons(a->dport);
          m.Attr(RTA_DPORT, &be, sizeof(be));
        }
      },
      &args);
}

// ---- RouteBatcher ----------------------------------------------------------------------------------------

void RouteBatcher::SetLinks(const std::vector<Link>& links) {
  for (const Link& l : links) link_names_[l.index] = l.name;
}

uint32_t RouteBatcher::NewString(std::string text) {
  new_strings_.push_back(std::move(text));
  return next_id_++;
}

uint32_t RouteBatcher::InternV4(const uint8_t* addr) {
  uint32_t key = ReadU32(addr);
  if (key == last_v4_key_ && last_v4_id_) return last_v4_id_;
  auto found = v4_ids_.find(key);
  uint32_t id;
  if (found != v4_ids_.end()) {
    id = found->second;
  } else {
    std::string text;
    AppendAddress(&text, AF_INET, addr);
    id = NewString(std::move(text));
    v4_ids_.emplace(key, id);
  }
  last_v4_key_ = key;
  last_v4_id_ = id;
  return id;
}

uint32_t RouteBatcher::InternV6(const uint8_t* addr) {
  std::string key(reinterpret_cast<const char*>(addr), 16);
  auto found = v6_ids_.find(key);
  if (found != v6_ids_.end()) return found->second;
  std::string text;
  AppendAddress(&text, AF_INET6, addr);
  uint32_t id = NewString(std::move(text));
  v6_ids_.emplace(std::move(key), id);
  return id;
}

uint32_t RouteBatcher::InternAddress(int family, const uint8_t* addr) {
  return family == AF_INET ? InternV4(addr) : InternV6(addr);
}

uint32_t RouteBatcher::InternDev(uint32_t oif) {
  auto found = dev_ids_.find(oif);
  if (found != dev_ids_.end()) return found->second;
  auto name = link_names_.find(oif);
  uint32_t id;
  if (name != link_names_.end()) {
    id = NewString(name->second);
  } else {
    id = NewString("if" + std::to_string(oif));
    unnamed_.emplace(oif, id);
  }
  dev_ids_.emplace(oif, id);
  return id;
}

std::vector<uint32_t> RouteBatcher::UnnamedOifs() const {
  std::vector<uint32_t> out;
  for (const auto& entry : unnamed_)
    if (entry.second >= first_new_id_) out.push_back(entry.first);
  return out;
}

bool RouteBatcher::Unnamed(uint32_t index) const {
  auto found = unnamed_.find(index);
  return found != unnamed_.end() && found->second >= first_new_id_;
}

void RouteBatcher::NameLink(uint32_t index, const std::string& name) {
  link_names_[index] = name;
  auto found = unnamed_.find(index);
  if (found == unnamed_.end() || found->second < first_new_id_) return;
  new_strings_[found->second - first_new_id_] = name;
  unnamed_.erase(found);
}

void RouteBatcher::TakeBatch(std::vector<uint32_t>* words, std::string* text, std::vector<std::string>* new_strings,
                             std::string* extras) {
  *words = std::move(words_);
  *text = std::move(text_);
  *new_strings = std::move(new_strings_);
  *extras = std::move(extras_);
  words_.clear();
  text_.clear();
  extras_.clear();
  new_strings_.clear();
  first_new_id_ = next_id_;
}

void RouteBatcher::Add(const nlmsghdr* msg) {
  if ((msg->nlmsg_type != RTM_NEWROUTE && msg->nlmsg_type != RTM_DELROUTE) ||
      msg->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg)))
    return;
  const rtmsg* rtm = static_cast<const rtmsg*>(NLMSG_DATA(msg));
  const int family = rtm->rtm_family;
  if (family != AF_INET && family != AF_INET6) return;
  const size_t addr_len = AddressLength(family);
  const size_t at = words_.size();
  words_.resize(at + packed::kWords);
  uint32_t* w = words_.data() + at;
  w[packed::kMeta] = static_cast<uint32_t>(family) | static_cast<uint32_t>(rtm->rtm_scope) << 8 |
                     static_cast<uint32_t>(rtm->rtm_protocol) << 16 | static_cast<uint32_t>(rtm->rtm_type) << 24;
  w[packed::kTable] = rtm->rtm_table;
  static const uint8_t kZero[16] = {};
  const uint8_t* dst = kZero;
  RouteExtraAttrs extra;
  int len = static_cast<int>(RTM_PAYLOAD(msg));
  for (const rtattr* attr = RTM_RTA(rtm); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    const uint8_t* data = static_cast<const uint8_t*>(RTA_DATA(attr));
    const size_t data_len = RTA_PAYLOAD(attr);
    bool decoded = true;
    switch (attr->rta_type) {
      case RTA_DST:
        decoded = data_len == addr_len;
        if (decoded) dst = data;
        break;
      case RTA_GATEWAY:
        decoded = data_len == addr_len;
        if (decoded) w[packed::kGateway] = InternAddress(family, data);
        break;
      case RTA_PREFSRC:
        decoded = data_len == addr_len;
        if (decoded) w[packed::kPrefsrc] = InternAddress(family, data);
        break;
      case RTA_OIF:
        decoded = data_len == 4;
        if (decoded) w[packed::kDev] = InternDev(ReadU32(data));
        break;
      case RTA_PRIORITY:
        decoded = data_len == 4;
        if (decoded) {
          w[packed::kMetric] = ReadU32(data);
          w[packed::kFlags] |= packed::kHasMetric;
        }
        break;
      case RTA_TABLE:
        decoded = data_len == 4;
        if (decoded) w[packed::kTable] = ReadU32(data);
        break;
      case RTA_PREF:
        decoded = data_len == 1;
        if (decoded) w[packed::kFlags] |= packed::kHasPref | static_cast<uint32_t>(data[0]) << packed::kPrefShift;
        break;
      case RTA_CACHEINFO:
        decoded = data_len >= sizeof(rta_cacheinfo);
        if (decoded) extra.cacheinfo = attr;
        break;
      case RTA_MULTIPATH: extra.multipath = attr; break;
      case RTA_METRICS: extra.metrics = attr; break;
      case RTA_VIA: extra.via = attr; break;
      case RTA_NH_ID:
        decoded = data_len == 4;
        if (decoded) extra.nh_id = attr;
        break;
      case RTA_UID:
        decoded = data_len == 4;
        if (decoded) extra.uid = attr;
        break;
      case RTA_MARK:
        decoded = data_len == 4;
        if (decoded) extra.mark = attr;
        break;
      case RTA_FLOW:
        decoded = data_len == 4;
        if (decoded) extra.flow = attr;
        break;
      case RTA_SRC:
        decoded = data_len == addr_len;
        if (decoded) extra.src = attr;
        break;
      default: decoded = false;
    }
    if (!decoded) extra.undecoded.push_back(attr->rta_type);
  }
  if ((rtm->rtm_flags || rtm->rtm_tos || rtm->rtm_src_len || extra.any()) && AppendExtras(rtm, extra))
    w[packed::kFlags] |= packed::kHasExtras;
  AppendPrefix(&text_, family, dst, rtm->rtm_dst_len);
  w[packed::kDstEnd] = static_cast<uint32_t>(text_.size());
}
