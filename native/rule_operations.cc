#include "rule_operations.h"

NlError ReadRules(NetlinkSocket* socket, const std::vector<int>& families, std::vector<Rule>* rules) {
  socket->ExpectLargeReplies();
  for (int family : families) {
    auto request = EncodeRuleDump(family);
    NlError err = socket->TransactOne(request, [rules](size_t, const nlmsghdr* m) { DecodeRule(m, rules); });
    if (err.err) return err;
  }
  return NlError{};
}

NlError ChangeRule(NetlinkSocket* socket, bool add, const Rule& rule) {
  auto request = EncodeRuleChange(add, rule);
  return socket->TransactOne(request, [](size_t, const nlmsghdr*) {});
}
