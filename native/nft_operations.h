// The firewall's operations without N-API (src/netlink/firewall.ts through nft_napi.cc; the fuzzer drives them
// too): what our nf_tables tables hold, made to hold exactly the wanted rules, or removed. Only our tables' names (the
// server's `inet redirect_gateway`, the client's lockdown `inet redirect_gateway_lockdown`) are ever read in detail,
// and only a table that is ours (by its comment) is changed.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "netlink_socket.h"
#include "nft_codec.h"
#include "nft_filter.h"

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

constexpr size_t kLockdownChainCount = sizeof(nft::kLockdownChains) / sizeof(nft::kLockdownChains[0]);

// What the lockdown's table holds now: per chain of nft::kLockdownChains, whether it is there and the descriptions
// of its rules (their comments).
struct LockdownChainState {
  bool exists = false;
  std::vector<std::string> rules;
};
struct LockdownState {
  bool exists = false;
  // Exactly our chains, every rule with a comment, nothing else in the table.
  bool ours_only = false;
  bool owned = false;  // as MasqueradeState's
  uint64_t handle = 0;
  std::array<LockdownChainState, kLockdownChainCount> chains;
};
NlError ReadLockdown(NetlinkSocket* socket, LockdownState* state);

// The lockdown's table made to hold exactly `wanted` in each of its chains, in one batch (nothing sent when it
// does already).
NlError SetLockdown(NetlinkSocket* socket, const std::vector<nft::Filter>& wanted, TableChange* change);

// The lockdown's table deleted, if there is one.
NlError RemoveLockdown(NetlinkSocket* socket, TableChange* change);
