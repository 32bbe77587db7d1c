#include "rule_codec.h"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "attribute_writer.h"

namespace {

size_t AddressLength(uint8_t family) { return family == AF_INET6 ? 16 : 4; }

template <typename T>
bool Read(const rtattr* attr, T* out) {
  if (RTA_PAYLOAD(attr) != sizeof(T)) return false;
  memcpy(out, RTA_DATA(attr), sizeof(T));
  return true;
}

}  // namespace

std::vector<uint8_t> EncodeRuleChange(bool add, const Rule& rule) {
  const uint16_t create = add ? static_cast<uint16_t>(NLM_F_CREATE | NLM_F_EXCL) : 0;
  AttributeWriter w(add ? RTM_NEWRULE : RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK | create, sizeof(fib_rule_hdr));
  fib_rule_hdr* frh = w.Header<fib_rule_hdr>();
  frh->family = rule.family;
  frh->action = rule.action;
  frh->src_len = rule.src_len;
  frh->dst_len = rule.dst_len;
  frh->tos = rule.tos;
  frh->flags = rule.flags;
  // Tables above 255 only fit FRA_TABLE; the header's byte is then RT_TABLE_UNSPEC, as iproute2 sends it.
  frh->table = rule.table < 256 ? static_cast<uint8_t>(rule.table) : uint8_t{RT_TABLE_UNSPEC};
  const size_t alen = AddressLength(rule.family);
  if (rule.present & Rule::kPriority) w.PutU32(FRA_PRIORITY, rule.priority);
  if (rule.present & Rule::kSrc) w.Put(FRA_SRC, rule.src, alen);
  if (rule.present & Rule::kDst) w.Put(FRA_DST, rule.dst, alen);
  if (rule.present & Rule::kIif) w.Put(FRA_IIFNAME, rule.iif.c_str(), rule.iif.size() + 1);
  if (rule.present & Rule::kOif) w.Put(FRA_OIFNAME, rule.oif.c_str(), rule.oif.size() + 1);
  if (rule.present & Rule::kFwmark) w.PutU32(FRA_FWMARK, rule.fwmark);
  if (rule.present & Rule::kFwmask) w.PutU32(FRA_FWMASK, rule.fwmask);
  if (rule.present & Rule::kGoto) w.PutU32(FRA_GOTO, rule.goto_target);
  if (rule.present & Rule::kTable) w.PutU32(FRA_TABLE, rule.table);
  if (rule.present & Rule::kSuppressPrefixLength) w.PutU32(FRA_SUPPRESS_PREFIXLEN, rule.suppress_prefix_length);
  if (rule.present & Rule::kSuppressIfgroup) w.PutU32(FRA_SUPPRESS_IFGROUP, rule.suppress_ifgroup);
  if (rule.present & Rule::kFlow) w.PutU32(FRA_FLOW, rule.flow);
  if (rule.present & Rule::kUidRange) {
    const fib_rule_uid_range range{rule.uid_start, rule.uid_end};
    w.Put(FRA_UID_RANGE, &range, sizeof(range));
  }
  if (rule.present & Rule::kIpProto) w.PutU8(FRA_IP_PROTO, rule.ip_proto);
  if (rule.present & Rule::kSport) {
    const fib_rule_port_range range{rule.sport_start, rule.sport_end};
    w.Put(FRA_SPORT_RANGE, &range, sizeof(range));
  }
  if (rule.present & Rule::kDport) {
    const fib_rule_port_range range{rule.dport_start, rule.dport_end};
    w.Put(FRA_DPORT_RANGE, &range, sizeof(range));
  }
  if (rule.present & Rule::kProtocol) w.PutU8(FRA_PROTOCOL, rule.protocol);
  return w.Take();
}

std::vector<uint8_t> EncodeRuleDump(int family) {
  AttributeWriter w(RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, sizeof(fib_rule_hdr));
  w.Header<fib_rule_hdr>()->family = static_cast<uint8_t>(family);
  return w.Take();
}

void DecodeRule(const nlmsghdr* msg, std::vector<Rule>* rules) {
  if ((msg->nlmsg_type != RTM_NEWRULE && msg->nlmsg_type != RTM_DELRULE) ||
      msg->nlmsg_len < NLMSG_LENGTH(sizeof(fib_rule_hdr)))
    return;
  const fib_rule_hdr* frh = static_cast<const fib_rule_hdr*>(NLMSG_DATA(msg));
  if (frh->family != AF_INET && frh->family != AF_INET6) return;
  Rule rule;
  rule.family = frh->family;
  rule.action = frh->action;
  rule.src_len = frh->src_len;
  rule.dst_len = frh->dst_len;
  rule.tos = frh->tos;
  rule.flags = frh->flags;
  rule.table = frh->table;
  const size_t alen = AddressLength(rule.family);
  // Prefix lengths beyond the family's are the kernel's to refuse; never let one reach JS as a mask.
  if (rule.src_len > alen * 8 || rule.dst_len > alen * 8) return;
  int len = static_cast<int>(msg->nlmsg_len - NLMSG_LENGTH(sizeof(fib_rule_hdr)));
  const rtattr* attr =
      reinterpret_cast<const rtattr*>(reinterpret_cast<const uint8_t*>(frh) + NLMSG_ALIGN(sizeof(fib_rule_hdr)));
  for (; RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
    const char* data = static_cast<const char*>(RTA_DATA(attr));
    const size_t data_len = RTA_PAYLOAD(attr);
    fib_rule_uid_range uids{};
    fib_rule_port_range ports{};
    uint32_t present = 0;
    switch (attr->rta_type) {
      case FRA_PRIORITY:
        if (Read(attr, &rule.priority)) present = Rule::kPriority;
        break;
      case FRA_SRC:
        if (data_len == alen) {
          memcpy(rule.src, data, alen);
          present = Rule::kSrc;
        }
        break;
      case FRA_DST:
        if (data_len == alen) {
          memcpy(rule.dst, data, alen);
          present = Rule::kDst;
        }
        break;
      case FRA_IIFNAME:
        rule.iif.assign(data, strnlen(data, data_len));
        present = Rule::kIif;
        break;
      case FRA_OIFNAME:
        rule.oif.assign(data, strnlen(data, data_len));
        present = Rule::kOif;
        break;
      case FRA_FWMARK:
        if (Read(attr, &rule.fwmark)) present = Rule::kFwmark;
        break;
      case FRA_FWMASK:
        if (Read(attr, &rule.fwmask)) present = Rule::kFwmask;
        break;
      case FRA_GOTO:
        if (Read(attr, &rule.goto_target)) present = Rule::kGoto;
        break;
      case FRA_TABLE:
        if (Read(attr, &rule.table)) present = Rule::kTable;
        break;
      case FRA_SUPPRESS_PREFIXLEN:
        if (Read(attr, &rule.suppress_prefix_length)) present = Rule::kSuppressPrefixLength;
        break;
      case FRA_SUPPRESS_IFGROUP:
        if (Read(attr, &rule.suppress_ifgroup)) present = Rule::kSuppressIfgroup;
        break;
      case FRA_FLOW:
        if (Read(attr, &rule.flow)) present = Rule::kFlow;
        break;
      case FRA_UID_RANGE:
        if (Read(attr, &uids)) {
          rule.uid_start = uids.start;
          rule.uid_end = uids.end;
          present = Rule::kUidRange;
        }
        break;
      case FRA_IP_PROTO:
        if (Read(attr, &rule.ip_proto)) present = Rule::kIpProto;
        break;
      case FRA_SPORT_RANGE:
        if (Read(attr, &ports)) {
          rule.sport_start = ports.start;
          rule.sport_end = ports.end;
          present = Rule::kSport;
        }
        break;
      case FRA_DPORT_RANGE:
        if (Read(attr, &ports)) {
          rule.dport_start = ports.start;
          rule.dport_end = ports.end;
          present = Rule::kDport;
        }
        break;
      case FRA_PROTOCOL:
        if (Read(attr, &rule.protocol)) present = Rule::kProtocol;
        break;
      default: break;
    }
    rule.present |= present;
  }
  rules->push_back(std::move(rule));
}
