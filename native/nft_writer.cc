#include "nft_writer.h"

#include <arpa/inet.h>
#include <endian.h>

#include <cstring>

namespace nft {

Writer::Writer(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id) {
  bytes_.resize(NLMSG_SPACE(sizeof(nfgenmsg)));
  nlmsghdr* hdr = Hdr();
  hdr->nlmsg_type = type;
  hdr->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nfgenmsg* gen = static_cast<nfgenmsg*>(NLMSG_DATA(hdr));
  gen->nfgen_family = family;
  gen->version = NFNETLINK_V0;
  gen->res_id = htons(res_id);
}

void Writer::Put(uint16_t type, const void* data, size_t len) {
  const size_t at = bytes_.size();
  bytes_.resize(at + NLA_ALIGN(NLA_HDRLEN + len));
  nlattr* attr = reinterpret_cast<nlattr*>(bytes_.data() + at);
  attr->nla_type = type;
  attr->nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  if (len) memcpy(bytes_.data() + at + NLA_HDRLEN, data, len);
}

void Writer::PutBe32(uint16_t type, uint32_t value) {
  value = htonl(value);
  Put(type, &value, sizeof(value));
}

void Writer::PutBe64(uint16_t type, uint64_t value) {
  value = htobe64(value);
  Put(type, &value, sizeof(value));
}

size_t Writer::Begin(uint16_t type) {
  const size_t at = bytes_.size();
  Put(static_cast<uint16_t>(type | NLA_F_NESTED), nullptr, 0);
  return at;
}

void Writer::End(size_t at) {
  reinterpret_cast<nlattr*>(bytes_.data() + at)->nla_len = static_cast<uint16_t>(bytes_.size() - at);
}

std::vector<uint8_t> Writer::Take() {
  Hdr()->nlmsg_len = static_cast<uint32_t>(bytes_.size());
  return std::move(bytes_);
}

void Expression(Writer* w, const char* name, const std::function<void(Writer*)>& data) {
  const size_t elem = w->Begin(NFTA_LIST_ELEM);
  w->PutString(NFTA_EXPR_NAME, name);
  const size_t nest = w->Begin(NFTA_EXPR_DATA);
  data(w);
  w->End(nest);
  w->End(elem);
}

void Meta(Writer* w, uint32_t key) {
  Expression(w, "meta", [key](Writer* e) {
    e->PutBe32(NFTA_META_KEY, key);
    e->PutBe32(NFTA_META_DREG, kRegister);
  });
}

void Data(Writer* w, uint16_t type, const uint8_t* data, size_t len) {
  const size_t nest = w->Begin(type);
  w->Put(NFTA_DATA_VALUE, data, len);
  w->End(nest);
}

void Compare(Writer* w, uint32_t op, const uint8_t* data, size_t len) {
  Expression(w, "cmp", [op, data, len](Writer* e) {
    e->PutBe32(NFTA_CMP_SREG, kRegister);
    e->PutBe32(NFTA_CMP_OP, op);
    Data(e, NFTA_CMP_DATA, data, len);
  });
}

void Payload(Writer* w, uint32_t base, uint32_t offset, uint32_t len) {
  Expression(w, "payload", [&](Writer* e) {
    e->PutBe32(NFTA_PAYLOAD_DREG, kRegister);
    e->PutBe32(NFTA_PAYLOAD_BASE, base);
    e->PutBe32(NFTA_PAYLOAD_OFFSET, offset);
    e->PutBe32(NFTA_PAYLOAD_LEN, len);
  });
}

void ComparePrefix(Writer* w, uint32_t offset, const uint8_t* address, uint8_t prefix_len, size_t address_len) {
  const bool whole_bytes = prefix_len % 8 == 0;
  const uint32_t len = whole_bytes ? prefix_len / 8u : static_cast<uint32_t>(address_len);
  Payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, len);
  if (!whole_bytes) {
    uint8_t mask[16], zero[16] = {};
    PrefixMask(prefix_len, len, mask);
    Expression(w, "bitwise", [&](Writer* e) {
      e->PutBe32(NFTA_BITWISE_SREG, kRegister);
      e->PutBe32(NFTA_BITWISE_DREG, kRegister);
      e->PutBe32(NFTA_BITWISE_LEN, len);
      Data(e, NFTA_BITWISE_MASK, mask, len);
      Data(e, NFTA_BITWISE_XOR, zero, len);
    });
  }
  CompareEqual(w, address, len);
}

void PrefixMask(uint8_t bits, size_t len, uint8_t* mask) {
  for (size_t b = 0; b < len; b++) {
    const unsigned left = bits > b * 8 ? bits - b * 8 : 0;
    mask[b] = left >= 8 ? 0xff : static_cast<uint8_t>(0xff00 >> left);
  }
}

void PutComment(Writer* w, const std::string& text) {
  const size_t len = std::min<size_t>(text.size() + 1, 255);
  std::vector<uint8_t> tlv{0, static_cast<uint8_t>(len)};
  tlv.insert(tlv.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(len - 1));
  tlv.push_back(0);
  w->Put(NFTA_RULE_USERDATA, tlv.data(), tlv.size());
}

}  // namespace nft
