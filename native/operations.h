// The addon's operations without N-API: what each call of the JS handle (src/netlink/native.ts) asks of the
// kernel, through the socket and the codecs, and the results in plain C++ types. The *_napi.cc files (route_napi,
// link_napi, route_dump_napi, watch_napi for these) turn arguments and results from and to JS, and run these on the
// calling thread, the libuv pool or a dump's or a watch's reader thread (reader_thread.h); the fuzz targets
// (fuzz/replies_fuzzer.cc) drive the same functions against a fake kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "link_codec.h"
#include "netlink_socket.h"
#include "route_codec.h"

// A batch of decoded routes as JS receives it (RouteBatch in src/netlink/native.ts; packed layout in
// route_codec.h): the words, the destinations' text, the strings new since the previous batch, the extras, and whether
// it is the last batch.
struct RouteBatch {
  std::vector<uint32_t> words;
  std::string text;
  std::vector<std::string> strings;
  std::string extras;
  bool done = false;

  // Takes the batcher's current batch (the batcher goes on with the next one).
  void Take(RouteBatcher* batcher) { batcher->TakeBatch(&words, &text, &strings, &extras); }
};

// listLinks: every link (an RTM_GETLINK dump).
NlError ReadLinks(NetlinkSocket* socket, std::vector<Link>* links);

// getLinks: each link by name, one targeted request each, all in one send. links and found get one entry
// per name; found[i] is false where there is no such link (ENODEV). Any other error of a request fails the
// call (the first one, in the order of the names).
NlError GetLinks(NetlinkSocket* socket, const std::vector<std::string>& names, std::vector<Link>* links,
                 std::vector<bool>* found);

// linkIndexes: each name's index (ioctl on the socket, in its namespace), 0 where there is no such link.
NlError LinkIndexes(NetlinkSocket* socket, const std::vector<std::string>& names, std::vector<uint32_t>* indexes);

// Names the output interfaces of the batcher's current batch that it does not know yet (ioctl on the
// socket, in its namespace; a link that vanished keeps "if<N>").
NlError NameLinks(NetlinkSocket* socket, RouteBatcher* batcher);

// One route lookup (RTM_GETROUTE for an address, as `ip route get`): address is 4 or 16 bytes by family.
struct RouteQuery {
  int family = 0;
  const uint8_t* address = nullptr;
  uint32_t oif = 0;
  TransportSelector transport;
};

// getRoute: one lookup; its own failure (no route, ...) fails the call. *out is one whole batch (done).
NlError GetRoute(NetlinkSocket* socket, const RouteQuery& query, bool fib_match, RouteBatch* out);

// getRoutes: the lookups pipelined in one send; links in `known` are named without asking the kernel.
// *out holds the routes found (one whole batch), owners[j] the lookup that route j answers, errors[i] the
// errno of lookup i (0 where it found a route). Only a transport failure fails the call.
NlError GetRoutes(NetlinkSocket* socket, const std::vector<RouteQuery>& queries, bool fib_match,
                  const std::vector<Link>& known, RouteBatch* out, std::vector<int32_t>* owners,
                  std::vector<int32_t>* errors);

// change: route changes, one per change record (record::kSize bytes each, route_codec.h), pipelined
// (NetlinkSocket::TransactPipelined), with the rare fields of those that have record::kHasRareFields, in order.
// Every change has its own result: failures are appended as (record index, error), and only a transport failure
// (or rare fields that do not match the records: EINVAL, nothing sent) fails the call.
NlError ApplyChanges(NetlinkSocket* socket, const uint8_t* records, size_t count,
                     const std::vector<RouteChangeRareFields>& rare, std::vector<std::pair<size_t, NlError>>* failures);

// dumpRoutes: the routes of one or more families (one dump after another), read in batches.
struct RouteDumpFilter {
  std::vector<int> families;
  uint32_t table = 0;  // 0: no filter (likewise below)
  uint8_t protocol = 0;
  uint32_t oif = 0;
};

class RouteDumpReader {
 public:
  RouteDumpReader(NetlinkSocket* socket, RouteDumpFilter filter) : socket_(socket), filter_(std::move(filter)) {}

  // Reads whole receive buffers of the dump until at least max_routes routes are in or the last dump has
  // ended, and hands them over as the next batch (done: the last one). The links are read first, once.
  // Interned strings span the batches: each batch carries only the strings that are new. A dump that
  // concurrent changes made inconsistent fails with EINTR at its end.
  NlError ReadBatch(size_t max_routes, RouteBatch* out);

  // A dump given up before its end, on a socket that goes on being used: reads it to its end, so that the
  // kernel takes the socket's next request (a socket of the dump's own is simply closed instead).
  NlError Drain() { return socket_->DrainDump(); }

 private:
  NlError StartFamilyDump();
  NlError FinishFamilyDump(NlError result);

  NetlinkSocket* socket_;
  RouteDumpFilter filter_;
  RouteBatcher batcher_;
  // The kernel flags an IPv4 dump that changes made inconsistent (NLM_F_DUMP_INTR), but not an IPv6 one: it
  // restarts its walk of the tree and skips as many routes as it had sent, so that a route added or deleted
  // meanwhile makes it send one twice or never. So an IPv6 dump is watched by a socket of its own, joined to
  // the IPv6 route group before the dump starts: a notification by its end means the dump may be wrong.
  std::unique_ptr<NetlinkSocket> ipv6_watch_;
  bool links_read_ = false, dump_started_ = false, dump_done_ = false;
  size_t family_index_ = 0;
};
