// The firewall's operations without N-API (src/netlink/firewall.ts through nft_napi.cc; the fuzzer drives them
// too): what our nf_tables table holds, made to hold exactly the wanted masquerade rules, or removed. Only a table
// named `inet redirect_gateway` is ever read in detail, and only one that is ours is changed.
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
  // Ours: it carries our comment, or (made before tables carried it) it holds exactly what we make and no comment.
  // A table of that name that is not ours is never changed or deleted.
  bool owned = false;
  uint64_t handle = 0;
  std::vector<nft::Masquerade> rules;  // the rules recognised, in the chain's order
};
NlError ReadMasquerade(NetlinkSocket* socket, MasqueradeState* state);

enum class TableChange {
  kUnchanged,  // it was as wanted already (or, removing, there was none)
  kChanged,
  kNotOurs,  // a table of that name that is not ours is there: nothing was sent
};

// The table made to hold exactly `wanted` (in order): nothing is sent when it does already, else one batch
// replaces the table's whole content. A failure names what was refused in its message.
NlError SetMasquerade(NetlinkSocket* socket, const std::vector<nft::Masquerade>& wanted, TableChange* change);

// Our table deleted, if there is one.
NlError RemoveMasquerade(NetlinkSocket* socket, TableChange* change);
