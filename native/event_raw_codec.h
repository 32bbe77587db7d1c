// Address and rule notifications, decoded just enough to say what changed. A stand-in until the address and
// rule codecs exist: then their decoders take its place in event_reader.cc.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

struct RawEvent {
  uint8_t family = 0;
  uint32_t index = 0;      // address: the interface's index
  uint8_t prefix_len = 0;  // address: the prefix length
  std::string address;     // address: IFA_LOCAL, else IFA_ADDRESS, as text ("" if none)
  uint32_t table = 0;      // rule: FRA_TABLE, else the header's table
  uint32_t priority = 0;   // rule: FRA_PRIORITY
  bool has_priority = false;
};

// False when msg is not an IPv4/IPv6 RTM_NEWADDR/RTM_DELADDR (or is too short).
bool DecodeRawAddress(const nlmsghdr* msg, RawEvent* out);
// False when msg is not an IPv4/IPv6 RTM_NEWRULE/RTM_DELRULE (or is too short).
bool DecodeRawRule(const nlmsghdr* msg, RawEvent* out);
