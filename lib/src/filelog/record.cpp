// Record and segment-header codec of the file log (format in filelog.h).

#include <isa-l/crc.h>

#include <bit>
#include <cstring>

#include "filelog/codec.h"
#include "filelog/filelog.h"

namespace sluice::filelog {

uint32_t crc32c(const void* data, size_t n, uint32_t crc) {
  // ISA-L's crc32_iscsi neither pre- nor post-inverts; the standard CRC32C
  // does both (check value of "123456789" is 0xE3069283).
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  uint32_t c = ~crc;
  while (n > 0) {
    int chunk = n > (1u << 30) ? (1 << 30) : static_cast<int>(n);
    c = crc32_iscsi(p, chunk, c);
    p += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return ~c;
}

std::string segment_file_name(int64_t base) {
  char name[32];
  snprintf(name, sizeof name, "%020lld.log", static_cast<long long>(base));
  return name;
}

bool parse_segment_file_name(std::string_view name, int64_t* base) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return false;
    if (v > (INT64_MAX - (c - '0')) / 10) return false;
    v = v * 10 + (c - '0');
  }
  *base = v;
  return true;
}

std::string segment_path(const std::string& stream_dir, int64_t base) {
  std::string p = stream_dir;
  p += '/';
  p += segment_file_name(base);
  return p;
}

void encode_segment_header(int64_t base, char out[kSegmentHeaderBytes]) {
  std::memcpy(out, kSegmentMagic, sizeof kSegmentMagic);
  store_u64(out + 8, static_cast<uint64_t>(base));
}

bool decode_segment_header(const char* data, size_t n, int64_t* base) {
  if (n < kSegmentHeaderBytes) return false;
  if (std::memcmp(data, kSegmentMagic, sizeof kSegmentMagic) != 0) return false;
  *base = static_cast<int64_t>(load_u64(data + 8));
  return *base >= 0;
}

namespace {
constexpr uint32_t kFlagKey = 1;
constexpr uint32_t kFlagPayload = 2;
}  // namespace

size_t record_size(const Message& m) {
  size_t n = kRecordHeaderBytes;
  if (m.key) n += m.key->size();
  if (m.payload) n += m.payload->size();
  for (const Header& h : m.headers) n += 8 + h.name.size() + h.value.size();
  return n;
}

void encode_record(const Message& m, int64_t seq, int64_t ts_us, std::string& out) {
  size_t start = out.size();
  size_t size = record_size(m);
  // resize() on a string with enough capacity does not allocate; writers
  // keep their batch buffer's capacity across batches.
  out.resize(start + size);
  char* p = out.data() + start;
  uint32_t flags = (m.key ? kFlagKey : 0) | (m.payload ? kFlagPayload : 0);
  store_u32(p, static_cast<uint32_t>(size));
  store_u64(p + 8, static_cast<uint64_t>(seq));
  store_u64(p + 16, static_cast<uint64_t>(ts_us));
  store_u32(p + 24, flags);
  store_u32(p + 28, m.key ? static_cast<uint32_t>(m.key->size()) : 0);
  store_u32(p + 32, static_cast<uint32_t>(m.headers.size()));
  store_u32(p + 36, m.payload ? static_cast<uint32_t>(m.payload->size()) : 0);
  char* w = p + kRecordHeaderBytes;
  if (m.key && !m.key->empty()) {
    std::memcpy(w, m.key->data(), m.key->size());
    w += m.key->size();
  }
  for (const Header& h : m.headers) {
    store_u32(w, static_cast<uint32_t>(h.name.size()));
    store_u32(w + 4, static_cast<uint32_t>(h.value.size()));
    w += 8;
    if (!h.name.empty()) std::memcpy(w, h.name.data(), h.name.size());
    w += h.name.size();
    if (!h.value.empty()) std::memcpy(w, h.value.data(), h.value.size());
    w += h.value.size();
  }
  if (m.payload && !m.payload->empty()) {
    std::memcpy(w, m.payload->data(), m.payload->size());
  }
  store_u32(p + 4, crc32c(p + 8, size - 8));
}

void seal_record(char* rec, int64_t seq, int64_t ts_us) {
  store_u64(rec + 8, static_cast<uint64_t>(seq));
  store_u64(rec + 16, static_cast<uint64_t>(ts_us));
  uint32_t size = load_u32(rec);
  store_u32(rec + 4, crc32c(rec + 8, size - 8));
}

DecodeStatus decode_record(const char* data, size_t n, Message* m, std::vector<Header>* headers,
                           size_t* size) {
  if (n < 4) {
    *size = 0;
    return DecodeStatus::kIncomplete;
  }
  uint32_t rsize = load_u32(data);
  if (rsize < kRecordHeaderBytes || rsize > kMaxRecordBytes) {
    return DecodeStatus::kCorrupt;
  }
  *size = rsize;
  if (n < rsize) return DecodeStatus::kIncomplete;
  if (crc32c(data + 8, rsize - 8) != load_u32(data + 4)) {
    return DecodeStatus::kCorrupt;
  }
  uint32_t flags = load_u32(data + 24);
  uint64_t key_len = load_u32(data + 28);
  uint64_t nheaders = load_u32(data + 32);
  uint64_t payload_len = load_u32(data + 36);
  if ((flags & ~(kFlagKey | kFlagPayload)) != 0) return DecodeStatus::kCorrupt;
  if (!(flags & kFlagKey) && key_len != 0) return DecodeStatus::kCorrupt;
  if (!(flags & kFlagPayload) && payload_len != 0) return DecodeStatus::kCorrupt;
  // 64-bit sums: none of these can overflow since each term is < 2^35.
  uint64_t body = rsize - kRecordHeaderBytes;
  if (key_len + payload_len + nheaders * 8 > body) return DecodeStatus::kCorrupt;
  const char* p = data + kRecordHeaderBytes;
  const char* end = data + rsize;
  std::string_view key(p, key_len);
  p += key_len;
  size_t first_header = headers->size();
  for (uint64_t i = 0; i < nheaders; ++i) {
    if (end - p < 8) {
      headers->resize(first_header);
      return DecodeStatus::kCorrupt;
    }
    uint64_t nl = load_u32(p);
    uint64_t vl = load_u32(p + 4);
    p += 8;
    if (static_cast<uint64_t>(end - p) < nl + vl) {
      headers->resize(first_header);
      return DecodeStatus::kCorrupt;
    }
    headers->push_back({std::string_view(p, nl), std::string_view(p + nl, vl)});
    p += nl + vl;
  }
  if (static_cast<uint64_t>(end - p) != payload_len) {
    headers->resize(first_header);
    return DecodeStatus::kCorrupt;
  }
  m->seq = static_cast<int64_t>(load_u64(data + 8));
  m->ts_us = static_cast<int64_t>(load_u64(data + 16));
  m->shard = 0;
  m->key = (flags & kFlagKey) ? std::optional<std::string_view>(key) : std::nullopt;
  m->payload = (flags & kFlagPayload)
                   ? std::optional<std::string_view>(std::string_view(p, payload_len))
                   : std::nullopt;
  m->headers =
      std::span<const Header>(headers->data() + first_header, headers->size() - first_header);
  return DecodeStatus::kOk;
}

}  // namespace sluice::filelog
