#include "event_reader.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

EventReader::EventReader(NetlinkSocket* socket, EventFilter filter) : socket_(socket), filter_(std::move(filter)) {}

bool EventReader::WantsFamily(int family) const {
  return filter_.families.empty() ||
         std::find(filter_.families.begin(), filter_.families.end(), family) != filter_.families.end();
}

NlError EventReader::Join() {
  std::vector<unsigned> groups;
  // Links always: their notifications keep the interface names current, whatever else is watched.
  groups.push_back(RTNLGRP_LINK);
  const bool v4 = WantsFamily(AF_INET), v6 = WantsFamily(AF_INET6);
  if (filter_.routes && v4) groups.push_back(RTNLGRP_IPV4_ROUTE);
  if (filter_.routes && v6) groups.push_back(RTNLGRP_IPV6_ROUTE);
  if (filter_.addresses && v4) groups.push_back(RTNLGRP_IPV4_IFADDR);
  if (filter_.addresses && v6) groups.push_back(RTNLGRP_IPV6_IFADDR);
  if (filter_.rules && v4) groups.push_back(RTNLGRP_IPV4_RULE);
  if (filter_.rules && v6) groups.push_back(RTNLGRP_IPV6_RULE);
  for (unsigned group : groups) {
    NlError err = socket_->JoinGroup(group);
    if (err.err) return err;
  }
  return NlError{};
}

const std::string* EventReader::LinkName(uint32_t index) {
  auto found = names_.find(index);
  if (found != names_.end()) return &found->second;
  std::string name;
  bool exists = false;
  if (socket_->IfName(index, &name, &exists).err || !exists) return nullptr;
  return &names_.emplace(index, std::move(name)).first->second;
}

void EventReader::OnMessage(const nlmsghdr* msg, EventBatch* out) {
  const uint16_t type = msg->nlmsg_type;
  const bool deleted = type == RTM_DELROUTE || type == RTM_DELLINK || type == RTM_DELADDR || type == RTM_DELRULE;
  const uint32_t action = deleted ? event::kDeleted : 0;
  if (type == RTM_NEWLINK || type == RTM_DELLINK) {
    std::vector<Link> one;
    DecodeLink(msg, &one);
    if (one.empty()) return;
    if (!one[0].name.empty()) {
      // A rename: the routes of this batch from before it keep the old name.
      auto known = names_.find(one[0].index);
      if (known != names_.end() && known->second != one[0].name && batcher_.Unnamed(one[0].index))
        batcher_.NameLink(one[0].index, known->second);
      names_[one[0].index] = one[0].name;
    }
    if (!filter_.links) return;
    out->links.push_back(std::move(one[0]));
    out->events.push_back(event::kLink | action);
  } else if (type == RTM_NEWROUTE || type == RTM_DELROUTE) {
    if (!filter_.routes || msg->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg)) ||
        !WantsFamily(static_cast<const rtmsg*>(NLMSG_DATA(msg))->rtm_family))
      return;
    const size_t before = batcher_.size();
    batcher_.Add(msg);
    if (batcher_.size() > before) out->events.push_back(event::kRoute | action);
  } else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
    std::vector<InterfaceAddress> one;
    if (!filter_.addresses) return;
    DecodeAddress(msg, &one);
    if (one.empty() || !WantsFamily(one[0].family)) return;
    // Its interface's name now, which it is reported with (a route batched before a rename keeps the old one).
    const std::string* name = LinkName(one[0].index);
    out->address_devs.push_back(name ? *name : "if" + std::to_string(one[0].index));
    out->addresses.push_back(std::move(one[0]));
    out->events.push_back(event::kAddress | action);
  } else if (type == RTM_NEWRULE || type == RTM_DELRULE) {
    std::vector<Rule> one;
    if (!filter_.rules) return;
    DecodeRule(msg, &one);
    if (one.empty() || !WantsFamily(one[0].family)) return;
    out->rules.push_back(std::move(one[0]));
    out->events.push_back(event::kRule | action);
  }
}

NlError EventReader::Read(int wake_fd, int timeout_ms, EventBatch* out, bool* woken) {
  NlError err = socket_->ReceiveNotifications(
      wake_fd, timeout_ms, kMaxDatagrams, [this, out](const nlmsghdr* msg) { OnMessage(msg, out); },
      [out] {
        if (out->events.empty() || out->events.back() != event::kOverrun) out->events.push_back(event::kOverrun);
      },
      woken);
  for (uint32_t oif : batcher_.UnnamedOifs()) {
    const std::string* name = LinkName(oif);
    if (name) batcher_.NameLink(oif, *name);
  }
  out->routes.Take(&batcher_);
  out->routes.done = true;
  batcher_ = RouteBatcher();  // strings are interned within a batch only: a batch JS never sees loses nothing
  return err;
}
