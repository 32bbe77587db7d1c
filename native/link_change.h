// Changes to a link's settings (RTM_NEWLINK on an existing link, as `ip link set`): up/down and the MTU.
#pragma once

#include <cstdint>
#include <vector>

#include "netlink_socket.h"

struct LinkSettings {
  uint32_t index = 0;
  int up = -1;       // -1: unchanged, 0: down, 1: up
  uint32_t mtu = 0;  // 0: unchanged
};

std::vector<uint8_t> EncodeLinkSet(const LinkSettings& settings);

// setLink: one request, acked; its own error (EINVAL for an MTU the device refuses, ...) fails the call.
NlError SetLink(NetlinkSocket* socket, const LinkSettings& settings);
