// A bounds-checked little-endian reader over binlog bytes (MySQL's wire
// order), with MySQL's length-encoded integers and strings. Every read
// returns false instead of running past the end. Header-only; a view over
// caller-owned bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::mysql {

class LeReader {
 public:
  explicit LeReader(std::string_view b, size_t pos = 0) : b_(b), pos_(pos) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return pos_ <= b_.size() ? b_.size() - pos_ : 0; }
  bool done() const { return pos_ >= b_.size(); }
  std::string_view rest() const { return b_.substr(pos_ <= b_.size() ? pos_ : b_.size()); }

  bool le(size_t n, uint64_t* v) {
    if (remaining() < n) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{static_cast<uint8_t>(b_[pos_ + i])} << (8 * i);
    pos_ += n;
    *v = x;
    return true;
  }
  bool u8(uint8_t* v) {
    uint64_t x;
    if (!le(1, &x)) return false;
    *v = static_cast<uint8_t>(x);
    return true;
  }
  bool bytes(size_t n, std::string_view* s) {
    if (remaining() < n) return false;
    *s = b_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // A length-encoded integer (0xfb, NULL, is refused).
  bool lenenc(uint64_t* v) {
    uint8_t first;
    if (!u8(&first)) return false;
    if (first < 0xfb) {
      *v = first;
      return true;
    }
    if (first == 0xfc) return le(2, v);
    if (first == 0xfd) return le(3, v);
    if (first == 0xfe) return le(8, v);
    return false;
  }
  bool lenenc_str(std::string_view* s) {
    uint64_t n;
    return lenenc(&n) && n <= remaining() && bytes(static_cast<size_t>(n), s);
  }

 private:
  std::string_view b_;
  size_t pos_;
};

// Big-endian unsigned of n <= 8 bytes at p (the caller checked the bounds).
inline uint64_t be_uint(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t le_uint(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Bit i of a bitmap (LSB first within each byte, as row events write).
inline bool bit_set(std::string_view bitmap, size_t i) {
  return i / 8 < bitmap.size() && (static_cast<uint8_t>(bitmap[i / 8]) >> (i % 8)) & 1;
}

}  // namespace sluice::mysql
