// The extras of a route (route_codec.h, namespace packed): what a plain route does not have, written as one
// JSON object, with addresses and devices as interned string ids:
//   {"f":rtm_flags, "tos":rtm_tos, "src":[id,rtm_src_len], "nhid":N, "via":[family,id], "uid":N, "mark":N,
//    "flow":RTA_FLOW, "exp":seconds, "err":N, "m":[[RTAX_*,value],...], "lock":mask, "cc":"name",
//    "nh":[[gateway,via_family,via,dev,hops,flags,flow],...], "u":[attribute type,...]}
// "src"'s id is 0 for a source length without RTA_SRC; a next hop's flow is 0 without RTA_FLOW.
// Every member is optional; "u" lists the attribute types that were not decoded (or were malformed).
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

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
    uint32_t gateway = 0, via = 0, flow = 0;
    int via_family = 0;
    int len = static_cast<int>(nh->rtnh_len - sizeof(rtnexthop));
    for (const rtattr* attr = RTNH_DATA(nh); RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
      if (attr->rta_type == RTA_GATEWAY && RTA_PAYLOAD(attr) == FamilyAddressLength(rtm->rtm_family)) {
        gateway = InternAddress(rtm->rtm_family, static_cast<const uint8_t*>(RTA_DATA(attr)));
      } else if (const uint8_t* addr = attr->rta_type == RTA_VIA ? ViaAddress(attr, &via_family) : nullptr) {
        via = InternAddress(via_family, addr);
      } else if (attr->rta_type == RTA_FLOW && RTA_PAYLOAD(attr) == 4) {
        flow = U32Of(attr);
      } else {
        undecoded->push_back(attr->rta_type);
      }
    }
    if (!first) extras_.push_back(',');
    first = false;
    extras_.append("[" + std::to_string(gateway) + "," + std::to_string(via ? via_family : 0) + "," +
                   std::to_string(via) + "," + std::to_string(InternDev(static_cast<uint32_t>(nh->rtnh_ifindex))) +
                   "," + std::to_string(nh->rtnh_hops) + "," + std::to_string(nh->rtnh_flags) + "," +
                   std::to_string(flow) + "]");
    const size_t step = RTNH_ALIGN(nh->rtnh_len);
    if (step >= left) break;
    left -= step;
    p += step;
  }
  extras_.push_back(']');
}

void RouteBatcher::AppendMetrics(const rtattr* metrics, std::vector<uint16_t>* undecoded) {
  std::string values, cc;
  uint32_t lock = 0;
  bool has_lock = false;
  int len = static_cast<int>(RTA_PAYLOAD(metrics));
  for (const rtattr* attr = static_cast<const rtattr*>(RTA_DATA(metrics)); RTA_OK(attr, len);
       attr = RTA_NEXT(attr, len)) {
    if (attr->rta_type == RTAX_CC_ALGO) {
      AppendJsonString(&cc, static_cast<const char*>(RTA_DATA(attr)), RTA_PAYLOAD(attr));
    } else if (RTA_PAYLOAD(attr) != 4 || attr->rta_type > RTAX_MAX) {
      undecoded->push_back(RTA_METRICS);
    } else if (attr->rta_type == RTAX_LOCK) {
      lock = U32Of(attr);
      has_lock = true;
    } else {
      values +=
          (values.empty() ? "[" : ",[") + std::to_string(attr->rta_type) + "," + std::to_string(U32Of(attr)) + "]";
    }
  }
  extras_.append("[" + values + "]");
  if (has_lock) extras_.append(",\"lock\":" + std::to_string(lock));
  if (!cc.empty()) extras_.append(",\"cc\":" + cc);
}

bool RouteBatcher::AppendExtras(const rtmsg* rtm, const RouteExtraAttrs& attrs) {
  const size_t before = extras_.size();
  if (before) extras_.push_back(',');
  ObjectWriter o(&extras_);
  std::vector<uint16_t> undecoded = attrs.undecoded;
  if (rtm->rtm_flags) o.Unsigned("f", rtm->rtm_flags);
  if (rtm->rtm_tos) o.Unsigned("tos", rtm->rtm_tos);
  if (attrs.src || rtm->rtm_src_len) {
    const uint32_t id =
        attrs.src ? InternAddress(rtm->rtm_family, static_cast<const uint8_t*>(RTA_DATA(attrs.src))) : 0;
    o.Key("src")->append("[" + std::to_string(id) + "," + std::to_string(rtm->rtm_src_len) + "]");
  }
  if (attrs.nh_id) o.Unsigned("nhid", U32Of(attrs.nh_id));
  if (attrs.via) {
    int family = 0;
    const uint8_t* addr = ViaAddress(attrs.via, &family);
    if (addr) {
      o.Key("via")->append("[" + std::to_string(family) + "," + std::to_string(InternAddress(family, addr)) + "]");
    } else {
      undecoded.push_back(RTA_VIA);
    }
  }
  if (attrs.uid) o.Unsigned("uid", U32Of(attrs.uid));
  if (attrs.mark) o.Unsigned("mark", U32Of(attrs.mark));
  if (attrs.flow) o.Unsigned("flow", U32Of(attrs.flow));
  if (attrs.cacheinfo) {
    rta_cacheinfo ci;
    memcpy(&ci, RTA_DATA(attrs.cacheinfo), sizeof(ci));
    static const long kHz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    if (ci.rta_expires) o.Number("exp", static_cast<int32_t>(ci.rta_expires) / kHz);
    if (ci.rta_error) o.Unsigned("err", ci.rta_error);
  }
  if (attrs.metrics) {
    o.Key("m");
    AppendMetrics(attrs.metrics, &undecoded);
  }
  if (attrs.multipath) {
    o.Key("nh");
    AppendNexthops(rtm, attrs.multipath, &undecoded);
  }
  if (!undecoded.empty()) {
    std::string* out = o.Key("u");
    out->push_back('[');
    for (size_t i = 0; i < undecoded.size(); i++) out->append((i ? "," : "") + std::to_string(undecoded[i]));
    out->push_back(']');
  }
  if (o.Close()) return true;
  extras_.resize(before);
  return false;
}
