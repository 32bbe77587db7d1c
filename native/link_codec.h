// Network interfaces (RTM_GETLINK): the name <-> index map and whether each is up.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

struct Link {
  uint32_t index = 0;
  std::string name;
  uint32_t flags = 0;  // IFF_*
  uint32_t mtu = 0;
  uint8_t operstate = 0;  // IF_OPER_*
};

std::vector<uint8_t> EncodeLinkDump();
// Appends the link if msg is an RTM_NEWLINK (or RTM_DELLINK: a deletion event names the link deleted); other
// messages are ignored.
void DecodeLink(const nlmsghdr* msg, std::vector<Link>* links);
// One link by name: a targeted request whose cost does not grow with the number of links. The kernel answers
// ENODEV when there is no such link.
std::vector<uint8_t> EncodeLinkGet(const std::string& name);
