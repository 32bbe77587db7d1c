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

// The program, or empty when the addresses are too many for one (BPF_MAXINSNS): then no filter is the answer.
std::vector<sock_filter> RouteInterestFilter(const RouteInterest& interest);

// What the program returns for a notification it lets through, and for one it drops.
constexpr uint32_t kFilterPass = 0xffffffff, kFilterDrop = 0;

// Attributes read per message, and paths read of a route of several (with an interface of interest): a
// message with more passes.
constexpr int kFilterAttributes = 14, kFilterPaths = 8;
