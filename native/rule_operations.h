// The addon's rule operations without N-API (like operations.h for routes and links): what listRules,
// addRule and deleteRule ask of the kernel, with the results in plain C++ types.
#pragma once

#include <vector>

#include "netlink_socket.h"
#include "rule_codec.h"

// listRules: the rules of each family (one RTM_GETRULE dump after another), in the kernel's order.
NlError ReadRules(NetlinkSocket* socket, const std::vector<int>& families, std::vector<Rule>* rules);

// addRule / deleteRule: one request, acked; its own error (EEXIST, ENOENT, ...) fails the call.
NlError ChangeRule(NetlinkSocket* socket, bool add, const Rule& rule);
