#include "rule_operations.h"

#include <sys/socket.h>

#include <algorithm>

NlError ReadRules(NetlinkSocket* socket, const std::vector<int>& families, std::vector<Rule>* rules) {
  socket->ExpectLargeReplies();
  // Both families in one dump of every family's rules (DecodeRule keeps IPv4's and IPv6's only), a round trip
  // less for the redirect, which reads them every operation; IPv4's first, as a dump per family gave them.
  const bool both = families.size() == 2 && families[0] != families[1];
  for (int family : both ? std::vector<int>{AF_UNSPEC} : families) {
    auto request = EncodeRuleDump(family);
    NlError err = socket->TransactOne(request, [rules](size_t, const nlmsghdr* m) { DecodeRule(m, rules); });
    if (err.err) return err;
  }
  if (both) std::stable_partition(rules->begin(), rules->end(), [](const Rule& r) { return r.family == AF_INET; });
  return NlError{};
}

NlError ChangeRules(NetlinkSocket* socket, const std::vector<RuleChange>& changes,
                    std::vector<std::pair<size_t, NlError>>* failures) {
  std::vector<uint8_t> messages;
  for (const RuleChange& change : changes) {
    const std::vector<uint8_t> request = EncodeRuleChange(change.add, change.rule);
    messages.resize(NLMSG_ALIGN(messages.size()));
    messages.insert(messages.end(), request.begin(), request.end());
  }
  return socket->TransactPipelined(messages.data(), messages.size(), failures);
}
