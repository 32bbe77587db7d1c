// The building blocks of the nf_tables messages we write (nft_codec.cc: tables, chains, masquerade rules;
// nft_filter.cc: the lockdown's filter rules): one nfnetlink message with its attributes and nests, and the
// expressions as nft itself encodes them, so that `nft list ruleset` shows our rules in its own words.
#pragma once

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nft {

constexpr uint32_t kRegister = NFT_REG_1;

inline uint16_t MessageType(int type) { return static_cast<uint16_t>(NFNL_SUBSYS_NFTABLES << 8 | type); }

// One nfnetlink message being written: header, nfgenmsg, attributes, nests.
class Writer {
 public:
  Writer(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id = 0);
  void Put(uint16_t type, const void* data, size_t len);
  void PutBe32(uint16_t type, uint32_t value);
  void PutBe64(uint16_t type, uint64_t value);
  void PutString(uint16_t type, const std::string& text) { Put(type, text.c_str(), text.size() + 1); }
  size_t Begin(uint16_t type);
  void End(size_t at);
  std::vector<uint8_t> Take();

 private:
  nlmsghdr* Hdr() { return reinterpret_cast<nlmsghdr*>(bytes_.data()); }
  std::vector<uint8_t> bytes_;
};

// An expression: NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }.
void Expression(Writer* w, const char* name, const std::function<void(Writer*)>& data);
// meta KEY -> register 1.
void Meta(Writer* w, uint32_t key);
// A nested NFTA_DATA_VALUE.
void Data(Writer* w, uint16_t type, const uint8_t* data, size_t len);
// cmp OP register 1 DATA.
void Compare(Writer* w, uint32_t op, const uint8_t* data, size_t len);
inline void CompareEqual(Writer* w, const uint8_t* data, size_t len) { Compare(w, NFT_CMP_EQ, data, len); }
// payload BASE OFFSET LEN -> register 1.
void Payload(Writer* w, uint32_t base, uint32_t offset, uint32_t len);
// An address prefix in register 1 compared: bitwise-masked first when it is not a whole number of bytes (as nft
// does). `offset` is the address's in the network header; only the prefix's bytes are loaded.
void ComparePrefix(Writer* w, uint32_t offset, const uint8_t* address, uint8_t prefix_len, size_t address_len);
// The first `bits` bits of len bytes set.
void PrefixMask(uint8_t bits, size_t len, uint8_t* mask);
// A rule's comment as nft writes it into NFTA_RULE_USERDATA (libnftnl's TLV: type 0, length, text and its NUL).
void PutComment(Writer* w, const std::string& text);

}  // namespace nft
