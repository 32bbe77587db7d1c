// The firewall's operations without N-API (src/netlink/firewall.ts through nft_napi.cc; the fuzzer drives them
// too): what our nf_tables table holds, made to hold exactly the wanted masquerade rules, or removed. Only our
// table (`inet redirect_gateway`) is ever read in detail or changed.
#pragma once

#include <string>
#include <vector>

#include "netlink_socket.h"
#include "nft_codec.h"

// What our table holds now.
struct MasqueradeState {
  bool exists = false;
  // Exactly our chain and nothing else (no other chains, sets or objects, no rule we would not write), so that
  // `rules` is the table's whole content.
  bool ours_only = false;
  std::vector<nft::Masquerade> rules;  // the rules recognised, in the chain's order
};
NlError ReadMasquerade(NetlinkSocket* socket, MasqueradeState* state);

// The table made to hold exactly `wanted` (in order): nothing is sent when it does already (*changed false),
// else one batch replaces the table's whole content. A failure names what was refused in its message.
NlError SetMasquerade(NetlinkSocket* socket, const std::vector<nft::Masquerade>& wanted, bool* changed);

// Our table deleted, if there is one (*changed says whether there was).
NlError RemoveMasquerade(NetlinkSocket* socket, bool* changed);
