// Builds one rtnetlink request: a header, the family's fixed part, then attributes, in a buffer that grows.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

class AttributeWriter {
 public:
  AttributeWriter(uint16_t type, uint16_t flags, size_t fixed) : bytes_(NLMSG_SPACE(fixed) + 256) {
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = flags;
    hdr()->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(fixed));
  }
  template <typename T>
  T* Header() {
    return static_cast<T*>(NLMSG_DATA(hdr()));
  }
  void Put(uint16_t type, const void* data, size_t len) {
    const size_t at = NLMSG_ALIGN(hdr()->nlmsg_len);
    if (at + RTA_SPACE(len) > bytes_.size()) bytes_.resize(at + RTA_SPACE(len));  // a long name
    rtattr* attr = reinterpret_cast<rtattr*>(bytes_.data() + at);
    attr->rta_type = type;
    attr->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    if (len) memcpy(RTA_DATA(attr), data, len);
    hdr()->nlmsg_len = static_cast<uint32_t>(at + RTA_ALIGN(attr->rta_len));
  }
  void PutU32(uint16_t type, uint32_t value) { Put(type, &value, sizeof(value)); }
  void PutU8(uint16_t type, uint8_t value) { Put(type, &value, sizeof(value)); }
  std::vector<uint8_t> Take() {
    bytes_.resize(hdr()->nlmsg_len);
    return std::move(bytes_);
  }

 private:
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(bytes_.data()); }
  std::vector<uint8_t> bytes_;
};
