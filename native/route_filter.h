// A classic BPF socket filter for a watch: the kernel runs it on each notification, in the context of whoever
// made the change, and a notification it drops never reaches the socket. A flood of routes that cannot matter
// (a BGP feed elsewhere) then never wakes the reader thread. It drops only a route notification it has read
// whole and found of no interest; everything else passes: links, addresses, rules, and any route it cannot
// read to the end (another family, more than kFilterPaths paths, an attribute it does not expect).
// N-API-free: the fuzzer runs the same program in an interpreter against the route codec's reading.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "route_prefixes.h"

// The routes of interest: those whose destination prefix contains one of the addresses (default routes
// included), of the protocol, or leaving by the interface (RTA_OIF, or one of RTA_MULTIPATH's paths; a nexthop
// object's route without either may).
struct RouteInterest {
  struct Address {
    int family = 0;       // AF_INET, AF_INET6
    uint8_t bytes[16]{};  // IPv4 in the first 4
  };
  std::vector<Address> addresses;
  uint8_t protocol = 0;  // 0: none
  uint32_t oif = 0;      // 0: none
};

// The program, and the prefixes it tests: a route passes when its destination prefix meets one of them
// (contains it or lies in it). They are the addresses themselves (exact) unless those are more than a program
// of BPF_MAXINSNS instructions can test (about 1,000 IPv4 or 150 IPv6 ones): then they are widened, per
// family, to the longest common prefixes that fit (route_prefixes.h), and more routes pass.
struct RouteFilter {
  std::vector<sock_filter> program;
  std::vector<RoutePrefix> prefixes;
  bool exact = true;
};
RouteFilter RouteInterestFilter(const RouteInterest& interest);

// What the program returns for a notification it lets through, and for one it drops.
constexpr uint32_t kFilterPass = 0xffffffff, kFilterDrop = 0;

// Attributes read per message, and paths read of a route of several (with an interface of interest): a
// message with more passes.
constexpr int kFilterAttributes = 14, kFilterPaths = 8;
