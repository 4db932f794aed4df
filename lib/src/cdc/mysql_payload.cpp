// MySQL compressed transaction payloads (see mysql_payload.h).
#include "cdc/mysql_payload.h"

#include <zstd.h>

#include "cdc/mysql_bytes.h"

namespace sluice::mysql {

namespace {
constexpr uint64_t kEndMark = 0, kSizeField = 1, kCompressionField = 2, kUncompressedField = 3;
constexpr uint64_t kZstd = 0, kNone = 255;

Status bad(const std::string& why) {
  return Status::BadData("bad TRANSACTION_PAYLOAD event: " + why);
}
}  // namespace

Status decode_transaction_payload(std::string_view body, std::string* out) {
  LeReader r(body);
  uint64_t size = UINT64_MAX, compression = UINT64_MAX, uncompressed = UINT64_MAX;
  for (;;) {
    uint64_t type = 0, len = 0;
    if (!r.lenenc(&type)) return bad("header cut short at byte " + std::to_string(r.pos()));
    if (type == kEndMark) break;
    std::string_view value;
    if (!r.lenenc(&len) || !r.bytes(len, &value))
      return bad("field " + std::to_string(type) + " cut short at byte " + std::to_string(r.pos()));
    uint64_t v = 0;
    LeReader vr(value);
    if (type == kSizeField || type == kCompressionField || type == kUncompressedField) {
      if (!vr.lenenc(&v) || !vr.done())
        return bad("field " + std::to_string(type) + " is not one length-encoded integer");
      (type == kSizeField ? size : type == kCompressionField ? compression : uncompressed) = v;
    }  // unknown fields are skipped, as MySQL does
  }
  std::string_view payload = r.rest();
  if (size != UINT64_MAX) {
    if (size > payload.size())
      return bad("payload size " + std::to_string(size) + " beyond the event's " +
                 std::to_string(payload.size()) + " bytes");
    payload = payload.substr(0, size);
  }
  if (compression == kNone) {
    out->assign(payload);
    return Status::Ok();
  }
  if (compression != kZstd)
    return bad(compression == UINT64_MAX
                   ? std::string("no compression type")
                   : "unknown compression type " + std::to_string(compression));
  if (uncompressed == UINT64_MAX) return bad("no uncompressed size");
  if (uncompressed > kMaxPayloadBytes)
    return bad("uncompressed size " + std::to_string(uncompressed) +
               " above the 1 GiB cdc-mysql holds");
  out->resize(uncompressed);
  const size_t n = ZSTD_decompress(out->data(), out->size(), payload.data(), payload.size());
  if (ZSTD_isError(n)) return bad(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != uncompressed)
    return bad("inflated to " + std::to_string(n) + " bytes, the header says " +
               std::to_string(uncompressed));
  return Status::Ok();
}

Status next_payload_event(std::string_view* events, uint32_t next_pos, RawEvent* ev) {
  if (events->size() < 19) return bad("inner event shorter than its 19-byte header");
  const auto* p = reinterpret_cast<const uint8_t*>(events->data());
  ev->timestamp = static_cast<uint32_t>(le_uint(p, 4));
  ev->type = p[4];
  ev->server_id = static_cast<uint32_t>(le_uint(p + 5, 4));
  ev->size = static_cast<uint32_t>(le_uint(p + 9, 4));
  ev->flags = static_cast<uint16_t>(le_uint(p + 17, 2));
  ev->next_pos = next_pos;
  if (ev->size < 19 || ev->size > events->size())
    return bad("inner event size " + std::to_string(ev->size) + " with " +
               std::to_string(events->size()) + " bytes left");
  ev->body = events->substr(19, ev->size - 19);
  events->remove_prefix(ev->size);
  return Status::Ok();
}

}  // namespace sluice::mysql
