// The addresses of a watch's route interest as the prefixes its kernel filter tests (route_filter.h): each
// address as itself (a host prefix), or, when they are more than one program can test, widened per family to
// the longest common prefixes that fit. A wider prefix lets more routes through, never fewer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct RoutePrefix {
  int family = 0;       // AF_INET, AF_INET6
  uint8_t bytes[16]{};  // IPv4 in the first 4; zero past the length
  unsigned length = 0;
};

// One family's addresses, sorted and each once, at a length that starts at the family's own and shrinks.
class PrefixWidening {
 public:
  PrefixWidening(int family, std::vector<RoutePrefix> addresses);

  int family() const { return family_; }
  unsigned length() const { return length_; }
  bool exact() const { return length_ == bits_; }
  // How many prefixes the addresses make at the length now.
  size_t count() const;
  // Shortens the length to the longest one at which the addresses make at most half as many prefixes (and
  // by at least one bit); false when it is 0 already.
  bool Halve();
  // The prefixes at the length now, in order, appended.
  void AppendTo(std::vector<RoutePrefix>* out) const;

 private:
  int family_;
  unsigned bits_, length_;
  std::vector<RoutePrefix> addresses_;
  std::vector<unsigned> shared_;  // the leading bits each address shares with the next, in ascending order
};
