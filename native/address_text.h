// Canonical text of addresses, as inet_ntop and iproute2 print them; IPv4 by hand because it is the hot path
// of large dumps.
#pragma once

#include <cstdint>
#include <string>

// Appends the address (4 or 16 bytes by family) to out.
void AppendAddress(std::string* out, int family, const uint8_t* addr);
void AppendPrefix(std::string* out, int family, const uint8_t* addr, unsigned prefix_len);
