// The extras of a route (route_codec.h, namespace packed): what a plain route does not have, written as one
// JSON object in Route's own field names and units (src/netlink/types.ts), in the order Route lists them:
//   {"flags":[...], "tos":N, "src":"prefix", "nhid":N, "via":{"family","host"}, "metrics":{name:value,...,
//    "congestion":"name", "lock":mask}, "expires":seconds, "error":N, "uid":N, "mark":N, "flow":{"from","to"},
//    "nexthops":[{"dev":id, "weight":N, "flags":[...], "gateway":"address", "via":{...}, "flow":{...}},...],
//    "undecoded":[attribute type,...]}
// Every member is optional; "undecoded" lists the attribute types that were not decoded (or were malformed).
// Addresses are text: JSON.parse makes a string of each either way. A next hop's device is the interned string
// id of the packed words, as its name is settled only when the batch is taken (RouteBatcher::NameLink).
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "address_text.h"
#include "route_codec.h"

namespace {

uint32_t U32Of(const rtattr* attr) {
  uint32_t v;
  memcpy(&v, RTA_DATA(attr), sizeof(v));
  return v;
}

size_t FamilyAddressLength(int family) { return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0; }

// An RTA_VIA's address, if it is a well-formed IPv4 or IPv6 one.
const uint8_t* ViaAddress(const rtattr* attr, int* family) {
  const size_t len = RTA_PAYLOAD(attr);
  if (len < sizeof(rtvia)) return nullptr;
  const rtvia* via = static_cast<const rtvia*>(RTA_DATA(attr));
  const size_t addr_len = FamilyAddressLength(via->rtvia_family);
  if (addr_len == 0 || len != sizeof(rtvia) + addr_len) return nullptr;
  *family = via->rtvia_family;
  return static_cast<const uint8_t*>(RTA_DATA(attr)) + sizeof(rtvia);
}

// A name with the characters JSON must escape escaped (the kernel's congestion control names have none).
void AppendJsonString(std::string* out, const char* text, size_t len) {
  out->push_back('"');
  for (size_t i = 0; i < len && text[i]; i++) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      static const char kHex[] = "0123456789abcdef";
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

// rtm_flags or rtnh_flags by iproute2's names, in its order (ip/iproute.c print_rt_flags).
struct FlagName {
  uint32_t bit;
  const char* name;
};
const FlagName kFlagNames[] = {
    {RTNH_F_DEAD, "dead"},
    {RTNH_F_ONLINK, "onlink"},
    {RTNH_F_PERVASIVE, "pervasive"},
    {RTNH_F_OFFLOAD, "offload"},
    {RTNH_F_TRAP, "trap"},
    {RTM_F_NOTIFY, "notify"},
    {RTNH_F_LINKDOWN, "linkdown"},
    {RTNH_F_UNRESOLVED, "unresolved"},
    {RTM_F_OFFLOAD, "rt_offload"},
    {RTM_F_TRAP, "rt_trap"},
    {RTM_F_OFFLOAD_FAILED, "rt_offload_failed"},
};

// A JSON object written member by member.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) {}
  std::string* Key(const char* key) {
    out_->append(first_ ? "{\"" : ",\"");
    first_ = false;
    out_->append(key);
    out_->append("\":");
    return out_;
  }
  void Number(const char* key, int64_t value) { Key(key)->append(std::to_string(value)); }
  void Unsigned(const char* key, uint32_t value) { Key(key)->append(std::to_string(value)); }
  void Address(const char* key, int family, const uint8_t* addr) {
    std::string* out = Key(key);
    out->push_back('"');
    AppendAddress(out, family, addr);
    out->push_back('"');
  }
  // The flags' names; false (nothing written) if none has one.
  void Flags(uint32_t flags, bool always) {
    std::string names;
    for (const FlagName& f : kFlagNames)
      if (flags & f.bit) names.append(names.empty() ? "[\"" : ",\"").append(f.name).push_back('"');
    if (names.empty() && !always) return;
    Key("flags")->append(names.empty() ? "[" : names).push_back(']');
  }
  // RTA_FLOW: the source realm in the high 16 bits (shown when not 0), the destination realm in the low ones.
  void Flow(uint32_t flow) {
    ObjectWriter o(Key("flow"));
    if (flow >> 16) o.Unsigned("from", flow >> 16);
    o.Unsigned("to", flow & 0xffff);
    o.Close();
  }
  // An RTA_VIA (a well-formed one: ViaAddress).
  void Via(int family, const uint8_t* addr) {
    ObjectWriter o(Key("via"));
    o.Key("family")->append(family == AF_INET6 ? "\"inet6\"" : "\"inet\"");
    o.Address("host", family, addr);
    o.Close();
  }
  bool Close() {
    if (!first_) out_->push_back('}');
    return !first_;
  }

 private:
  std::string* out_;
  bool first_ = true;
};

}  // namespace

void RouteBatcher::AppendNexthops(const rtmsg* rtm, const rtattr* multipath, std::vector<uint16_t>* undecoded) {
  extras_.push_back('[');
  const uint8_t* p = static_cast<const uint8_t*>(RTA_DATA(multipath));
  size_t left = RTA_PAYLOAD(multipath);
  bool first = true;
  while (left >= sizeof(rtnexthop)) {
    const rtnexthop* nh = reinterpret_cast<const rtnexthop*>(p);
    if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > left) {
      undecoded->push_back(RTA_MULTIPATH);  // a malformed rest
      break;
    }
    if (!first) extras_.push_back(',');
    first = false;
    ObjectWriter o(&extras_);
    o.Unsigned("dev", InternDev(static_cast<uint32_t>(nh->rtnh_ifindex)));
    o.Unsigned("weight", nh->rtnh_hops + 1u);
    o.Flags(nh->rtnh_flags, true);
    const uint8_t* gateway = nullptr;
    const uint8_t* via = nullptr;
    int via_family = 0;
    uint32_t flow = 0;
    int len = static_cast<int>(nh->rtnh_len - sizeof(rtnexthop));
    for (const rtattr* attr = RTNH_DATA(nh); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
      if (attr->rta_type == RTA_GATEWAY && RTA_PAYLOAD(attr) == FamilyAddressLength(rtm->rtm_family)) {
        gateway = static_cast<const uint8_t*>(RTA_DATA(attr));
      } else if (const uint8_t* addr = attr->rta_type == RTA_VIA ? ViaAddress(attr, &via_family) : nullptr) {
        via = addr;
      } else if (attr->rta_type == RTA_FLOW && RTA_PAYLOAD(attr) == 4) {
        flow = U32Of(attr);
      } else {
        undecoded->push_back(attr->rta_type);
      }
    }
    if (gateway) o.Address("gateway", rtm->rtm_family, gateway);
    if (via) o.Via(via_family, via);
    if (flow) o.Flow(flow);
    o.Close();
    const size_t step = RTNH_ALIGN(nh->rtnh_len);
    if (step >= left) break;
    left -= step;
    p += step;
  }
  extras_.push_back(']');
}

void RouteBatcher::AppendMetrics(const rtattr* metrics, std::vector<uint16_t>* undecoded) {
  ObjectWriter o(&extras_);
  std::string cc;
  uint32_t lock = 0;
  bool has_lock = false;
  int len = static_cast<int>(RTA_PAYLOAD(metrics));
  for (const rtattr* attr = static_cast<const rtattr*>(RTA_DATA(metrics)); RTA_OK(attr, len);
       attr = RTA_NEXT(attr, len)) {
    const unsigned type = attr->rta_type;
    if (type == RTAX_CC_ALGO) {
      AppendJsonString(&cc, static_cast<const char*>(RTA_DATA(attr)), RTA_PAYLOAD(attr));
    } else if (RTA_PAYLOAD(attr) != 4 || type > RTAX_MAX) {
      undecoded->push_back(RTA_METRICS);
    } else if (type == RTAX_LOCK) {
      lock = U32Of(attr);
      has_lock = true;
    } else if (type != RTAX_HOPLIMIT || U32Of(attr) != 0xffffffff) {  // ip shows no hoplimit of -1
      const char* name = MetricName(type);
      const std::string unnamed = name ? "" : "metric " + std::to_string(type);
      o.Unsigned(name ? name : unnamed.c_str(), MetricFromKernel(type, U32Of(attr)));
    }
  }
  if (!cc.empty()) o.Key("congestion")->append(cc);
  if (has_lock) o.Unsigned("lock", lock);
  if (!o.Close()) extras_.append("{}");
}

bool RouteBatcher::AppendExtras(const rtmsg* rtm, const RouteExtraAttrs& attrs) {
  const size_t before = extras_.size();
  if (before) extras_.push_back(',');
  ObjectWriter o(&extras_);
  std::vector<uint16_t> undecoded = attrs.undecoded;
  const int family = rtm->rtm_family;
  if (rtm->rtm_flags) o.Flags(rtm->rtm_flags, false);
  if (rtm->rtm_tos) o.Unsigned("tos", rtm->rtm_tos);
  if (attrs.src || rtm->rtm_src_len) {
    static const uint8_t kZero[16] = {};
    std::string* out = o.Key("src");
    out->push_back('"');
    AppendAddress(out, family, attrs.src ? static_cast<const uint8_t*>(RTA_DATA(attrs.src)) : kZero);
    out->append("/" + std::to_string(rtm->rtm_src_len) + "\"");
  }
  if (attrs.nh_id) o.Unsigned("nhid", U32Of(attrs.nh_id));
  if (attrs.via) {
    int via_family = 0;
    const uint8_t* addr = ViaAddress(attrs.via, &via_family);
    if (addr) {
      o.Via(via_family, addr);
    } else {
      undecoded.push_back(RTA_VIA);
    }
  }
  if (attrs.metrics) {
    o.Key("metrics");
    AppendMetrics(attrs.metrics, &undecoded);
  }
  if (attrs.cacheinfo) {
    rta_cacheinfo ci;
    memcpy(&ci, RTA_DATA(attrs.cacheinfo), sizeof(ci));
    static const long kHz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    if (ci.rta_expires) o.Number("expires", static_cast<int32_t>(ci.rta_expires) / kHz);
    if (ci.rta_error) o.Unsigned("error", ci.rta_error);
  }
  if (attrs.uid) o.Unsigned("uid", U32Of(attrs.uid));
  if (attrs.mark) o.Unsigned("mark", U32Of(attrs.mark));
  if (attrs.flow) o.Flow(U32Of(attrs.flow));
  if (attrs.multipath) {
    o.Key("nexthops");
    AppendNexthops(rtm, attrs.multipath, &undecoded);
  }
  if (!undecoded.empty()) {
    std::string* out = o.Key("undecoded");
    out->push_back('[');
    for (size_t i = 0; i < undecoded.size(); i++) out->append((i ? "," : "") + std::to_string(undecoded[i]));
    out->push_back(']');
  }
  if (o.Close()) return true;
  extras_.resize(before);
  return false;
}
