// Routes between three forms: the fixed-size change records that JS packs, rtnetlink messages, and the
// packed decoded form that JS turns into objects cheaply.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

// A change record, written by src/netlink/wire.ts. Multi-byte fields are in host byte order.
namespace record {
constexpr size_t kSize = 68;
constexpr size_t kOp = 0, kFamily = 1, kDstLen = 2, kGatewayFamily = 3, kProtocol = 4, kScope = 5, kType = 6,
                 kPresent = 7, kTable = 8, kMetric = 12, kOif = 16, kDst = 20, kGateway = 36, kPrefsrc = 52;
constexpr uint8_t kAdd = 0, kReplace = 1, kDelete = 2;
constexpr uint8_t kHasOif = 1, kHasMetric = 2, kHasPrefsrc = 4;
}  // namespace record

// The decoded form: kWords 32-bit words per route, and the text they point into.
namespace packed {
constexpr size_t kWords = 14;
constexpr size_t kFamily = 0, kTable = 1, kProtocol = 2, kScope = 3, kType = 4, kPresent = 5, kMetric = 6,
                 kOif = 7, kDst = 8, kGateway = 10, kPrefsrc = 12;  // text ranges: [start, end)
constexpr uint32_t kHasGateway = 1, kHasMetric = 2, kHasOif = 4, kHasPrefsrc = 8;
}  // namespace packed

std::vector<uint8_t> EncodeRouteChange(const uint8_t* rec);
// Filters are applied by the kernel (NETLINK_GET_STRICT_CHK); 0 means no filter.
std::vector<uint8_t> EncodeRouteDump(int family, uint32_t table, uint8_t protocol, uint32_t oif);
std::vector<uint8_t> EncodeRouteGet(int family, const uint8_t* addr, uint32_t oif, bool fib_match);

class PackedRoutes {
 public:
  // Appends the route if msg is an IPv4 or IPv6 RTM_NEWROUTE; other messages are ignored.
  void Add(const nlmsghdr* msg);
  // Drops the routes after the first `words` words (a dump that is about to be retried).
  void Truncate(size_t words) { words_.resize(words); }
  size_t size() const { return words_.size() / packed::kWords; }
  const std::vector<uint32_t>& words() const { return words_; }
  std::vector<uint32_t> TakeWords() { return std::move(words_); }
  const std::string& text() const { return text_; }

 private:
  void AppendInterned(int family, const uint8_t* addr, uint32_t* range);
  std::vector<uint32_t> words_;
  std::string text_;
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>> interned_;  // gateways, sources: few distinct
};
