// nf_tables over nfnetlink (linux/netfilter/nf_tables.h, nfnetlink.h): the messages of our tables (the server's
// `inet redirect_gateway`: one `type nat hook postrouting priority srcnat` chain, masquerade rules; the client's
// lockdown, nft_filter.h) and the decoders of the kernel's replies, as far as recognising those tables and rules
// needs.
// Numbers in nf_tables attributes are big-endian; every message carries a struct nfgenmsg.
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
// A table's mark of ours: its comment (NFTA_TABLE_USERDATA as libnftnl writes a comment, which `nft list` shows),
// so a table of that name that someone else made is told apart from ours and never changed. This one is serve's.
constexpr const char* kTableComment = "managed by redirect-gateway serve";

// A base chain of ours (policy accept).
struct ChainSpec {
  const char* table;
  const char* name;
  const char* type;
  uint32_t hook;
  int32_t priority;
};
constexpr ChainSpec kMasqueradeChain{kTable, kChain, kChainType, kHookPostrouting, kPrioritySrcnat};

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

// A table's NFTA_TABLE_USERDATA: the comment TLV (NFTNL_UDATA_TABLE_COMMENT, its length, the text and its NUL).
std::vector<uint8_t> TableUserdata(const char* comment);

struct Chain {
  std::string table, name, type;
  bool base = false;  // has a hook
  uint32_t hook = 0, policy = 0;
  int32_t priority = 0;
};

struct Rule {
  std::string table, chain;
  bool recognised = false;  // a Masquerade rule exactly as we write them
  std::string comment;      // from its userdata, as nft shows it
  Masquerade masquerade;
};

// The batch's frame (NFNL_MSG_BATCH_BEGIN / END for the nf_tables subsystem).
std::vector<uint8_t> EncodeBatchBegin();
std::vector<uint8_t> EncodeBatchEnd();
// Batch members (NLM_F_ACK is set by NetlinkSocket::TransactBatch).
// A table of ours with its comment; exclusive: EEXIST if a table of that name exists (made by someone meanwhile).
std::vector<uint8_t> EncodeNewTable(const std::string& table, const char* comment, bool exclusive);
// The table with this handle: the one that was read, never another made under the name since.
std::vector<uint8_t> EncodeDeleteTable(uint64_t handle);
std::vector<uint8_t> EncodeNewChain(const ChainSpec& chain);
std::vector<uint8_t> EncodeNewRule(const Masquerade& rule);
// Reads: a table of ours (ENOENT when there is none), all inet chains (a dump), a table's rules (a dump).
std::vector<uint8_t> EncodeGetTable(const std::string& table);
std::vector<uint8_t> EncodeChainDump();
std::vector<uint8_t> EncodeRuleDump(const std::string& table);

// Each decoder fills *out from its NFT_MSG_NEW* message and returns false for any other message.
bool DecodeTable(const nlmsghdr* msg, Table* out);
bool DecodeChain(const nlmsghdr* msg, Chain* out);
bool DecodeRule(const nlmsghdr* msg, Rule* out);

// "ip saddr 172.16.0.0/16 oifname \"eth0\" masquerade", for error messages.
std::string Describe(const Masquerade& rule);

}  // namespace nft
