// Interface addresses (RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR, linux/if_addr.h): one struct for both
// directions, the requests, and the decoder of the kernel's replies.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

struct InterfaceAddress {
  enum Present : uint32_t { kLocal = 1, kAddress = 2, kBroadcast = 4, kLabel = 8, kCacheInfo = 16 };
  uint32_t present = 0;
  uint8_t family = 0;  // AF_INET or AF_INET6
  uint8_t prefix_len = 0, scope = 0;
  uint32_t flags = 0;  // IFA_F_* (IFA_FLAGS, or the header's byte)
  uint32_t index = 0;
  uint8_t local[16] = {}, address[16] = {}, broadcast[16] = {};  // 4 or 16 bytes by family
  std::string label;
  uint32_t valid = 0, preferred = 0;  // seconds; 0xffffffff: forever
};

// RTM_NEWADDR (NLM_F_CREATE | NLM_F_EXCL: an address that exists is EEXIST) or RTM_DELADDR, with an ack.
std::vector<uint8_t> EncodeAddressChange(bool add, const InterfaceAddress& address);
// A dump of one family's addresses (AF_UNSPEC: both).
std::vector<uint8_t> EncodeAddressDump(int family);
// Appends the address if msg is an IPv4 or IPv6 RTM_NEWADDR; other messages are ignored.
void DecodeAddress(const nlmsghdr* msg, std::vector<InterfaceAddress>* addresses);
