// libFuzzer target over everything that reads kernel replies, driven through the addon's own operations
// (native/operations.h: GetRoute, GetRoutes, ReadLinks, GetLinks, LinkIndexes, ApplyChanges,
// RouteDumpReader; native/rule_operations.h: ReadRules, ChangeRules; native/address_operations.h: ReadAddresses,
// ChangeAddress; native/event_reader.h: EventReader; native/sock_diag_operations.h: ReadSockets, DestroySockets; the
// same functions the N-API side calls), so that what is fuzzed is the addon's code: NetlinkSocket's receive-and-match
// loop under Transact, TransactPipelined and ReadDump/DrainDump (sequence and port checks, acks, NLMSG_ERROR with
// extended-ack TLVs, NLMSG_DONE with a status, multipart dumps across receive buffers, NLM_F_DUMP_INTR, ENOBUFS,
// truncation, deadlines), the encoders and the decoders behind them (RouteBatcher::Add for RTM_NEWROUTE, DecodeLink for
// RTM_NEWLINK, DecodeRule for RTM_NEWRULE, DecodeAddress for RTM_NEWADDR, DecodeSocket for SOCK_DIAG_BY_FAMILY). Only
// the N-API layer (argument unpacking, JS objects, worker threads) is left out. The kernel's side comes from the input
// (conversation.h) through the fake kernel (fake_kernel.h).
//
// Besides memory errors and undefined behaviour (ASan, UBSan), it aborts when a result breaks what the
// JS side relies on: packed route words well formed, string ids known, destinations printable, one result
// per request, one owner (a lookup of the call) per route, failures with a positive errno and an index in
// range, a dump's socket free again once the dump has ended or been drained, and every call returning.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "address_operations.h"
#include "byte_reader.h"
#include "check.h"
#include "conversation.h"
#include "event_reader.h"
#include "fake_kernel.h"
#include "nft_operations.h"
#include "nft_writer.h"
#include "operations.h"
#include "rare_fields.h"
#include "rule_operations.h"
#include "sock_diag_operations.h"

namespace {

// RG_FUZZ_VERBOSE=1: a summary of what each conversation decoded, to compare a capture with its replay.
const bool verbose = getenv("RG_FUZZ_VERBOSE") != nullptr;

bool IsError(const NlError& e) { return e.err != 0; }

void Say(const char* what, const NlError& e) {
  if (verbose) fprintf(stderr, "  %s: %d %s\n", what, e.err, e.message.c_str());
}

void CheckError(const NlError& e) {
  // Errors reach JS as errno numbers, which it names (EEXIST, ...): a failure is a positive errno.
  CHECK(e.err >= 0);
}

// A batch's refused changes as JS reads them (ChangeResultsToJs, native/napi_errors.h): each the index of one of
// the batch's `count` changes, with a positive errno.
void CheckFailures(const char* what, const std::vector<std::pair<size_t, NlError>>& failures, size_t count) {
  for (const auto& f : failures) {
    if (verbose) fprintf(stderr, "  %s %zu: %d %s\n", what, f.first, f.second.err, f.second.message.c_str());
    CHECK(f.first < count);
    CHECK(f.second.err > 0);
  }
}

// What JS turns into route objects (src/netlink/socket.ts): kWords per route, destination ends increasing
// up to the text's length, interned string ids among those handed over so far, printable text.
class BatchChecker {
 public:
  void Check(const RouteBatch& batch) {
    const std::vector<uint32_t>& words = batch.words;
    const std::string& text = batch.text;
    known_strings_ += batch.strings.size();
    CHECK(words.size() % packed::kWords == 0);
    size_t with_extras = 0;
    uint32_t end = 0;
    for (size_t i = 0; i < words.size(); i += packed::kWords) {
      const uint32_t* w = words.data() + i;
      const uint32_t family = w[packed::kMeta] & 0xff;
      CHECK(family == AF_INET || family == AF_INET6);
      CHECK(w[packed::kDstEnd] > end && w[packed::kDstEnd] <= text.size());
      end = w[packed::kDstEnd];
      for (size_t k : {packed::kDev, packed::kGateway, packed::kPrefsrc}) CHECK(w[k] <= known_strings_);
      const uint32_t flags = w[packed::kFlags];
      CHECK((flags & ~(packed::kHasMetric | packed::kHasExtras | packed::kHasPref | 0xffu << packed::kPrefShift)) == 0);
      if (flags & packed::kHasExtras) with_extras++;
    }
    CHECK(end == text.size());
    CHECK(ExtrasObjects(batch.extras) == with_extras);
    // A next hop's device is a string id, like the words' (its name may be settled late).
    for (size_t at = batch.extras.find(kDevKey); at != std::string::npos; at = batch.extras.find(kDevKey, at + 1)) {
      const uint32_t id = static_cast<uint32_t>(strtoul(batch.extras.c_str() + at + strlen(kDevKey), nullptr, 10));
      CHECK(id > 0 && id <= known_strings_);
    }
    for (char ch : text) CHECK(strchr("0123456789abcdef.:/", ch) != nullptr && ch != '\0');
  }

 private:
  // The extras (route_extras.cc) are JSON objects, comma-separated, balanced, printable: how many.
  static size_t ExtrasObjects(const std::string& extras) {
    size_t objects = 0;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char ch : extras) {
      CHECK(ch >= 0x20 && ch < 0x7f);
      if (in_string) {
        in_string = escaped || ch != '"';
        escaped = !escaped && ch == '\\';
      } else if (ch == '"') {
        in_string = true;
      } else if (ch == '{' || ch == '[') {
        if (depth++ == 0) objects++;
      } else if (ch == '}' || ch == ']') {
        CHECK(--depth >= 0);
      }
    }
    CHECK(depth == 0 && !in_string);
    return objects;
  }

  static constexpr const char* kDevKey = "\"dev\":";
  size_t known_strings_ = 0;
};

void SayBatch(const char* what, const RouteBatch& batch) {
  if (!verbose) return;
  fprintf(stderr, "  %s: %zu routes, %zu new strings: %s", what, batch.words.size() / packed::kWords,
          batch.strings.size(), batch.text.substr(0, 60).c_str());
  for (const std::string& s : batch.strings) fprintf(stderr, " [%s]", s.c_str());
  fprintf(stderr, "\n");
}

RouteQuery Query(ByteReader& args, uint8_t* addr, bool* fib_match) {
  RouteQuery q;
  q.family = (args.U8() & 1) ? AF_INET6 : AF_INET;
  *fib_match = args.U8() & 1;
  q.oif = args.U32();
  args.Bytes(addr, 16);
  q.address = addr;
  return q;
}

// getRoute: GetRoute, one lookup and the names of the output interfaces it did not know.
void RouteGet(NetlinkSocket* socket, const Conversation& c) {
  ByteReader args(c.request);
  uint8_t addr[16];
  bool fib_match = false;
  const RouteQuery query = Query(args, addr, &fib_match);
  RouteBatch batch;
  NlError err = GetRoute(socket, query, fib_match, &batch);
  CheckError(err);
  Say("lookup", err);
  if (IsError(err)) return;
  CHECK(batch.done);
  BatchChecker().Check(batch);
  SayBatch("route", batch);
}

// getRoutes: GetRoutes, 1 + param lookups pipelined (param 255: 300, two sends); with an odd param the
// caller knows two links by name.
void RouteGets(NetlinkSocket* socket, const Conversation& c) {
  ByteReader args(c.request);
  const size_t n = c.param == 255 ? 300 : 1 + c.param;
  std::vector<uint8_t> addrs(n * 16);
  std::vector<RouteQuery> queries(n);
  bool fib_match = false;
  for (size_t i = 0; i < n; i++) queries[i] = Query(args, addrs.data() + i * 16, &fib_match);
  std::vector<Link> known;
  if (c.param & 1) known = {Link{1, "lo", 0, 0, 0}, Link{2, "eth0", 0, 0, 0}};
  RouteBatch batch;
  std::vector<int32_t> owners, errors;
  NlError err = GetRoutes(socket, queries, fib_match, known, &batch, &owners, &errors);
  CheckError(err);
  Say("transact", err);
  if (IsError(err)) return;
  CHECK(batch.done);
  CHECK(errors.size() == n);
  for (int32_t e : errors) {
    CHECK(e >= 0);
    if (verbose) fprintf(stderr, "  lookup: %d\n", e);
  }
  BatchChecker().Check(batch);
  SayBatch("routes", batch);
  // One owner per route, each a lookup of the call.
  CHECK(owners.size() == batch.words.size() / packed::kWords);
  for (int32_t o : owners) CHECK(o >= 0 && static_cast<size_t>(o) < n);
}

// listLinks: ReadLinks.
NlError LinkDump(NetlinkSocket* socket) {
  std::vector<Link> links;
  NlError err = ReadLinks(socket, &links);
  CheckError(err);
  Say("link dump", err);
  if (verbose)
    for (const Link& l : links) fprintf(stderr, "   link %u %s mtu %u\n", l.index, l.name.c_str(), l.mtu);
  return err;
}

// getLinks and linkIndexes: GetLinks and LinkIndexes.
// Interface names as the TS side sends them (1-15 bytes, no NUL), NUL-separated in bytes [from, end).
std::vector<std::string> Names(const std::vector<uint8_t>& bytes, size_t from) {
  std::vector<std::string> names;
  std::string name;
  for (size_t i = from; i < bytes.size(); i++) {
    const uint8_t b = bytes[i];
    if (b == 0 || name.size() == 15) {
      if (!name.empty()) names.push_back(name);
      name.clear();
      if (b == 0) continue;
    }
    name.push_back(static_cast<char>(b));
  }
  if (!name.empty()) names.push_back(name);
  return names;
}

void LinkGets(NetlinkSocket* socket, const Conversation& c) {
  std::vector<std::string> names = Names(c.request, 0);
  if (names.empty()) names.push_back("eth0");
  if (names.size() > 64) names.resize(64);
  std::vector<Link> links;
  std::vector<bool> found;
  NlError err = GetLinks(socket, names, &links, &found);
  CheckError(err);
  Say("links", err);
  if (IsError(err)) return;
  CHECK(links.size() == names.size() && found.size() == names.size());
  for (size_t i = 0; i < names.size(); i++) {
    if (found[i]) CHECK(links[i].index != 0);
    if (verbose)
      fprintf(stderr, "   link %s: %s %u %s\n", names[i].c_str(), found[i] ? "found" : "none", links[i].index,
              links[i].name.c_str());
  }
  std::vector<uint32_t> indexes;
  err = LinkIndexes(socket, names, &indexes);
  CheckError(err);
  if (IsError(err)) return;
  CHECK(indexes.size() == names.size());
}

// change: ApplyChanges with the records as JS packs them (any bytes: the encoder must stay within its
// message size). Param 0: all records; else the first param records, and the rest of the bytes the rare fields
// of those that have record::kHasRareFields (rare_fields.h): one entry for each, or, while bytes are left, more
// (which ApplyChanges refuses).
void Changes(NetlinkSocket* socket, const Conversation& c) {
  size_t count = c.request.size() / record::kSize;
  if (c.param) count = std::min<size_t>(count, c.param);
  const size_t rare_at = count * record::kSize;
  std::vector<uint8_t> records(c.request.begin(), c.request.begin() + rare_at);
  if (records.empty()) records.assign(record::kSize, 0), count = 1;
  std::vector<RouteChangeRareFields> rare;
  if (c.param) {
    ByteReader reader(c.request.data() + rare_at, c.request.size() - rare_at);
    for (size_t i = 0; i < count; i++)
      if (records[i * record::kSize + record::kPresent] & record::kHasRareFields)
        rare.push_back(ReadRareFields(reader));
    if (!reader.empty()) rare.push_back(ReadRareFields(reader));
  }
  std::vector<std::pair<size_t, NlError>> failures;
  NlError err = ApplyChanges(socket, records.data(), count, rare, &failures);
  CheckError(err);
  Say("changes", err);
  CheckFailures("change", failures, count);
}

// dumpRoutes: RouteDumpReader, batch after batch, on the handle's own socket, as the addon's dump reader
// thread reads it; with param bit 1 the dump is given up after its first batch and drained (as on a shared
// socket), and the socket is used again.
void RouteDump(NetlinkSocket* socket, const Conversation& c) {
  ByteReader args(c.request);
  RouteDumpFilter filter;
  filter.table = args.U32();
  filter.protocol = args.U8();
  filter.oif = args.U32();
  if (!(c.param & 1)) filter.families.push_back(AF_INET);
  if (c.param & 3) filter.families.push_back(AF_INET6);
  const bool give_up = c.param & 2;
  const size_t max_routes = 1 + (c.param >> 2) * 8;

  RouteDumpReader reader(socket, std::move(filter));
  BatchChecker checker;
  for (int batches = 0, done = 0; !done; batches++) {
    RouteBatch batch;
    NlError err = reader.ReadBatch(max_routes, &batch);
    CheckError(err);
    Say("batch", err);
    if (IsError(err)) return;
    checker.Check(batch);
    SayBatch("batch", batch);
    done = batch.done;
    if (done) CHECK(!socket->dump_running());
    if (give_up && batches == 0) {
      if (IsError(reader.Drain())) return;
      CHECK(!socket->dump_running());
      LinkDump(socket);  // the socket works again after a drained dump
      return;
    }
  }
}

// listRules: ReadRules; every rule as JS reads it (native/rule_napi.cc): a family, prefix lengths within it.
void RuleDump(NetlinkSocket* socket, const Conversation& c) {
  std::vector<int> families;
  if (c.param % 3 != 2) families.push_back(AF_INET);
  if (c.param % 3 != 1) families.push_back(AF_INET6);
  std::vector<Rule> rules;
  NlError err = ReadRules(socket, families, &rules);
  CheckError(err);
  Say("rules", err);
  if (IsError(err)) return;
  for (const Rule& r : rules) {
    CHECK(r.family == AF_INET || r.family == AF_INET6);
    const unsigned host = r.family == AF_INET ? 32 : 128;
    CHECK(r.src_len <= host && r.dst_len <= host);
    if (verbose)
      fprintf(stderr, "   rule %u action %u table %u present %#x\n", r.priority, r.action, r.table, r.present);
  }
}

// changeRules: ChangeRules with 1 + param / 2 rules (param 254, 255: 600, two sends) made of the request bytes one
// after another (any fields, names up to 255 bytes), each an add (param bit 0 clear) or a delete.
void RuleChanges(NetlinkSocket* socket, const Conversation& c) {
  ByteReader args(c.request);
  std::vector<RuleChange> changes(c.param >= 254 ? 600 : 1 + c.param / 2);
  for (RuleChange& change : changes) {
    change.add = !(c.param & 1);
    Rule& rule = change.rule;
    rule.family = (args.U8() & 1) ? AF_INET6 : AF_INET;
    rule.action = args.U8();
    rule.src_len = args.U8();
    rule.dst_len = args.U8();
    rule.flags = args.U32();
    rule.table = args.U32();
    rule.present = args.U32();
    rule.priority = args.U32();
    rule.fwmark = args.U32();
    rule.ip_proto = args.U8();
    rule.protocol = args.U8();
    rule.uid_start = args.U32();
    rule.uid_end = args.U32();
    rule.sport_start = static_cast<uint16_t>(args.U32());
    rule.dport_end = static_cast<uint16_t>(args.U32());
    args.Bytes(rule.src, 16);
    args.Bytes(rule.dst, 16);
    rule.iif.assign(args.U8(), 'i');
    rule.oif.assign(args.U8(), 'o');
  }
  std::vector<std::pair<size_t, NlError>> failures;
  NlError err = ChangeRules(socket, changes, &failures);
  CheckError(err);
  Say("rule changes", err);
  CheckFailures("rule change", failures, changes.size());
}

// listAddresses: ReadAddresses; every address as JS reads it (native/address_napi.cc): a family, a local
// address, a prefix length within the family.
void AddressDump(NetlinkSocket* socket, const Conversation& c) {
  const int family = c.param % 3 == 1 ? AF_INET : c.param % 3 == 2 ? AF_INET6 : AF_UNSPEC;
  std::vector<InterfaceAddress> addresses;
  NlError err = ReadAddresses(socket, family, &addresses);
  CheckError(err);
  Say("addresses", err);
  if (IsError(err)) return;
  for (const InterfaceAddress& a : addresses) {
    CHECK(a.family == AF_INET || a.family == AF_INET6);
    CHECK(a.present & InterfaceAddress::kLocal);
    CHECK(a.prefix_len <= (a.family == AF_INET ? 32 : 128));
    if (verbose)
      fprintf(stderr, "   address if%u /%u flags %#x present %#x\n", a.index, a.prefix_len, a.flags, a.present);
  }
}

// changeAddress: ChangeAddress with an address made of the request bytes (labels up to 255 bytes).
void AddressChange(NetlinkSocket* socket, const Conversation& c) {
  ByteReader args(c.request);
  InterfaceAddress a;
  a.family = (args.U8() & 1) ? AF_INET6 : AF_INET;
  a.prefix_len = args.U8();
  a.scope = args.U8();
  a.present = args.U8();
  a.flags = args.U32();
  a.index = args.U32();
  args.Bytes(a.local, 16);
  args.Bytes(a.address, 16);
  args.Bytes(a.broadcast, 16);
  a.label.assign(args.U8(), 'l');
  NlError err = ChangeAddress(socket, !(c.param & 1), a);
  CheckError(err);
  Say("address change", err);
}

// What a watch joins: kinds (bit 0 routes, 1 links, 2 addresses, 3 rules), families (bit 0 IPv4, 1 IPv6; none:
// both).
EventFilter ReadEventFilter(const std::vector<uint8_t>& request) {
  ByteReader args(request);
  EventFilter f;
  const uint8_t kinds = args.U8(), families = args.U8();
  f.routes = kinds & 1, f.links = kinds & 2, f.addresses = kinds & 4, f.rules = kinds & 8;
  if (families & 1) f.families.push_back(AF_INET);
  if (families & 2) f.families.push_back(AF_INET6);
  return f;
}

bool WantsFamily(const EventFilter& f, int family) {
  return f.families.empty() || std::find(f.families.begin(), f.families.end(), family) != f.families.end();
}

// Every route of an event batch of a family joined, with a prefix length.
void CheckEventRoutes(const EventFilter& f, const RouteBatch& batch) {
  BatchChecker().Check(batch);  // strings are interned within an event batch only
  uint32_t begin = 0;
  for (size_t i = 0; i < batch.words.size(); i += packed::kWords) {
    const uint32_t* w = batch.words.data() + i;
    const std::string dst = batch.text.substr(begin, w[packed::kDstEnd] - begin);
    begin = w[packed::kDstEnd];
    CHECK(dst.rfind('/') != std::string::npos);
    CHECK(WantsFamily(f, static_cast<int>(w[packed::kMeta] & 0xff)));
  }
}

// The events in order, each kind's objects in their lists, nothing the filter does not ask for, and an
// overrun exactly where a receive buffer was lost (ENOBUFS) or cut (MSG_TRUNC).
void CheckEvents(const EventFilter& f, const EventBatch& batch, bool lost) {
  CHECK(batch.routes.done);
  CheckEventRoutes(f, batch.routes);
  size_t routes = 0, links = 0, addresses = 0, rules = 0, overruns = 0;
  for (uint32_t e : batch.events) {
    const uint32_t kind = e & 0xff;
    CHECK((e & ~(0xffu | event::kDeleted)) == 0);
    if (kind == event::kRoute) {
      CHECK(f.routes);
      routes++;
    } else if (kind == event::kLink) {
      CHECK(f.links && links < batch.links.size());
      const Link& l = batch.links[links++];
      CHECK(l.name.find('\0') == std::string::npos);
    } else if (kind == event::kAddress) {
      CHECK(f.addresses && addresses < batch.addresses.size());
      const InterfaceAddress& a = batch.addresses[addresses];
      CHECK(WantsFamily(f, a.family) && (a.family == AF_INET || a.family == AF_INET6));
      CHECK(!batch.address_devs[addresses].empty());
      addresses++;
    } else if (kind == event::kRule) {
      CHECK(f.rules && rules < batch.rules.size());
      const Rule& r = batch.rules[rules++];
      CHECK(WantsFamily(f, r.family) && (r.family == AF_INET || r.family == AF_INET6));
    } else {
      CHECK(e == event::kOverrun);
      overruns++;
    }
  }
  CHECK(routes == batch.routes.words.size() / packed::kWords);
  CHECK(links == batch.links.size() && addresses == batch.addresses.size() && rules == batch.rules.size());
  CHECK(batch.address_devs.size() == batch.addresses.size());
  CHECK((overruns > 0) == lost);
  if (verbose)
    fprintf(stderr, "  events: %zu (%zu routes, %zu links, %zu addresses, %zu rules, %zu overruns)\n",
            batch.events.size(), routes, links, addresses, rules, overruns);
}

// watch: an EventReader as the addon's reader thread runs it, without a wake descriptor and with timeout 0,
// until the receive buffers are used up (the fake poll says readable while some remain) or 64 reads.
void EventRead(NetlinkSocket* socket, const Conversation& c) {
  const EventFilter filter = ReadEventFilter(c.request);
  EventReader reader(socket, filter);
  NlError err = reader.Join();
  CheckError(err);
  Say("join", err);
  if (IsError(err)) return;
  if (after_event_join) after_event_join();
  for (int reads = 0; reads < 64; reads++) {
    const size_t first = fake_kernel::Received();
    EventBatch batch;
    bool woken = true;
    err = reader.Read(-1, 0, &batch, &woken);
    CheckError(err);
    Say("read", err);
    if (IsError(err)) return;
    CHECK(!woken);
    const size_t last = fake_kernel::Received();
    bool lost = false;
    for (size_t i = first; i < last; i++)
      lost = lost || (c.chunks[i].control & (fake_kernel::kNoBuffers | fake_kernel::kTruncated));
    CheckEvents(filter, batch, lost);
    SayBatch("routes", batch.routes);
    if (last >= c.chunks.size()) return;
  }
}

// firewall: the nf_tables operations (nft_operations.h); every rule recognised as JS reads it (nft_napi.cc).
void CheckMasquerade(const nft::Masquerade& r) {
  CHECK(r.family == AF_INET || r.family == AF_INET6);
  CHECK(r.prefix_len >= 1 && r.prefix_len <= (r.family == AF_INET ? 32 : 128));
  CHECK(!r.oif.empty() && r.oif.size() < 16);
}

// The lockdown's filter rules from the request: family, oif length (0-15, made of 'v'), prefix length, 16 address
// bytes, protocol, ports, ICMPv6 types and verdict, made valid as firewall.ts would send them.
std::vector<nft::Filter> Filters(ByteReader* args) {
  std::vector<nft::Filter> rules;
  static constexpr uint8_t kProtocols[] = {0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6};
  while (!args->empty() && rules.size() < 12) {
    nft::Filter r;
    const uint8_t family = args->U8() % 3;
    r.family = family == 0 ? 0 : family == 1 ? AF_INET : AF_INET6;
    r.oif.assign(args->U8() % 16, 'v');
    const unsigned max = r.family == AF_INET ? 32 : 128;
    r.daddr_len = r.family ? static_cast<uint8_t>(args->U8() % (max + 1)) : 0;
    args->Bytes(r.daddr, 16);
    uint8_t mask[16];
    nft::PrefixMask(r.daddr_len, 16, mask);
    for (size_t b = 0; b < 16; b++) r.daddr[b] &= mask[b];
    r.l4proto = kProtocols[args->U8() % 4];
    const uint16_t sport = args->U8(), dport = args->U8();
    if (r.l4proto == IPPROTO_TCP || r.l4proto == IPPROTO_UDP) {
      r.sport = sport;
      r.dport = dport;
    }
    const uint8_t low = args->U8(), high = args->U8();
    if (r.l4proto == IPPROTO_ICMPV6) {
      r.icmp_type_min = std::min(low, high);
      r.icmp_type_max = std::max(low, high);
    }
    r.verdict = (args->U8() & 1) ? nft::Filter::kReject : nft::Filter::kAccept;
    CHECK(nft::Valid(r));
    rules.push_back(r);
  }
  return rules;
}

void Lockdown(NetlinkSocket* socket, const Conversation& c) {
  NlError err;
  TableChange change = TableChange::kUnchanged;
  if (c.param % 3 == 0) {
    LockdownState state;
    err = ReadLockdown(socket, &state);
    CHECK(state.exists || (!state.ours_only && !state.owned));
    for (const LockdownChainState& chain : state.chains) {
      CHECK(chain.exists || chain.rules.empty() || !state.ours_only);
      for (const std::string& rule : chain.rules) CHECK(!rule.empty());
    }
    if (verbose) fprintf(stderr, "   lockdown table %d ours only %d\n", state.exists, state.ours_only);
  } else if (c.param % 3 == 1) {
    ByteReader args(c.request);
    err = SetLockdown(socket, Filters(&args), &change);
  } else {
    err = RemoveLockdown(socket, &change);
  }
  CheckError(err);
  CHECK(!IsError(err) || change == TableChange::kUnchanged);  // a failure reports no change
  Say("lockdown", err);
}

void Firewall(NetlinkSocket* socket, const Conversation& c) {
  if (c.param % 6 >= 3) return Lockdown(socket, c);
  NlError err;
  TableChange change = TableChange::kUnchanged;
  if (c.param % 3 == 0) {
    MasqueradeState state;
    err = ReadMasquerade(socket, &state);
    CHECK(state.exists || (state.rules.empty() && !state.ours_only && !state.owned));
    for (const nft::Masquerade& r : state.rules) CheckMasquerade(r);
    if (verbose)
      fprintf(stderr, "   table %d ours only %d rules %zu\n", state.exists, state.ours_only, state.rules.size());
  } else if (c.param % 3 == 1) {
    // Rules from the request: family bit, prefix length, 16 address bytes, oif length (1-15, made of 'u').
    ByteReader args(c.request);
    std::vector<nft::Masquerade> rules;
    while (!args.empty() && rules.size() < 8) {
      nft::Masquerade r;
      r.family = (args.U8() & 1) ? AF_INET6 : AF_INET;
      const unsigned max = r.family == AF_INET ? 32 : 128;
      r.prefix_len = static_cast<uint8_t>(args.U8() % max + 1);
      args.Bytes(r.source, 16);
      r.oif.assign(args.U8() % 15 + 1, 'u');
      rules.push_back(r);
    }
    err = SetMasquerade(socket, rules, &change);
  } else {
    err = RemoveMasquerade(socket, &change);
  }
  CheckError(err);
  CHECK(!IsError(err) || change == TableChange::kUnchanged);  // a failure reports no change
  Say("firewall", err);
}

// listSockets / destroySockets: the dumps param asks for (bits 0-1: 0 both families, 1 IPv4, 2 IPv6; bits 2-3: 0
// both protocols, 1 TCP, 2 UDP) on a sock_diag socket cloned from the route socket, as the JS handle makes it; every
// socket of a family and protocol asked for; with destroy, one result per connected socket destroyed.
void Sockets(NetlinkSocket* route, const Conversation& c, bool destroy) {
  NetlinkSocket* raw = nullptr;
  NlError err = route->Clone(&raw, NETLINK_SOCK_DIAG);
  CHECK(!err.err);
  std::unique_ptr<NetlinkSocket> diag(raw);
  const unsigned families = c.param & 3, protocols = (c.param >> 2) & 3;
  std::vector<uint8_t> want_families, want_protocols;
  if (families != 2) want_families.push_back(AF_INET);
  if (families != 1) want_families.push_back(AF_INET6);
  if (protocols != 2) want_protocols.push_back(IPPROTO_TCP);
  if (protocols != 1) want_protocols.push_back(IPPROTO_UDP);
  std::vector<DiagSocket> sockets;
  err = ReadSockets(diag.get(), want_families, want_protocols, &sockets);
  CheckError(err);
  Say("sockets", err);
  if (IsError(err)) return;
  std::vector<DiagSocket> connected;
  for (const DiagSocket& s : sockets) {
    CHECK(std::count(want_families.begin(), want_families.end(), s.family) == 1);
    CHECK(std::count(want_protocols.begin(), want_protocols.end(), s.protocol) == 1);
    if (verbose) fprintf(stderr, "   socket family %u protocol %u state %u\n", s.family, s.protocol, s.state);
    if (s.id.idiag_dport != 0) connected.push_back(s);
  }
  if (!destroy) return;
  std::vector<NlError> results;
  err = DestroySockets(diag.get(), connected, &results);
  CheckError(err);
  Say("destroy", err);
  if (IsError(err)) return;
  CHECK(results.size() == connected.size());
  for (const NlError& r : results) CheckError(r);
}

}  // namespace

void (*after_event_join)() = nullptr;

void RunConversation(const Conversation& c) {
  if (verbose) fprintf(stderr, "scenario %d param %d\n", c.scenario % kScenarios, c.param);
  NetlinkSocket* raw = nullptr;
  const int protocol = c.scenario % kScenarios == kFirewall ? NETLINK_NETFILTER : NETLINK_ROUTE;
  NlError err = NetlinkSocket::Open("", 2000, &raw, protocol);
  if (err.err) {
    fprintf(stderr, "cannot open a netlink socket: %s\n", err.message.c_str());
    abort();
  }
  std::unique_ptr<NetlinkSocket> socket(raw);
  switch (c.scenario % kScenarios) {
    case kRouteGet: RouteGet(socket.get(), c); break;
    case kRouteGets: RouteGets(socket.get(), c); break;
    case kLinkDump: LinkDump(socket.get()); break;
    case kLinkGets: LinkGets(socket.get(), c); break;
    case kChanges: Changes(socket.get(), c); break;
    case kRouteDump: RouteDump(socket.get(), c); break;
    case kRuleDump: RuleDump(socket.get(), c); break;
    case kRuleChanges: RuleChanges(socket.get(), c); break;
    case kAddressDump: AddressDump(socket.get(), c); break;
    case kAddressChange: AddressChange(socket.get(), c); break;
    case kEventRead: EventRead(socket.get(), c); break;
    case kFirewall: Firewall(socket.get(), c); break;
    case kSocketDump: Sockets(socket.get(), c, false); break;
    case kSocketDestroy: Sockets(socket.get(), c, true); break;
    case kRouteFilter: RouteFilterScenario(c); break;
  }
}

#ifndef RG_CAPTURE
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Conversation c = Conversation::Parse(data, size);
  fake_kernel::StartReplay(&c.chunks);
  RunConversation(c);
  fake_kernel::Stop();
  return 0;
}
#endif
