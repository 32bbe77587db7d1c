// The addon's rule operations without N-API (like operations.h for routes and links): what listRules
// and changeRules ask of the kernel, with the results in plain C++ types.
#pragma once

#include <utility>
#include <vector>

#include "netlink_socket.h"
#include "rule_codec.h"

// listRules: the rules of each family (one RTM_GETRULE dump after another), in the kernel's order.
NlError ReadRules(NetlinkSocket* socket, const std::vector<int>& families, std::vector<Rule>* rules);

// changeRules (and addRule / deleteRule, a change each): RTM_NEWRULE or RTM_DELRULE.
struct RuleChange {
  bool add = false;
  Rule rule;
};
// The changes pipelined (NetlinkSocket::TransactPipelined), in order: every change has its own result, failures
// are appended as (change index, error: EEXIST, ENOENT, ...), and only a transport failure fails the call.
NlError ChangeRules(NetlinkSocket* socket, const std::vector<RuleChange>& changes,
                    std::vector<std::pair<size_t, NlError>>* failures);
