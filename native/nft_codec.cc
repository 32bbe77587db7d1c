#include "nft_codec.h"

#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

#include "address_text.h"
#include "nft_writer.h"

namespace nft {
namespace {

constexpr size_t kNetworkSaddr4 = 12, kNetworkSaddr6 = 8;  // offsets of the source address in the IP headers

// ---- decoding ----

struct Attr {
  const uint8_t* data = nullptr;
  size_t len = 0;
  bool present = false;
};

// The attributes in [data, data+len), by type (up to max; others ignored). False: malformed.
bool Parse(const uint8_t* data, size_t len, Attr* out, size_t max) {
  for (size_t i = 0; i <= max; i++) out[i] = Attr{};
  size_t pos = 0;
  while (pos + NLA_HDRLEN <= len) {
    nlattr attr;
    memcpy(&attr, data + pos, sizeof(attr));
    if (attr.nla_len < NLA_HDRLEN || attr.nla_len > len - pos) return false;
    const uint16_t type = attr.nla_type & NLA_TYPE_MASK;
    if (type <= max) out[type] = Attr{data + pos + NLA_HDRLEN, static_cast<size_t>(attr.nla_len - NLA_HDRLEN), true};
    pos += NLA_ALIGN(attr.nla_len);
  }
  return true;
}

bool Be32(const Attr& a, uint32_t* out) {
  if (!a.present || a.len != 4) return false;
  uint32_t v;
  memcpy(&v, a.data, 4);
  *out = ntohl(v);
  return true;
}

bool Be64(const Attr& a, uint64_t* out) {
  if (!a.present || a.len != 8) return false;
  uint64_t v;
  memcpy(&v, a.data, 8);
  *out = be64toh(v);
  return true;
}

bool String(const Attr& a, std::string* out) {
  if (!a.present) return false;
  out->assign(reinterpret_cast<const char*>(a.data), strnlen(reinterpret_cast<const char*>(a.data), a.len));
  return true;
}

bool Equals(const Attr& a, uint32_t value) {
  uint32_t v;
  return Be32(a, &v) && v == value;
}

// The attributes of an nf_tables message of the given type, after its nfgenmsg (family inet only).
bool Message(const nlmsghdr* msg, int type, Attr* out, size_t max) {
  if (msg->nlmsg_type != MessageType(type) || msg->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return false;
  const nfgenmsg* gen = static_cast<const nfgenmsg*>(NLMSG_DATA(msg));
  if (gen->nfgen_family != NFPROTO_INET) return false;
  const uint8_t* attrs = static_cast<const uint8_t*>(NLMSG_DATA(msg)) + NLMSG_ALIGN(sizeof(nfgenmsg));
  return Parse(attrs, msg->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nfgenmsg))), out, max);
}

// One decoded expression: its name and its data's attributes (every expression we recognise has < 8).
struct Expr {
  std::string name;
  Attr data[8];
};
constexpr size_t kMaxExprAttr = 7;

bool Expressions(const Attr& list, std::vector<Expr>* out) {
  size_t pos = 0;
  while (pos + NLA_HDRLEN <= list.len) {
    nlattr attr;
    memcpy(&attr, list.data + pos, sizeof(attr));
    if (attr.nla_len < NLA_HDRLEN || attr.nla_len > list.len - pos) return false;
    Attr elem[NFTA_EXPR_MAX + 1];
    if (!Parse(list.data + pos + NLA_HDRLEN, attr.nla_len - NLA_HDRLEN, elem, NFTA_EXPR_MAX)) return false;
    Expr e;
    if (!String(elem[NFTA_EXPR_NAME], &e.name)) return false;
    if (elem[NFTA_EXPR_DATA].present &&
        !Parse(elem[NFTA_EXPR_DATA].data, elem[NFTA_EXPR_DATA].len, e.data, kMaxExprAttr))
      return false;
    out->push_back(std::move(e));
    pos += NLA_ALIGN(attr.nla_len);
  }
  return true;
}

// The comment in a rule's userdata (libnftnl's TLVs: type, length, value; the comment is type 0, text and NUL).
void Comment(const Attr& userdata, std::string* out) {
  size_t pos = 0;
  while (userdata.present && pos + 2 <= userdata.len) {
    const uint8_t type = userdata.data[pos], len = userdata.data[pos + 1];
    if (len > userdata.len - pos - 2) return;
    if (type == 0) {
      const char* text = reinterpret_cast<const char*>(userdata.data + pos + 2);
      out->assign(text, strnlen(text, len));
      return;
    }
    pos += 2 + len;
  }
}

// The NFTA_DATA_VALUE inside a nested data attribute.
bool Value(const Attr& nested, Attr* value) {
  Attr inner[NFTA_DATA_MAX + 1];
  if (!nested.present || !Parse(nested.data, nested.len, inner, NFTA_DATA_MAX)) return false;
  *value = inner[NFTA_DATA_VALUE];
  return value->present;
}

bool IsMeta(const Expr& e, uint32_t key) {
  return e.name == "meta" && Equals(e.data[NFTA_META_KEY], key) && Equals(e.data[NFTA_META_DREG], kRegister);
}

// cmp eq reg 1 VALUE: *value is the compared bytes.
bool IsCompareEqual(const Expr& e, Attr* value) {
  return e.name == "cmp" && Equals(e.data[NFTA_CMP_SREG], kRegister) && Equals(e.data[NFTA_CMP_OP], NFT_CMP_EQ) &&
         Value(e.data[NFTA_CMP_DATA], value);
}

// Our rule's expressions, in order: meta nfproto, cmp; payload saddr [, bitwise]; cmp; meta oifname, cmp; masq.
bool Recognise(const std::vector<Expr>& x, Masquerade* out) {
  size_t i = 0;
  auto next = [&x, &i]() -> const Expr* { return i < x.size() ? &x[i++] : nullptr; };
  const Expr* e = next();
  Attr v;
  if (!e || !IsMeta(*e, NFT_META_NFPROTO) || !(e = next()) || !IsCompareEqual(*e, &v) || v.len != 1) return false;
  const uint8_t nfproto = v.data[0];
  if (nfproto != NFPROTO_IPV4 && nfproto != NFPROTO_IPV6) return false;
  out->family = nfproto == NFPROTO_IPV4 ? AF_INET : AF_INET6;
  const size_t address_len = out->family == AF_INET ? 4 : 16;
  uint32_t len = 0;
  if (!(e = next()) || e->name != "payload" || !Equals(e->data[NFTA_PAYLOAD_BASE], NFT_PAYLOAD_NETWORK_HEADER) ||
      !Equals(e->data[NFTA_PAYLOAD_OFFSET], out->family == AF_INET ? kNetworkSaddr4 : kNetworkSaddr6) ||
      !Equals(e->data[NFTA_PAYLOAD_DREG], kRegister) || !Be32(e->data[NFTA_PAYLOAD_LEN], &len) || len == 0 ||
      len > address_len)
    return false;
  out->prefix_len = static_cast<uint8_t>(len * 8);
  if (!(e = next())) return false;
  if (e->name == "bitwise") {  // a prefix that is not a whole number of bytes: the address masked, as nft does
    Attr mask, exor;
    if (!Equals(e->data[NFTA_BITWISE_SREG], kRegister) || !Equals(e->data[NFTA_BITWISE_DREG], kRegister) ||
        !Equals(e->data[NFTA_BITWISE_LEN], len) || !Value(e->data[NFTA_BITWISE_MASK], &mask) || mask.len != len ||
        !Value(e->data[NFTA_BITWISE_XOR], &exor) || exor.len != len)
      return false;
    unsigned bits = 0;
    for (uint32_t b = 0; b < len; b++) {
      if (exor.data[b] != 0) return false;
      bits += static_cast<unsigned>(__builtin_popcount(mask.data[b]));
    }
    if (bits % 8 == 0 || bits > len * 8) return false;
    uint8_t expected[16];
    PrefixMask(static_cast<uint8_t>(bits), len, expected);
    if (memcmp(mask.data, expected, len) != 0) return false;
    out->prefix_len = static_cast<uint8_t>(bits);
    if (!(e = next())) return false;
  }
  if (!IsCompareEqual(*e, &v) || v.len != len) return false;
  memset(out->source, 0, sizeof(out->source));
  memcpy(out->source, v.data, len);
  uint8_t network[16];
  PrefixMask(out->prefix_len, len, network);
  for (uint32_t b = 0; b < len; b++)
    if (out->source[b] & ~network[b]) return false;  // host bits: nft would have masked them
  if (!(e = next()) || !IsMeta(*e, NFT_META_OIFNAME) || !(e = next()) || !IsCompareEqual(*e, &v) || v.len != IFNAMSIZ ||
      v.data[IFNAMSIZ - 1] != 0)
    return false;
  out->oif.assign(reinterpret_cast<const char*>(v.data), strnlen(reinterpret_cast<const char*>(v.data), IFNAMSIZ));
  if (out->oif.empty() || !(e = next()) || e->name != "masq") return false;
  for (const Attr& a : e->data)
    if (a.present) return false;  // flags or a port range: not ours
  return i == x.size();
}

}  // namespace

bool Masquerade::operator==(const Masquerade& o) const {
  return family == o.family && prefix_len == o.prefix_len && memcmp(source, o.source, sizeof(source)) == 0 &&
         oif == o.oif;
}

std::vector<uint8_t> EncodeBatchBegin() {
  return Writer(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES).Take();
}

std::vector<uint8_t> EncodeBatchEnd() { return Writer(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES).Take(); }

std::vector<uint8_t> TableUserdata(const char* comment) {
  constexpr uint8_t kCommentType = 0;  // NFTNL_UDATA_TABLE_COMMENT
  const size_t len = strlen(comment) + 1;
  std::vector<uint8_t> udata(2 + len);
  udata[0] = kCommentType;
  udata[1] = static_cast<uint8_t>(len);
  memcpy(udata.data() + 2, comment, len);
  return udata;
}

std::vector<uint8_t> EncodeNewTable(const std::string& table, const char* comment, bool exclusive) {
  Writer w(MessageType(NFT_MSG_NEWTABLE), static_cast<uint16_t>(NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0)),
           NFPROTO_INET);
  w.PutString(NFTA_TABLE_NAME, table);
  w.PutBe32(NFTA_TABLE_FLAGS, 0);
  const std::vector<uint8_t> udata = TableUserdata(comment);
  w.Put(NFTA_TABLE_USERDATA, udata.data(), udata.size());
  return w.Take();
}

std::vector<uint8_t> EncodeDeleteTable(uint64_t handle) {
  Writer w(MessageType(NFT_MSG_DELTABLE), 0, NFPROTO_INET);
  w.PutBe64(NFTA_TABLE_HANDLE, handle);
  return w.Take();
}

std::vector<uint8_t> EncodeNewChain(const ChainSpec& chain) {
  Writer w(MessageType(NFT_MSG_NEWCHAIN), NLM_F_CREATE, NFPROTO_INET);
  w.PutString(NFTA_CHAIN_TABLE, chain.table);
  w.PutString(NFTA_CHAIN_NAME, chain.name);
  const size_t hook = w.Begin(NFTA_CHAIN_HOOK);
  w.PutBe32(NFTA_HOOK_HOOKNUM, chain.hook);
  w.PutBe32(NFTA_HOOK_PRIORITY, static_cast<uint32_t>(chain.priority));
  w.End(hook);
  w.PutBe32(NFTA_CHAIN_POLICY, kPolicyAccept);
  w.PutString(NFTA_CHAIN_TYPE, chain.type);
  return w.Take();
}

std::vector<uint8_t> EncodeNewRule(const Masquerade& rule) {
  Writer w(MessageType(NFT_MSG_NEWRULE), NLM_F_CREATE | NLM_F_APPEND, NFPROTO_INET);
  w.PutString(NFTA_RULE_TABLE, kTable);
  w.PutString(NFTA_RULE_CHAIN, kChain);
  const size_t list = w.Begin(NFTA_RULE_EXPRESSIONS);
  const bool v4 = rule.family == AF_INET;
  const uint8_t nfproto = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  Meta(&w, NFT_META_NFPROTO);
  CompareEqual(&w, &nfproto, 1);
  ComparePrefix(&w, v4 ? kNetworkSaddr4 : kNetworkSaddr6, rule.source, rule.prefix_len, v4 ? 4 : 16);
  Meta(&w, NFT_META_OIFNAME);
  uint8_t name[IFNAMSIZ] = {};
  rule.oif.copy(reinterpret_cast<char*>(name), sizeof(name) - 1);
  CompareEqual(&w, name, sizeof(name));
  const size_t elem = w.Begin(NFTA_LIST_ELEM);
  w.PutString(NFTA_EXPR_NAME, "masq");
  w.End(elem);
  w.End(list);
  return w.Take();
}

std::vector<uint8_t> EncodeGetTable(const std::string& table) {
  Writer w(MessageType(NFT_MSG_GETTABLE), NLM_F_ACK, NFPROTO_INET);
  w.PutString(NFTA_TABLE_NAME, table);
  return w.Take();
}

std::vector<uint8_t> EncodeChainDump() {
  Writer w(MessageType(NFT_MSG_GETCHAIN), NLM_F_DUMP, NFPROTO_INET);
  return w.Take();
}

std::vector<uint8_t> EncodeRuleDump(const std::string& table) {
  Writer w(MessageType(NFT_MSG_GETRULE), NLM_F_DUMP, NFPROTO_INET);
  w.PutString(NFTA_RULE_TABLE, table);
  return w.Take();
}

bool DecodeTable(const nlmsghdr* msg, Table* out) {
  Attr a[NFTA_TABLE_MAX + 1];
  if (!Message(msg, NFT_MSG_NEWTABLE, a, NFTA_TABLE_MAX) || !String(a[NFTA_TABLE_NAME], &out->name)) return false;
  if (!Be32(a[NFTA_TABLE_FLAGS], &out->flags)) out->flags = 0;
  if (!Be32(a[NFTA_TABLE_USE], &out->use)) out->use = 0;
  if (!Be64(a[NFTA_TABLE_HANDLE], &out->handle)) out->handle = 0;
  const Attr& udata = a[NFTA_TABLE_USERDATA];
  out->has_userdata = udata.present;
  out->userdata.assign(udata.data, udata.data + udata.len);
  return true;
}

bool DecodeChain(const nlmsghdr* msg, Chain* out) {
  Attr a[NFTA_CHAIN_MAX + 1];
  if (!Message(msg, NFT_MSG_NEWCHAIN, a, NFTA_CHAIN_MAX) || !String(a[NFTA_CHAIN_TABLE], &out->table) ||
      !String(a[NFTA_CHAIN_NAME], &out->name))
    return false;
  if (!String(a[NFTA_CHAIN_TYPE], &out->type)) out->type.clear();
  if (!Be32(a[NFTA_CHAIN_POLICY], &out->policy)) out->policy = 0;
  Attr hook[NFTA_HOOK_MAX + 1];
  uint32_t priority = 0;
  out->base = a[NFTA_CHAIN_HOOK].present &&
              Parse(a[NFTA_CHAIN_HOOK].data, a[NFTA_CHAIN_HOOK].len, hook, NFTA_HOOK_MAX) &&
              Be32(hook[NFTA_HOOK_HOOKNUM], &out->hook) && Be32(hook[NFTA_HOOK_PRIORITY], &priority);
  out->priority = static_cast<int32_t>(priority);
  return true;
}

bool DecodeRule(const nlmsghdr* msg, Rule* out) {
  Attr a[NFTA_RULE_MAX + 1];
  if (!Message(msg, NFT_MSG_NEWRULE, a, NFTA_RULE_MAX) || !String(a[NFTA_RULE_TABLE], &out->table) ||
      !String(a[NFTA_RULE_CHAIN], &out->chain))
    return false;
  out->comment.clear();
  Comment(a[NFTA_RULE_USERDATA], &out->comment);
  std::vector<Expr> expressions;
  out->masquerade = Masquerade{};
  out->recognised = a[NFTA_RULE_EXPRESSIONS].present && Expressions(a[NFTA_RULE_EXPRESSIONS], &expressions) &&
                    Recognise(expressions, &out->masquerade);
  return true;
}

std::string Describe(const Masquerade& rule) {
  std::string text = rule.family == AF_INET ? "ip saddr " : "ip6 saddr ";
  AppendPrefix(&text, rule.family, rule.source, rule.prefix_len);
  return text + " oifname \"" + rule.oif + "\" masquerade";
}

}  // namespace nft
