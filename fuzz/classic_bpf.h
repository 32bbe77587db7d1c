// Classic BPF as the kernel's socket filters run it, for the fuzzer to run native/route_filter.h's programs
// on its inputs: the checks SO_ATTACH_FILTER makes before it takes a program (net/core/filter.c
// bpf_check_classic: codes, jumps in range and forward, a return at the end, scratch memory written before
// it is read on every path), and the interpreter (big-endian packet loads, an out-of-range load or a division
// by zero ends the program with 0: drop).
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Why the kernel would refuse the program; empty when it would take it.
std::string CheckClassic(const std::vector<sock_filter>& program);

// What the program returns for a datagram (a program CheckClassic accepts).
uint32_t RunClassic(const std::vector<sock_filter>& program, const uint8_t* data, size_t len);
