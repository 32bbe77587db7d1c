#include "nft_filter.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "address_text.h"
#include "nft_writer.h"

namespace nft {
namespace {

constexpr size_t kNetworkDaddr4 = 16, kNetworkDaddr6 = 24;  // offsets of the destination in the IP headers
constexpr uint32_t kTransportSport = 0, kTransportDport = 2, kTransportIcmpType = 0;

bool Ports(const Filter& r) { return r.l4proto == IPPROTO_TCP || r.l4proto == IPPROTO_UDP; }

void ComparePort(Writer* w, uint32_t offset, uint16_t port) {
  Payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
  const uint16_t be = htons(port);
  CompareEqual(w, reinterpret_cast<const uint8_t*>(&be), 2);
}

void Verdict(Writer* w, uint32_t code) {
  Expression(w, "immediate", [code](Writer* e) {
    e->PutBe32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
    const size_t data = e->Begin(NFTA_IMMEDIATE_DATA);
    const size_t verdict = e->Begin(NFTA_DATA_VERDICT);
    e->PutBe32(NFTA_VERDICT_CODE, code);
    e->End(verdict);
    e->End(data);
  });
}

void Reject(Writer* w, bool tcp) {
  Expression(w, "reject", [tcp](Writer* e) {
    e->PutBe32(NFTA_REJECT_TYPE, tcp ? NFT_REJECT_TCP_RST : NFT_REJECT_ICMPX_UNREACH);
    if (!tcp) {
      const uint8_t code = NFT_REJECT_ICMPX_ADMIN_PROHIBITED;
      e->Put(NFTA_REJECT_ICMP_CODE, &code, 1);
    }
  });
}

const char* ProtocolName(uint8_t l4proto) {
  return l4proto == IPPROTO_TCP ? "tcp" : l4proto == IPPROTO_UDP ? "udp" : "ipv6-icmp";
}

}  // namespace

bool Valid(const Filter& r) {
  if (r.family != 0 && r.family != AF_INET && r.family != AF_INET6) return false;
  if (r.daddr_len > (r.family == AF_INET ? 32 : 128) || (r.daddr_len && !r.family)) return false;
  if (r.oif.size() >= IFNAMSIZ) return false;
  uint8_t mask[16];
  PrefixMask(r.daddr_len, sizeof(mask), mask);
  for (size_t b = 0; b < sizeof(mask); b++)
    if (r.daddr[b] & ~mask[b]) return false;  // host bits: the comparison would never match
  if (r.l4proto != 0 && !Ports(r) && r.l4proto != IPPROTO_ICMPV6) return false;
  if ((r.sport || r.dport) && !Ports(r)) return false;
  if ((r.icmp_type_min || r.icmp_type_max) && (r.l4proto != IPPROTO_ICMPV6 || r.icmp_type_min > r.icmp_type_max))
    return false;
  return r.verdict == Filter::kAccept || r.verdict == Filter::kReject;
}

std::vector<uint8_t> EncodeNewRule(const Filter& r, const ChainSpec& chain) {
  Writer w(MessageType(NFT_MSG_NEWRULE), NLM_F_CREATE | NLM_F_APPEND, NFPROTO_INET);
  w.PutString(NFTA_RULE_TABLE, chain.table);
  w.PutString(NFTA_RULE_CHAIN, chain.name);
  const size_t list = w.Begin(NFTA_RULE_EXPRESSIONS);
  if (r.family) {
    const uint8_t nfproto = r.family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
    Meta(&w, NFT_META_NFPROTO);
    CompareEqual(&w, &nfproto, 1);
  }
  if (!r.oif.empty()) {
    uint8_t name[IFNAMSIZ] = {};
    r.oif.copy(reinterpret_cast<char*>(name), sizeof(name) - 1);
    Meta(&w, NFT_META_OIFNAME);
    CompareEqual(&w, name, sizeof(name));
  }
  if (r.daddr_len) {
    const bool v4 = r.family == AF_INET;
    ComparePrefix(&w, v4 ? kNetworkDaddr4 : kNetworkDaddr6, r.daddr, r.daddr_len, v4 ? 4 : 16);
  }
  if (r.l4proto) {
    Meta(&w, NFT_META_L4PROTO);
    CompareEqual(&w, &r.l4proto, 1);
  }
  if (r.sport) ComparePort(&w, kTransportSport, r.sport);
  if (r.dport) ComparePort(&w, kTransportDport, r.dport);
  if (r.icmp_type_min || r.icmp_type_max) {
    Payload(&w, NFT_PAYLOAD_TRANSPORT_HEADER, kTransportIcmpType, 1);
    Compare(&w, NFT_CMP_GTE, &r.icmp_type_min, 1);
    Compare(&w, NFT_CMP_LTE, &r.icmp_type_max, 1);
  }
  if (r.verdict == Filter::kAccept)
    Verdict(&w, NF_ACCEPT);
  else
    Reject(&w, r.l4proto == IPPROTO_TCP);
  w.End(list);
  PutComment(&w, Describe(r));
  return w.Take();
}

std::string Describe(const Filter& r) {
  std::string text;
  if (r.family) text += r.family == AF_INET ? "meta nfproto ipv4 " : "meta nfproto ipv6 ";
  if (!r.oif.empty()) text += "oifname \"" + r.oif + "\" ";
  if (r.daddr_len) {
    text += r.family == AF_INET ? "ip daddr " : "ip6 daddr ";
    AppendPrefix(&text, r.family, r.daddr, r.daddr_len);
    text += " ";
  }
  if (r.l4proto) text += std::string("meta l4proto ") + ProtocolName(r.l4proto) + " ";
  if (r.sport) text += "th sport " + std::to_string(r.sport) + " ";
  if (r.dport) text += "th dport " + std::to_string(r.dport) + " ";
  if (r.icmp_type_min || r.icmp_type_max)
    text += "icmpv6 type " + std::to_string(r.icmp_type_min) + "-" + std::to_string(r.icmp_type_max) + " ";
  if (r.verdict == Filter::kAccept) return text + "accept";
  return text + (r.l4proto == IPPROTO_TCP ? "reject with tcp reset" : "reject with icmpx admin-prohibited");
}

}  // namespace nft
