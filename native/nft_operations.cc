#include "nft_operations.h"

#include <cerrno>
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

// What one table of ours holds: its chains and its rules, read in three requests (ENOENT is no table).
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

// The table deleted, if there is one (*changed says whether there was).
NlError RemoveTable(NetlinkSocket* socket, const std::string& name, bool* changed) {
  *changed = false;
  TableContent now;
  NlError err = ReadTable(socket, name, &now);
  if (err.err || !now.exists) return err;
  Batch batch;
  batch.Add(nft::EncodeDeleteTable(name), "delete " + TableText(name));
  err = batch.Send(socket);
  if (err.err == ENOENT) return NlError{};  // gone meanwhile
  if (!err.err) *changed = true;
  return err;
}

// A batch that makes the table (if need be), empties it and makes it again: nobody ever sees it half done.
Batch Remake(const std::string& name, bool exists) {
  Batch batch;
  batch.Add(nft::EncodeNewTable(name), TableText(name));
  if (exists) {
    batch.Add(nft::EncodeDeleteTable(name), "delete " + TableText(name));
    batch.Add(nft::EncodeNewTable(name), TableText(name));
  }
  return batch;
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
  return NlError{};
}

NlError SetMasquerade(NetlinkSocket* socket, const std::vector<nft::Masquerade>& wanted, bool* changed) {
  *changed = false;
  MasqueradeState now;
  NlError err = ReadMasquerade(socket, &now);
  if (err.err) return err;
  if (now.exists && now.ours_only && now.rules == wanted) return NlError{};
  Batch batch = Remake(nft::kTable, now.exists);
  batch.Add(nft::EncodeNewChain(nft::kMasqueradeChain), std::string("chain ") + nft::kChain);
  for (const nft::Masquerade& rule : wanted) batch.Add(nft::EncodeNewRule(rule), "rule " + nft::Describe(rule));
  err = batch.Send(socket);
  if (!err.err) *changed = true;
  return err;
}

NlError RemoveMasquerade(NetlinkSocket* socket, bool* changed) { return RemoveTable(socket, nft::kTable, changed); }

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
  return NlError{};
}

NlError SetLockdown(NetlinkSocket* socket, const std::vector<nft::Filter>& wanted, bool* changed) {
  *changed = false;
  LockdownState now;
  NlError err = ReadLockdown(socket, &now);
  if (err.err) return err;
  std::vector<std::string> described;
  described.reserve(wanted.size());
  for (const nft::Filter& rule : wanted) described.push_back(nft::Describe(rule));
  bool same = now.exists && now.ours_only;
  for (const LockdownChainState& chain : now.chains) same = same && chain.rules == described;
  if (same) return NlError{};
  Batch batch = Remake(nft::kLockdownTable, now.exists);
  for (const nft::ChainSpec& chain : nft::kLockdownChains) {
    batch.Add(nft::EncodeNewChain(chain), std::string("chain ") + chain.name);
    for (size_t i = 0; i < wanted.size(); i++)
      batch.Add(nft::EncodeNewRule(wanted[i], chain), std::string(chain.name) + " rule " + described[i]);
  }
  err = batch.Send(socket);
  if (!err.err) *changed = true;
  return err;
}

NlError RemoveLockdown(NetlinkSocket* socket, bool* changed) {
  return RemoveTable(socket, nft::kLockdownTable, changed);
}
