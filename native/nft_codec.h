// nf_tables over nfnetlink (linux/netfilter/nf_tables.h, nfnetlink.h): the messages of our one table
// (`inet redirect_gateway`, one `type nat hook postrouting priority srcnat` chain, masquerade rules) and the
// decoders of the kernel's replies, as far as recognising that table and those rules needs. Numbers in nf_tables
// attributes are big-endian; every message carries a struct nfgenmsg.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nft {

constexpr const char* kTable = "redirect_gateway";
constexpr const char* kChain = "postrouting";
constexpr const char* kChainType = "nat";
constexpr uint32_t kHookPostrouting = 4;  // NF_INET_POST_ROUTING
constexpr int32_t kPrioritySrcnat = 100;  // NF_IP_PRI_NAT_SRC
constexpr uint32_t kPolicyAccept = 1;     // NF_ACCEPT
// Our table's mark: its comment (NFTA_TABLE_USERDATA as libnftnl writes a comment, which `nft list` shows), so a
// table of that name that someone else made is told apart from ours and never changed.
constexpr const char* kTableComment = "managed by redirect-gateway serve";

// `ip saddr SOURCE/PREFIX oifname "OIF" masquerade` (ip6 for AF_INET6).
struct Masquerade {
  uint8_t family = 0;  // AF_INET or AF_INET6
  uint8_t prefix_len = 0;
  uint8_t source[16] = {};  // 4 or 16 bytes by family, host bits clear
  std::string oif;
  bool operator==(const Masquerade& o) const;
};

struct Table {
  std::string name;
  uint32_t flags = 0, use = 0;  // use: the chains, sets and other objects in it
  uint64_t handle = 0;
  bool has_userdata = false;
  std::vector<uint8_t> userdata;
};

// Our table's NFTA_TABLE_USERDATA: the comment TLV (NFTNL_UDATA_TABLE_COMMENT, its length, the text and its NUL).
std::vector<uint8_t> TableUserdata();

struct Chain {
  std::string table, name, type;
  bool base = false;  // has a hook
  uint32_t hook = 0, policy = 0;
  int32_t priority = 0;
};

struct Rule {
  std::string table, chain;
  bool recognised = false;  // a Masquerade rule exactly as we write them
  Masquerade masquerade;
};

// The batch's frame (NFNL_MSG_BATCH_BEGIN / END for the nf_tables subsystem).
std::vector<uint8_t> EncodeBatchBegin();
std::vector<uint8_t> EncodeBatchEnd();
// Batch members (NLM_F_ACK is set by NetlinkSocket::TransactBatch).
// Our table with its comment; exclusive: EEXIST if a table of that name exists (made by someone meanwhile).
std::vector<uint8_t> EncodeNewTable(bool exclusive);
// The table with this handle: the one that was read, never another made under the name since.
std::vector<uint8_t> EncodeDeleteTable(uint64_t handle);
std::vector<uint8_t> EncodeNewChain();
std::vector<uint8_t> EncodeNewRule(const Masquerade& rule);
// Reads: our table (ENOENT when there is none), all inet chains (a dump), our table's rules (a dump).
std::vector<uint8_t> EncodeGetTable();
std::vector<uint8_t> EncodeChainDump();
std::vector<uint8_t> EncodeRuleDump();

// Each decoder fills *out from its NFT_MSG_NEW* message and returns false for any other message.
bool DecodeTable(const nlmsghdr* msg, Table* out);
bool DecodeChain(const nlmsghdr* msg, Chain* out);
bool DecodeRule(const nlmsghdr* msg, Rule* out);

// "ip saddr 172.16.0.0/16 oifname \"eth0\" masquerade", for error messages.
std::string Describe(const Masquerade& rule);

}  // namespace nft
