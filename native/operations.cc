#include "operations.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

NlError ReadLinks(NetlinkSocket* socket, std::vector<Link>* links) {
  auto request = EncodeLinkDump();
  socket->ExpectLargeReplies();
  return socket->TransactOne(request, [links](size_t, const nlmsghdr* m) { DecodeLink(m, links); });
}

NlError GetLinks(NetlinkSocket* socket, const std::vector<std::string>& names, std::vector<Link>* links,
                 std::vector<bool>* found) {
  std::vector<std::vector<uint8_t>> requests;
  requests.reserve(names.size());
  for (const std::string& name : names) requests.push_back(EncodeLinkGet(name));
  socket->ExpectLargeReplies();
  links->assign(requests.size(), Link{});
  found->assign(requests.size(), false);
  std::vector<NlError> results;
  NlError err = socket->Transact(
      requests,
      [links](size_t i, const nlmsghdr* m) {
        std::vector<Link> one;
        DecodeLink(m, &one);
        if (!one.empty()) (*links)[i] = std::move(one[0]);
      },
      &results);
  if (err.err) return err;
  for (size_t i = 0; i < requests.size(); i++) {
    if (results[i].err && results[i].err != ENODEV) return results[i];
    (*found)[i] = !results[i].err && (*links)[i].index != 0;
  }
  return NlError{};
}

NlError LinkIndexes(NetlinkSocket* socket, const std::vector<std::string>& names, std::vector<uint32_t>* indexes) {
  indexes->assign(names.size(), 0);
  for (size_t i = 0; i < names.size(); i++) {
    NlError err = socket->IfIndex(names[i], &(*indexes)[i]);
    if (err.err) return err;
  }
  return NlError{};
}

NlError NameLinks(NetlinkSocket* socket, RouteBatcher* batcher) {
  for (uint32_t oif : batcher->UnnamedOifs()) {
    std::string name;
    bool found;
    NlError err = socket->IfName(oif, &name, &found);
    if (err.err) return err;
    if (found) batcher->NameLink(oif, name);
  }
  return NlError{};
}

namespace {

// A lookup's routes, their interfaces named, as one whole batch.
NlError TakeLookupBatch(NetlinkSocket* socket, RouteBatcher* batcher, RouteBatch* out) {
  NlError err = NameLinks(socket, batcher);
  if (err.err) return err;
  out->Take(batcher);
  out->done = true;
  return NlError{};
}

}  // namespace

NlError GetRoute(NetlinkSocket* socket, const RouteQuery& query, bool fib_match, RouteBatch* out) {
  auto request = EncodeRouteGet(query.family, query.address, query.oif, query.transport, fib_match);
  RouteBatcher batcher;
  NlError err = socket->TransactOne(request, [&batcher](size_t, const nlmsghdr* m) { batcher.Add(m); });
  if (err.err) return err;
  return TakeLookupBatch(socket, &batcher, out);
}

NlError GetRoutes(NetlinkSocket* socket, const std::vector<RouteQuery>& queries, bool fib_match,
                  const std::vector<Link>& known, RouteBatch* out, std::vector<int32_t>* owners,
                  std::vector<int32_t>* errors) {
  std::vector<std::vector<uint8_t>> requests;
  requests.reserve(queries.size());
  for (const RouteQuery& q : queries)
    requests.push_back(EncodeRouteGet(q.family, q.address, q.oif, q.transport, fib_match));
  RouteBatcher batcher;
  batcher.SetLinks(known);
  owners->clear();
  std::vector<NlError> results;
  NlError err = socket->Transact(
      requests,
      [&batcher, owners](size_t i, const nlmsghdr* m) {
        const size_t before = batcher.size();
        batcher.Add(m);
        if (batcher.size() > before) owners->push_back(static_cast<int32_t>(i));
      },
      &results);
  if (err.err) return err;
  err = TakeLookupBatch(socket, &batcher, out);
  if (err.err) return err;
  errors->resize(results.size());
  for (size_t i = 0; i < results.size(); i++) (*errors)[i] = results[i].err;
  return NlError{};
}

NlError ApplyChanges(NetlinkSocket* socket, const uint8_t* records, size_t count,
                     const std::vector<RouteChangeRareFields>& rare,
                     std::vector<std::pair<size_t, NlError>>* failures) {
  size_t with_rare = 0;
  for (size_t i = 0; i < count; i++)
    with_rare += (records[i * record::kSize + record::kPresent] & record::kHasRareFields) != 0;
  if (with_rare != rare.size()) return NlError{EINVAL, "change records and their rare fields do not match"};
  // Encoded one send's worth at a time into one buffer: memory stays that of a send (and the rare fields),
  // whatever the count.
  constexpr size_t kWindow = NetlinkSocket::kPipelineMessages;
  size_t rare_size = 0;
  for (const RouteChangeRareFields& r : rare) rare_size += r.MaxEncodedSize();
  std::vector<uint8_t> messages(std::min(count, kWindow) * kMaxRouteChangeMessage + rare_size);
  auto next_rare = rare.begin();
  for (size_t begin = 0; begin < count; begin += kWindow) {
    const size_t end = std::min(count, begin + kWindow);
    size_t len = 0;
    for (size_t i = begin; i < end; i++) {
      const uint8_t* rec = records + i * record::kSize;
      const RouteChangeRareFields* fields = rec[record::kPresent] & record::kHasRareFields ? &*next_rare++ : nullptr;
      len += EncodeRouteChangeInto(rec, fields, messages.data() + len);
    }
    const size_t first_failure = failures->size();
    NlError err = socket->TransactPipelined(messages.data(), len, failures);
    for (size_t f = first_failure; f < failures->size(); f++) (*failures)[f].first += begin;
    if (err.err) return err;
  }
  return NlError{};
}

NlError RouteDumpReader::StartFamilyDump() {
  const int family = filter_.families[family_index_];
  if (family == AF_INET6) {
    NetlinkSocket* watch = nullptr;
    NlError err = socket_->Clone(&watch);
    if (err.err) return err;
    ipv6_watch_.reset(watch);
    err = ipv6_watch_->JoinGroup(RTNLGRP_IPV6_ROUTE);
    if (err.err) return err;
  }
  auto request = EncodeRouteDump(family, filter_.table, filter_.protocol, filter_.oif);
  NlError err = socket_->StartDump(request);
  if (err.err) return err;
  dump_started_ = true;
  return NlError{};
}

NlError RouteDumpReader::FinishFamilyDump(NlError result) {
  std::unique_ptr<NetlinkSocket> watch = std::move(ipv6_watch_);
  if (result.err) return result;
  if (watch) {
    bool changed = false;
    NlError err = watch->NotificationArrived(&changed);
    if (err.err) return err;
    if (changed) return NlError{EINTR, "dump interrupted by concurrent changes (an IPv6 route changed meanwhile)"};
  }
  dump_started_ = false;
  family_index_++;
  return NlError{};
}

NlError RouteDumpReader::ReadBatch(size_t max_routes, RouteBatch* out) {
  if (!links_read_) {
    std::vector<Link> links;
    NlError err = ReadLinks(socket_, &links);
    if (err.err) return err;
    batcher_.SetLinks(links);
    links_read_ = true;
  }
  while (!dump_done_ && batcher_.size() < max_routes) {
    if (!dump_started_) {
      if (family_index_ == filter_.families.size()) {
        dump_done_ = true;
        break;
      }
      NlError err = StartFamilyDump();
      if (err.err) return err;
    }
    bool done = false;
    NlError result;
    NlError err = socket_->ReadDump([this](const nlmsghdr* m) { batcher_.Add(m); }, &done, &result);
    if (err.err) return err;
    if (done) {
      err = FinishFamilyDump(result);
      if (err.err) return err;
    }
  }
  out->Take(&batcher_);
  out->done = dump_done_;
  return NlError{};
}
