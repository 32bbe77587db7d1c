#include "nft_operations.h"

#include <cerrno>
#include <functional>
#include <utility>

namespace {

// The batch's own messages between BEGIN and END, with what each is, for a failure's message.
struct Batch {
  std::vector<std::vector<uint8_t>> messages{nft::EncodeBatchBegin()};
  std::vector<std::string> what;
  void Add(std::vector<uint8_t> message, std::string description) {
    messages.push_back(std::move(message));
    what.push_back(std::move(description));
  }
  NlError Send(NetlinkSocket* socket) {
    messages.push_back(nft::EncodeBatchEnd());
    std::vector<NlError> results;
    NlError err = socket->TransactBatch(messages, &results);
    if (err.err) return err;
    for (size_t i = 0; i < results.size(); i++) {
      if (!results[i].err) continue;
      NlError failed = std::move(results[i]);
      failed.message = what[i] + (failed.message.empty() ? "" : ": " + failed.message);
      return failed;
    }
    return NlError{};
  }
};

std::string TableText(const std::string& table) { return "table inet " + table; }

bool IsOurChain(const nft::Chain& c, const nft::ChainSpec& spec) {
  return c.name == spec.name && c.type == spec.type && c.base && c.hook == spec.hook && c.priority == spec.priority &&
         c.policy == nft::kPolicyAccept;
}

// What one table of our name holds: its chains and its rules, read in three requests (ENOENT is no table).
struct TableContent {
  bool exists = false;
  nft::Table table;
  std::vector<nft::Chain> chains;
  std::vector<nft::Rule> rules;
};

NlError ReadTable(NetlinkSocket* socket, const std::string& name, TableContent* out) {
  *out = TableContent{};
  socket->ExpectLargeReplies();
  auto request = nft::EncodeGetTable(name);
  NlError err = socket->TransactOne(request, [&](size_t, const nlmsghdr* m) {
    nft::Table t;
    if (nft::DecodeTable(m, &t) && t.name == name) {
      out->table = t;
      out->exists = true;
    }
  });
  if (err.err == ENOENT) return NlError{};
  if (err.err) return err;
  if (!out->exists) return NlError{EPROTO, "the kernel answered the table request without the table"};
  request = nft::EncodeChainDump();
  err = socket->TransactOne(request, [&](size_t, const nlmsghdr* m) {
    nft::Chain c;
    if (nft::DecodeChain(m, &c) && c.table == name) out->chains.push_back(std::move(c));
  });
  if (err.err) return err;
  request = nft::EncodeRuleDump(name);
  return socket->TransactOne(request, [&](size_t, const nlmsghdr* m) {
    nft::Rule r;
    if (nft::DecodeRule(m, &r) && r.table == name) out->rules.push_back(std::move(r));
  });
}

// Ours: it carries our comment, or (made before tables carried it) it holds exactly what we make and no comment.
bool Owned(const nft::Table& table, const char* comment, bool ours_only) {
  return table.has_userdata ? table.userdata == nft::TableUserdata(comment) : ours_only;
}

// One of our tables, as its Read* function reports it.
struct TableOfOurs {
  const char* name;
  const char* comment;
};
constexpr TableOfOurs kMasqueradeTable{nft::kTable, nft::kTableComment};
constexpr TableOfOurs kLockdownTable{nft::kLockdownTable, nft::kLockdownTableComment};

// The table made again, holding what `fill` adds, in one transaction: nobody ever sees it half done. `now` is
// what Read* saw (a MasqueradeState or a LockdownState); a table of the name that is not ours is left alone.
template <typename State>
NlError Remake(NetlinkSocket* socket, const TableOfOurs& table, const State& now,
               const std::function<void(Batch*)>& fill, TableChange* change) {
  if (now.exists && !now.owned) {
    *change = TableChange::kNotOurs;
    return NlError{};
  }
  Batch batch;
  if (now.exists) batch.Add(nft::EncodeDeleteTable(now.handle), "delete " + TableText(table.name));
  batch.Add(nft::EncodeNewTable(table.name, table.comment, !now.exists), TableText(table.name));
  fill(&batch);
  NlError err = batch.Send(socket);
  if (err.err == EEXIST && !now.exists) {  // someone made one under our name since we looked
    *change = TableChange::kNotOurs;
    return NlError{};
  }
  if (!err.err) *change = TableChange::kChanged;
  return err;
}

// The table deleted, if there is one and it is ours.
template <typename State>
NlError RemoveTable(NetlinkSocket* socket, const TableOfOurs& table, NlError (*read)(NetlinkSocket*, State*),
                    TableChange* change) {
  *change = TableChange::kUnchanged;
  State now;
  NlError err = read(socket, &now);
  if (err.err || !now.exists) return err;
  if (!now.owned) {
    *change = TableChange::kNotOurs;
    return NlError{};
  }
  Batch batch;
  batch.Add(nft::EncodeDeleteTable(now.handle), "delete " + TableText(table.name));
  err = batch.Send(socket);
  if (err.err == ENOENT) return NlError{};  // gone meanwhile
  if (!err.err) *change = TableChange::kChanged;
  return err;
}

}  // namespace

NlError ReadMasquerade(NetlinkSocket* socket, MasqueradeState* state) {
  *state = MasqueradeState{};
  TableContent content;
  NlError err = ReadTable(socket, nft::kTable, &content);
  if (err.err || !content.exists) return err;
  state->exists = true;
  size_t our_chains = 0;
  for (const nft::Chain& c : content.chains)
    if (IsOurChain(c, nft::kMasqueradeChain)) our_chains++;
  bool foreign_rule = false;
  for (const nft::Rule& r : content.rules) {
    if (r.chain == nft::kChain && r.recognised)
      state->rules.push_back(r.masquerade);
    else
      foreign_rule = true;
  }
  state->ours_only = content.table.flags == 0 && content.chains.size() == 1 && our_chains == 1 &&
                     content.table.use == 1 && !foreign_rule;
  state->owned = Owned(content.table, nft::kTableComment, state->ours_only);
  state->handle = content.table.handle;
  return NlError{};
}

NlError SetMasquerade(NetlinkSocket* socket, const std::vector<nft::Masquerade>& wanted, TableChange* change) {
  *change = TableChange::kUnchanged;
  MasqueradeState now;
  NlError err = ReadMasquerade(socket, &now);
  if (err.err) return err;
  if (now.exists && now.owned && now.ours_only && now.rules == wanted) return NlError{};
  return Remake(
      socket, kMasqueradeTable, now,
      [&](Batch* batch) {
        batch->Add(nft::EncodeNewChain(nft::kMasqueradeChain), std::string("chain ") + nft::kChain);
        for (const nft::Masquerade& rule : wanted) batch->Add(nft::EncodeNewRule(rule), "rule " + nft::Describe(rule));
      },
      change);
}

NlError RemoveMasquerade(NetlinkSocket* socket, TableChange* change) {
  return RemoveTable(socket, kMasqueradeTable, ReadMasquerade, change);
}

NlError ReadLockdown(NetlinkSocket* socket, LockdownState* state) {
  *state = LockdownState{};
  TableContent content;
  NlError err = ReadTable(socket, nft::kLockdownTable, &content);
  if (err.err || !content.exists) return err;
  state->exists = true;
  size_t our_chains = 0;
  for (const nft::Chain& c : content.chains) {
    for (size_t i = 0; i < kLockdownChainCount; i++) {
      if (!IsOurChain(c, nft::kLockdownChains[i])) continue;
      state->chains[i].exists = true;
      our_chains++;
    }
  }
  bool foreign = false;
  for (const nft::Rule& r : content.rules) {
    size_t i = 0;
    while (i < kLockdownChainCount && r.chain != nft::kLockdownChains[i].name) i++;
    if (i == kLockdownChainCount || r.comment.empty())
      foreign = true;
    else
      state->chains[i].rules.push_back(r.comment);
  }
  state->ours_only = content.table.flags == 0 && content.chains.size() == kLockdownChainCount &&
                     our_chains == kLockdownChainCount && content.table.use == kLockdownChainCount && !foreign;
  state->owned = Owned(content.table, nft::kLockdownTableComment, state->ours_only);
  state->handle = content.table.handle;
  return NlError{};
}

NlError SetLockdown(NetlinkSocket* socket, const std::vector<nft::Filter>& wanted, TableChange* change) {
  *change = TableChange::kUnchanged;
  LockdownState now;
  NlError err = ReadLockdown(socket, &now);
  if (err.err) return err;
  std::vector<std::string> described;
  described.reserve(wanted.size());
  for (const nft::Filter& rule : wanted) described.push_back(nft::Describe(rule));
  bool same = now.exists && now.owned && now.ours_only;
  for (const LockdownChainState& chain : now.chains) same = same && chain.rules == described;
  if (same) return NlError{};
  return Remake(
      socket, kLockdownTable, now,
      [&](Batch* batch) {
        for (const nft::ChainSpec& chain : nft::kLockdownChains) {
          batch->Add(nft::EncodeNewChain(chain), std::string("chain ") + chain.name);
          for (size_t i = 0; i < wanted.size(); i++)
            batch->Add(nft::EncodeNewRule(wanted[i], chain), std::string(chain.name) + " rule " + described[i]);
        }
      },
      change);
}

NlError RemoveLockdown(NetlinkSocket* socket, TableChange* change) {
  return RemoveTable(socket, kLockdownTable, ReadLockdown, change);
}
