// libFuzzer target over everything that reads kernel replies: NetlinkSocket's reply loops (sequence and port
// checks, acks, NLMSG_ERROR with extended-ack TLVs, NLMSG_DONE with a status, multipart dumps across
// receive buffers, NLM_F_DUMP_INTR, ENOBUFS, truncation, deadlines) and the decoders behind them
// (RouteBatcher::Add for RTM_NEWROUTE, DecodeLink for RTM_NEWLINK), driven the way native/addon.cc drives
// them. The kernel's side comes from the input (conversation.h) through the fake kernel (fake_kernel.h).
//
// Besides memory errors and undefined behaviour (ASan, UBSan), it aborts when a result breaks what the
// JS side relies on: packed route words well formed, string ids known, destinations printable, one result
// per request, failures with a positive errno and an index in range, and every call returning.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "conversation.h"
#include "fake_kernel.h"
#include "link_codec.h"
#include "netlink_socket.h"
#include "route_codec.h"

namespace {

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond);    \
      abort();                                                                       \
    }                                                                                \
  } while (0)

// Reads request arguments from the input; zeros once it runs out.
class Args {
 public:
  explicit Args(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  uint8_t U8() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= static_cast<uint32_t>(U8()) << (8 * i);
    return v;
  }
  void Bytes(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = U8();
  }
  bool empty() const { return pos_ >= bytes_.size(); }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

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

// What JS turns into route objects (src/netlink/socket.ts): kWords per route, destination ends increasing
// up to the text's length, interned string ids among those handed over so far, printable text.
class BatchChecker {
 public:
  void Check(const std::vector<uint32_t>& words, const std::string& text, const std::vector<std::string>& strings) {
    known_strings_ += strings.size();
    CHECK(words.size() % packed::kWords == 0);
    uint32_t end = 0;
    for (size_t i = 0; i < words.size(); i += packed::kWords) {
      const uint32_t* w = words.data() + i;
      const uint32_t family = w[packed::kMeta] & 0xff;
      CHECK(family == AF_INET || family == AF_INET6);
      CHECK(w[packed::kDstEnd] > end && w[packed::kDstEnd] <= text.size());
      end = w[packed::kDstEnd];
      for (size_t k : {packed::kDev, packed::kGateway, packed::kPrefsrc}) CHECK(w[k] <= known_strings_);
      CHECK((w[packed::kFlags] & ~packed::kHasMetric) == 0);
    }
    CHECK(end == text.size());
    for (char ch : text) CHECK(strchr("0123456789abcdef.:/", ch) != nullptr && ch != '\0');
  }

 private:
  size_t known_strings_ = 0;
};

// native/addon.cc NameLinks: the output interfaces the batch could not name, by ioctl on the socket.
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

std::vector<uint8_t> RouteGetRequest(Args& args, bool* fib_match) {
  const int family = (args.U8() & 1) ? AF_INET6 : AF_INET;
  *fib_match = args.U8() & 1;
  const uint32_t oif = args.U32();
  uint8_t addr[16];
  args.Bytes(addr, sizeof(addr));
  return EncodeRouteGet(family, addr, oif, *fib_match);
}

// getRoute / getRoutes.
void RouteGets(NetlinkSocket* socket, const Conversation& c, bool many) {
  Args args(c.request);
  const size_t n = !many ? 1 : c.param == 255 ? 300 : 1 + c.param;
  std::vector<std::vector<uint8_t>> requests;
  bool fib_match = false;
  for (size_t i = 0; i < n; i++) requests.push_back(RouteGetRequest(args, &fib_match));
  RouteBatcher batcher;
  if (many && (c.param & 1)) batcher.SetLinks({Link{1, "lo", 0, 0, 0}, Link{2, "eth0", 0, 0, 0}});
  std::vector<int32_t> owners;
  std::vector<NlError> results;
  NlError err = socket->Transact(requests, [&](size_t i, const nlmsghdr* m) {
    CHECK(i < n);
    size_t before = batcher.size();
    batcher.Add(m);
    if (batcher.size() > before) owners.push_back(static_cast<int32_t>(i));
  }, &results);
  CheckError(err);
  Say("transact", err);
  if (IsError(err)) return;
  CHECK(results.size() == n);
  for (const NlError& r : results) CheckError(r), Say("lookup", r);
  err = NameLinks(socket, &batcher);
  CheckError(err);
  if (IsError(err)) return;
  std::vector<uint32_t> words;
  std::string text;
  std::vector<std::string> strings;
  batcher.TakeBatch(&words, &text, &strings);
  BatchChecker().Check(words, text, strings);
  if (verbose) {
    fprintf(stderr, "  %zu routes: %s", words.size() / packed::kWords, text.c_str());
    for (const std::string& s : strings) fprintf(stderr, " [%s]", s.c_str());
    fprintf(stderr, "\n");
  }
  CHECK(owners.size() == words.size() / packed::kWords);
}

// listLinks.
NlError LinkDump(NetlinkSocket* socket, std::vector<Link>* links) {
  auto request = EncodeLinkDump();
  socket->ExpectLargeReplies();
  NlError err = socket->TransactOne(request, [links](size_t, const nlmsghdr* m) { DecodeLink(m, links); });
  CheckError(err);
  Say("link dump", err);
  if (verbose) for (const Link& l : *links) fprintf(stderr, "   link %u %s mtu %u\n", l.index, l.name.c_str(), l.mtu);
  return err;
}

// linkIndexes / getLinks: names as the TS side sends them (1-15 bytes, no NUL).
void LinkGets(NetlinkSocket* socket, const Conversation& c) {
  std::vector<std::string> names;
  std::string name;
  for (uint8_t b : c.request) {
    if (b == 0 || name.size() == 15) {
      if (!name.empty()) names.push_back(name);
      name.clear();
      if (b == 0) continue;
    }
    name.push_back(static_cast<char>(b));
  }
  if (!name.empty()) names.push_back(name);
  if (names.empty()) names.push_back("eth0");
  if (names.size() > 64) names.resize(64);
  std::vector<std::vector<uint8_t>> requests;
  for (const std::string& n : names) requests.push_back(EncodeLinkGet(0, n));
  socket->ExpectLargeReplies();
  std::vector<Link> links(requests.size());
  std::vector<NlError> results;
  NlError err = socket->Transact(requests, [&](size_t i, const nlmsghdr* m) {
    CHECK(i < links.size());
    std::vector<Link> one;
    DecodeLink(m, &one);
    if (!one.empty()) links[i] = std::move(one[0]);
  }, &results);
  CheckError(err);
  if (IsError(err)) return;
  CHECK(results.size() == requests.size());
  for (const NlError& r : results) CheckError(r), Say("link", r);
  if (verbose) for (const Link& l : links) fprintf(stderr, "   link %u %s\n", l.index, l.name.c_str());
}

// change: the records as JS packs them (any bytes: the encoder must stay within its message size).
void Changes(NetlinkSocket* socket, const Conversation& c) {
  std::vector<uint8_t> records(c.request.begin(), c.request.end() - c.request.size() % record::kSize);
  if (records.empty()) records.assign(record::kSize, 0);
  const size_t count = records.size() / record::kSize;
  std::vector<std::pair<size_t, NlError>> failures;
  NlError err = socket->TransactRecords(records.data(), count, &failures);
  CheckError(err);
  Say("changes", err);
  for (const auto& f : failures) {
    if (verbose) fprintf(stderr, "  change %zu: %d %s\n", f.first, f.second.err, f.second.message.c_str());
    CHECK(f.first < count);
    CHECK(f.second.err > 0);
  }
}

// dumpRoutes: native/addon.cc DumpState::ReadBatch, batch after batch, on the handle's own socket; with
// param bit 1 the dump is given up after its first batch (drained), and the socket is used again.
void RouteDump(NetlinkSocket* socket, const Conversation& c) {
  Args args(c.request);
  const uint32_t table = args.U32();
  const uint8_t protocol = args.U8();
  const uint32_t oif = args.U32();
  std::vector<int> families;
  if (!(c.param & 1)) families.push_back(AF_INET);
  if (c.param & 3) families.push_back(AF_INET6);
  const bool give_up = c.param & 2;
  const size_t max_routes = 1 + (c.param >> 2) * 8;

  std::vector<Link> links;
  if (IsError(LinkDump(socket, &links))) return;
  RouteBatcher batcher;
  batcher.SetLinks(links);
  BatchChecker checker;
  bool dump_started = false, dump_done = false;
  size_t family_index = 0;
  for (int batches = 0; !dump_done; batches++) {
    while (!dump_done && batcher.size() < max_routes) {
      if (!dump_started) {
        if (family_index == families.size()) {
          dump_done = true;
          break;
        }
        auto request = EncodeRouteDump(families[family_index], table, protocol, oif);
        NlError err = socket->StartDump(request);
        CheckError(err);
        if (IsError(err)) return;
        dump_started = true;
      }
      bool done = false;
      NlError result;
      NlError err = socket->ReadDump([&batcher](const nlmsghdr* m) { batcher.Add(m); }, &done, &result);
      CheckError(err);
      if (IsError(err)) return;
      if (done) {
        CheckError(result);
        Say("dump", result);
        CHECK(!socket->dump_running());
        if (IsError(result)) return;
        dump_started = false;
        family_index++;
      }
    }
    std::vector<uint32_t> words;
    std::string text;
    std::vector<std::string> strings;
    batcher.TakeBatch(&words, &text, &strings);
    checker.Check(words, text, strings);
    if (verbose) fprintf(stderr, "  batch: %zu routes, %zu new strings, text %s\n", words.size() / packed::kWords, strings.size(), text.substr(0, 60).c_str());
    if (give_up && batches == 0) {
      if (socket->dump_running() && IsError(socket->DrainDump())) return;
      CHECK(!socket->dump_running());
      links.clear();
      LinkDump(socket, &links);  // the socket works again after a drained dump
      return;
    }
  }
}

}  // namespace

void RunConversation(const Conversation& c) {
  if (verbose) fprintf(stderr, "scenario %d param %d\n", c.scenario % kScenarios, c.param);
  NetlinkSocket* raw = nullptr;
  NlError err = NetlinkSocket::Open("", 2000, &raw);
  if (err.err) {
    fprintf(stderr, "cannot open a netlink socket: %s\n", err.message.c_str());
    abort();
  }
  std::unique_ptr<NetlinkSocket> socket(raw);
  switch (c.scenario % kScenarios) {
    case kRouteGet: RouteGets(socket.get(), c, false); break;
    case kRouteGets: RouteGets(socket.get(), c, true); break;
    case kLinkDump: {
      std::vector<Link> links;
      LinkDump(socket.get(), &links);
      break;
    }
    case kLinkGets: LinkGets(socket.get(), c); break;
    case kChanges: Changes(socket.get(), c); break;
    case kRouteDump: RouteDump(socket.get(), c); break;
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
