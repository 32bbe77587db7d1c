// A fuzz input read a field at a time: multi-byte numbers little-endian, zeros once the bytes run out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

class ByteReader {
 public:
  ByteReader(const uint8_t* bytes, size_t len) : bytes_(bytes), len_(len) {}
  explicit ByteReader(const std::vector<uint8_t>& bytes) : ByteReader(bytes.data(), bytes.size()) {}

  uint8_t U8() { return pos_ < len_ ? bytes_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= static_cast<uint32_t>(U8()) << (8 * i);
    return v;
  }
  void Bytes(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = U8();
  }
  bool empty() const { return pos_ >= len_; }
  size_t pos() const { return pos_; }

 private:
  const uint8_t* bytes_;
  size_t len_;
  size_t pos_ = 0;
};
