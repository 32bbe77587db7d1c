#include "address_text.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace {

// "0" .. "255" and their lengths, so that an IPv4 address is four table copies.
struct DecimalTable {
  char text[256][4];
  uint8_t len[256];
  DecimalTable() {
    for (unsigned v = 0; v < 256; v++) {
      char* p = text[v];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      len[v] = static_cast<uint8_t>(p - text[v]);
    }
  }
};
const DecimalTable kDecimal;

}  // namespace

void AppendAddress(std::string* out, int family, const uint8_t* addr) {
  if (family == AF_INET) {
    char text[16];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
      if (i) text[n++] = '.';
      memcpy(text + n, kDecimal.text[addr[i]], 4);
      n += kDecimal.len[addr[i]];
    }
    out->append(text, n);
    return;
  }
  char text[INET6_ADDRSTRLEN];
  out->append(inet_ntop(AF_INET6, addr, text, sizeof(text)));
}

void AppendPrefix(std::string* out, int family, const uint8_t* addr, unsigned prefix_len) {
  AppendAddress(out, family, addr);
  char text[5];
  text[0] = '/';
  memcpy(text + 1, kDecimal.text[prefix_len & 255], 4);
  out->append(text, 1 + kDecimal.len[prefix_len & 255]);
}
