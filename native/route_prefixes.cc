#include "route_prefixes.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace {

bool Before(const RoutePrefix& a, const RoutePrefix& b) { return memcmp(a.bytes, b.bytes, sizeof(a.bytes)) < 0; }
bool Same(const RoutePrefix& a, const RoutePrefix& b) { return memcmp(a.bytes, b.bytes, sizeof(a.bytes)) == 0; }

unsigned SharedBits(const RoutePrefix& a, const RoutePrefix& b, unsigned bits) {
  unsigned bit = 0;
  while (bit < bits && ((a.bytes[bit / 8] ^ b.bytes[bit / 8]) & (0x80 >> (bit % 8))) == 0) bit++;
  return bit;
}

RoutePrefix Cut(RoutePrefix p, unsigned length) {
  for (unsigned byte = 0; byte < sizeof(p.bytes); byte++) {
    const unsigned kept = length > 8 * byte ? std::min(8u, length - 8 * byte) : 0;
    p.bytes[byte] &= static_cast<uint8_t>(0xff00 >> kept);
  }
  p.length = length;
  return p;
}

}  // namespace

PrefixWidening::PrefixWidening(int family, std::vector<RoutePrefix> addresses)
    : family_(family), bits_(family == AF_INET ? 32 : 128), length_(bits_), addresses_(std::move(addresses)) {
  std::sort(addresses_.begin(), addresses_.end(), Before);
  addresses_.erase(std::unique(addresses_.begin(), addresses_.end(), Same), addresses_.end());
  for (size_t i = 1; i < addresses_.size(); i++) shared_.push_back(SharedBits(addresses_[i - 1], addresses_[i], bits_));
  std::sort(shared_.begin(), shared_.end());
}

// Neighbours (in order) that share fewer leading bits than the length fall into different prefixes.
size_t PrefixWidening::count() const {
  if (addresses_.empty()) return 0;
  return 1 + static_cast<size_t>(std::lower_bound(shared_.begin(), shared_.end(), length_) - shared_.begin());
}

bool PrefixWidening::Halve() {
  if (length_ == 0) return false;
  const size_t target = std::max<size_t>(1, count() / 2);
  // At length L the prefixes are 1 + the neighbours sharing fewer than L bits: at most `target` for every
  // L up to the (target)th smallest of those shares.
  length_ = target - 1 < shared_.size() ? std::min(length_ - 1, shared_[target - 1]) : length_ - 1;
  return true;
}

void PrefixWidening::AppendTo(std::vector<RoutePrefix>* out) const {
  const size_t first = out->size();
  for (const RoutePrefix& a : addresses_) {
    RoutePrefix p = Cut(a, length_);
    p.family = family_;
    if (out->size() == first || !Same(out->back(), p)) out->push_back(p);
  }
}
