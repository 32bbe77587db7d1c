#include "address_text.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace {

void AppendDecimal(std::string* out, unsigned value) {
  if (value >= 100) out->push_back(static_cast<char>('0' + value / 100));
  if (value >= 10) out->push_back(static_cast<char>('0' + value / 10 % 10));
  out->push_back(static_cast<char>('0' + value % 10));
}

}  // namespace

void AppendAddress(std::string* out, int family, const uint8_t* addr) {
  if (family == AF_INET) {
    for (int i = 0; i < 4; i++) {
      if (i) out->push_back('.');
      AppendDecimal(out, addr[i]);
    }
    return;
  }
  char text[INET6_ADDRSTRLEN];
  out->append(inet_ntop(AF_INET6, addr, text, sizeof(text)));
}

void AppendPrefix(std::string* out, int family, const uint8_t* addr, unsigned prefix_len) {
  AppendAddress(out, family, addr);
  out->push_back('/');
  AppendDecimal(out, prefix_len);
}
