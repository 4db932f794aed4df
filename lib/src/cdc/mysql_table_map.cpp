// TABLE_MAP events (see mysql_table_map.h).
#include "cdc/mysql_table_map.h"

#include "cdc/mysql_bytes.h"
#include "sluice/envelope.h"

namespace sluice::mysql {

namespace {

// Names are utf8 in every server; bytes that are not are read as latin1,
// so a name is always valid in JSON and in stream names.
void assign_name(std::string_view bytes, std::string& out) {
  if (is_valid_utf8(bytes)) {
    out.assign(bytes);
    return;
  }
  out.clear();
  for (char ch : bytes) {
    auto b = static_cast<uint8_t>(ch);
    if (b < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xc0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3f)));
    }
  }
}

Status bad(std::string_view what, size_t at) {
  return Status::BadData("table map event: " + std::string(what) + " at byte " +
                         std::to_string(at));
}

// Reads the per-column metadata of `c` (its type byte already set).
bool read_meta(LeReader& r, Column& c) {
  uint64_t v = 0;
  switch (c.type) {
    case kTypeFloat:
    case kTypeDouble:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeBlob:
    case kTypeGeometry:
    case kTypeJson:
    case kTypeTimestamp2:
    case kTypeDatetime2:
    case kTypeTime2:
      if (!r.le(1, &v)) return false;
      c.meta = static_cast<uint16_t>(v);
      c.length = c.meta;
      return true;
    case kTypeVarchar:
    case kTypeVarString:
      if (!r.le(2, &v)) return false;
      c.meta = static_cast<uint16_t>(v);
      c.length = c.meta;
      return true;
    case kTypeBit: {
      uint8_t bits, bytes;
      if (!r.u8(&bits) || !r.u8(&bytes)) return false;
      c.meta = static_cast<uint16_t>(bytes * 8 + bits);  // the number of bits
      c.length = bytes + (bits ? 1 : 0);
      return true;
    }
    case kTypeNewDecimal: {
      uint8_t precision, scale;
      if (!r.u8(&precision) || !r.u8(&scale)) return false;
      c.meta = static_cast<uint16_t>(precision << 8 | scale);
      return true;
    }
    case kTypeString:
    case kTypeEnum:
    case kTypeSet: {
      uint8_t b0, b1;
      if (!r.u8(&b0) || !r.u8(&b1)) return false;
      // CHAR(n) longer than 255 bytes keeps bits 8-9 of n, inverted, in
      // bits 4-5 of the real-type byte (MySQL bug #37426).
      if ((b0 & 0x30) != 0x30) {
        c.length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
        b0 |= 0x30;
      } else {
        c.length = b1;
      }
      if (b0 == kTypeEnum || b0 == kTypeSet) c.type = b0;
      c.meta = static_cast<uint16_t>(b0 << 8 | b1);
      return true;
    }
    default:
      return true;
  }
}

}  // namespace

bool is_numeric(uint8_t type) {
  switch (type) {
    case kTypeTiny:
    case kTypeShort:
    case kTypeInt24:
    case kTypeLong:
    case kTypeLongLong:
    case kTypeNewDecimal:
    case kTypeDecimal:
    case kTypeFloat:
    case kTypeDouble:
      return true;
    default:
      return false;
  }
}

bool is_character(uint8_t type) {
  switch (type) {
    case kTypeString:
    case kTypeVarString:
    case kTypeVarchar:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeBlob:
      return true;
    default:
      return false;
  }
}

Status parse_table_map(std::string_view body, unsigned post_header_len, TableMap* out) {
  LeReader r(body);
  uint64_t id = 0;
  if (post_header_len != 6 && post_header_len != 8) return bad("unknown post-header length", 0);
  if (!r.le(post_header_len == 6 ? 4 : 6, &id) || !r.skip(2)) return bad("short post-header", 0);
  out->id = id;
  uint8_t n = 0;
  std::string_view s;
  if (!r.u8(&n) || !r.bytes(n, &s) || !r.skip(1)) return bad("short database name", r.pos());
  assign_name(s, out->db);
  if (!r.u8(&n) || !r.bytes(n, &s) || !r.skip(1)) return bad("short table name", r.pos());
  assign_name(s, out->table);
  uint64_t count = 0;
  if (!r.lenenc(&count) || count > 4096 || count > r.remaining())
    return bad("bad column count", r.pos());
  std::string_view types;
  if (!r.bytes(count, &types)) return bad("short column types", r.pos());
  out->columns.assign(count, Column{});
  for (size_t i = 0; i < count; ++i) out->columns[i].type = static_cast<uint8_t>(types[i]);
  std::string_view meta;
  if (!r.lenenc_str(&meta)) return bad("short column metadata", r.pos());
  LeReader mr(meta);
  for (Column& c : out->columns) {
    if (!read_meta(mr, c)) return bad("short column metadata", r.pos());
  }
  std::string_view nulls;
  if (!r.bytes((count + 7) / 8, &nulls)) return bad("short null bitmap", r.pos());
  for (size_t i = 0; i < count; ++i) out->columns[i].nullable = bit_set(nulls, i);
  out->has_names = out->has_key = out->has_signedness = out->has_charsets = false;

  // Optional metadata (binlog_row_metadata MINIMAL or FULL): type, length, value.
  while (!r.done()) {
    const size_t at = r.pos();
    uint8_t type;
    std::string_view v;
    if (!r.u8(&type) || !r.lenenc_str(&v)) return bad("short optional metadata", at);
    LeReader f(v);
    switch (type) {
      case 1: {  // SIGNEDNESS: one bit per numeric column, most significant first
        size_t k = 0;
        for (Column& c : out->columns) {
          if (!is_numeric(c.type)) continue;
          if (k / 8 >= v.size()) return bad("short signedness", at);
          c.is_unsigned = (static_cast<uint8_t>(v[k / 8]) >> (7 - k % 8)) & 1;
          ++k;
        }
        out->has_signedness = true;
        break;
      }
      case 2: {  // DEFAULT_CHARSET: default, then (index, collation) exceptions
        uint64_t def;
        if (!f.lenenc(&def)) return bad("bad default charset", at);
        for (Column& c : out->columns)
          if (is_character(c.type)) c.collation = static_cast<uint16_t>(def);
        while (!f.done()) {
          uint64_t idx, coll;
          if (!f.lenenc(&idx) || !f.lenenc(&coll)) return bad("bad charset exception", at);
          size_t k = 0;
          for (Column& c : out->columns) {
            if (!is_character(c.type)) continue;
            if (k++ == idx) c.collation = static_cast<uint16_t>(coll);
          }
        }
        out->has_charsets = true;
        break;
      }
      case 3: {  // COLUMN_CHARSET: one per character column
        for (Column& c : out->columns) {
          if (!is_character(c.type)) continue;
          uint64_t coll;
          if (!f.lenenc(&coll)) return bad("short column charsets", at);
          c.collation = static_cast<uint16_t>(coll);
        }
        out->has_charsets = true;
        break;
      }
      case 4: {  // COLUMN_NAME
        for (Column& c : out->columns) {
          std::string_view name;
          if (!f.lenenc_str(&name)) return bad("short column names", at);
          assign_name(name, c.name);
        }
        out->has_names = true;
        break;
      }
      case 5:    // SET_STR_VALUE
      case 6: {  // ENUM_STR_VALUE
        const uint8_t want = type == 5 ? kTypeSet : kTypeEnum;
        for (Column& c : out->columns) {
          if (c.type != want) continue;
          uint64_t members;
          if (!f.lenenc(&members) || members > f.remaining())
            return bad("short enum/set values", at);
          c.values.clear();
          for (uint64_t m = 0; m < members; ++m) {
            std::string_view name;
            if (!f.lenenc_str(&name)) return bad("short enum/set values", at);
            c.values.emplace_back();
            assign_name(name, c.values.back());
          }
        }
        break;
      }
      case 8:    // SIMPLE_PRIMARY_KEY: column indexes
      case 9: {  // PRIMARY_KEY_WITH_PREFIX: (index, prefix length)
        while (!f.done()) {
          uint64_t idx, prefix;
          if (!f.lenenc(&idx) || idx >= count) return bad("bad primary key column", at);
          if (type == 9 && !f.lenenc(&prefix)) return bad("bad primary key prefix", at);
          out->columns[idx].key = true;
        }
        out->has_key = true;
        break;
      }
      default:  // geometry types, ENUM/SET charsets, visibility: not needed
        break;
    }
  }
  return Status::Ok();
}

}  // namespace sluice::mysql
