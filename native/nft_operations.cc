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

const std::string kTableText = std::string("table inet ") + nft::kTable;

bool IsOurChain(const nft::Chain& c) {
  return c.name == nft::kChain && c.type == nft::kChainType && c.base && c.hook == nft::kHookPostrouting &&
         c.priority == nft::kPrioritySrcnat && c.policy == nft::kPolicyAccept;
}

}  // namespace

NlError ReadMasquerade(NetlinkSocket* socket, MasqueradeState* state) {
  *state = MasqueradeState{};
  socket->ExpectLargeReplies();
  nft::Table table;
  bool table_found = false;
  auto request = nft::EncodeGetTable();
  NlError err = socket->TransactOne(request, [&](size_t, const nlmsghdr* m) {
    nft::Table t;
    if (nft::DecodeTable(m, &t) && t.name == nft::kTable) {
      table = t;
      table_found = true;
    }
  });
  if (err.err == ENOENT) return NlError{};
  if (err.err) return err;
  if (!table_found) return NlError{EPROTO, "the kernel answered the table request without the table"};
  state->exists = true;
  size_t chains = 0, our_chains = 0;
  request = nft::EncodeChainDump();
  err = socket->TransactOne(request, [&](size_t, const nlmsghdr* m) {
    nft::Chain c;
    if (!nft::DecodeChain(m, &c) || c.table != nft::kTable) return;
    chains++;
    if (IsOurChain(c)) our_chains++;
  });
  if (err.err) return err;
  bool foreign_rule = false;
  request = nft::EncodeRuleDump();
  err = socket->TransactOne(request, [&](size_t, const nlmsghdr* m) {
    nft::Rule r;
    if (!nft::DecodeRule(m, &r) || r.table != nft::kTable) return;
    if (r.chain == nft::kChain && r.recognised)
      state->rules.push_back(r.masquerade);
    else
      foreign_rule = true;
  });
  if (err.err) return err;
  state->ours_only = table.flags == 0 && chains == 1 && our_chains == 1 && table.use == 1 && !foreign_rule;
  state->owned = table.has_userdata ? table.userdata == nft::TableUserdata() : state->ours_only;
  state->handle = table.handle;
  return NlError{};
}

NlError SetMasquerade(NetlinkSocket* socket, const std::vector<nft::Masquerade>& wanted, TableChange* change) {
  *change = TableChange::kUnchanged;
  MasqueradeState now;
  NlError err = ReadMasquerade(socket, &now);
  if (err.err) return err;
  if (now.exists && !now.owned) {
    *change = TableChange::kNotOurs;
    return NlError{};
  }
  if (now.exists && now.ours_only && now.rules == wanted) return NlError{};
  // Made, or emptied and made again, in one transaction: nobody ever sees it half done.
  Batch batch;
  if (now.exists) batch.Add(nft::EncodeDeleteTable(now.handle), "delete " + kTableText);
  batch.Add(nft::EncodeNewTable(!now.exists), kTableText);
  batch.Add(nft::EncodeNewChain(), std::string("chain ") + nft::kChain);
  for (const nft::Masquerade& rule : wanted) batch.Add(nft::EncodeNewRule(rule), "rule " + nft::Describe(rule));
  err = batch.Send(socket);
  if (err.err == EEXIST && !now.exists) {  // someone made one under our name since we looked
    *change = TableChange::kNotOurs;
    return NlError{};
  }
  if (!err.err) *change = TableChange::kChanged;
  return err;
}

NlError RemoveMasquerade(NetlinkSocket* socket, TableChange* change) {
  *change = TableChange::kUnchanged;
  MasqueradeState now;
  NlError err = ReadMasquerade(socket, &now);
  if (err.err || !now.exists) return err;
  if (!now.owned) {
    *change = TableChange::kNotOurs;
    return NlError{};
  }
  Batch batch;
  batch.Add(nft::EncodeDeleteTable(now.handle), "delete " + kTableText);
  err = batch.Send(socket);
  if (err.err == ENOENT) return NlError{};  // gone meanwhile
  if (!err.err) *change = TableChange::kChanged;
  return err;
}
