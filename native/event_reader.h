// Change events: a socket joined to rtnetlink's multicast groups, its notifications filtered and decoded by
// the same codecs as dumps (RouteBatcher, DecodeLink, DecodeAddress, DecodeRule) into batches for JS. N-API-free:
// native/watch_napi.cc runs it on a reader thread of its own, the fuzzer (fuzz/replies_fuzzer.cc) drives it against a
// fake kernel.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "address_codec.h"
#include "operations.h"
#include "rule_codec.h"

// The kinds and families the consumer wants (the groups joined); which routes matter is the kernel's socket filter's
// business (route_filter.h) and the consumer's.
struct EventFilter {
  bool routes = false, links = false, addresses = false, rules = false;
  std::vector<int> families;  // AF_INET, AF_INET6: routes, addresses, rules; empty: both
};

// The event kinds of EventBatch::events (low byte); bit 8 marks a deletion (RTM_DEL*).
namespace event {
constexpr uint32_t kRoute = 0, kLink = 1, kAddress = 2, kRule = 3, kOverrun = 4;
constexpr uint32_t kDeleted = 1u << 8;
}  // namespace event

// Events in the order the kernel sent them: events[i] is a kind, and the kind's own list holds its objects in
// order (the routes in one packed batch, the links, the addresses with their interfaces' names, the rules).
struct EventBatch {
  std::vector<uint32_t> events;
  RouteBatch routes;  // a batch of its own (strings interned within it only), done = true
  std::vector<Link> links;
  std::vector<InterfaceAddress> addresses;
  std::vector<std::string> address_devs;  // the name of each address's interface ("if<N>" once it is gone)
  std::vector<Rule> rules;
  bool empty() const { return events.empty(); }
};

class EventReader {
 public:
  EventReader(NetlinkSocket* socket, EventFilter filter);

  // Joins the multicast groups the filter asks for (both families unless it names one).
  NlError Join();

  // Waits for notifications (until wake_fd is readable: *woken; timeout_ms, -1 for ever), reads a bounded
  // number of them and appends those that pass the filter to *out, with an overrun event where the kernel
  // dropped some. The routes of *out are taken (and their interfaces named) when it returns.
  NlError Read(int wake_fd, int timeout_ms, EventBatch* out, bool* woken);

  // Datagrams read per Read (the kernel sends one notification per datagram).
  static constexpr size_t kMaxDatagrams = 1024;

 private:
  void OnMessage(const nlmsghdr* msg, EventBatch* out);
  bool WantsFamily(int family) const;
  const std::string* LinkName(uint32_t index);

  NetlinkSocket* socket_;
  EventFilter filter_;
  // Interface names by index, kept from link notifications (and asked by ioctl when unknown).
  std::unordered_map<uint32_t, std::string> names_;
  RouteBatcher batcher_;
};
