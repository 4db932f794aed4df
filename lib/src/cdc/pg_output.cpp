// pgoutput message decoder (see cdc/pgoutput.h). Formats: PostgreSQL 15
// documentation, "Logical Replication Message Formats".
#include <cstdio>
#include <cstring>

#include "cdc/pgoutput.h"

namespace sluice::pg {

namespace {

// A bounds-checked big-endian reader over one message.
class ByteReader {
 public:
  explicit ByteReader(std::string_view b) : b_(b) {}
  bool u8(uint8_t* v) {
    if (b_.size() - pos_ < 1) return false;
    *v = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool u16(uint16_t* v) {
    uint64_t x;
    if (!be(2, &x)) return false;
    *v = static_cast<uint16_t>(x);
    return true;
  }
  bool u32(uint32_t* v) {
    uint64_t x;
    if (!be(4, &x)) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool u64(uint64_t* v) { return be(8, v); }
  bool i64(int64_t* v) {
    uint64_t x;
    if (!be(8, &x)) return false;
    *v = static_cast<int64_t>(x);
    return true;
  }
  // A NUL-terminated string.
  bool cstr(std::string_view* s) {
    size_t end = b_.find('\0', pos_);
    if (end == std::string_view::npos) return false;
    *s = b_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  bool bytes(size_t n, std::string_view* s) {
    if (b_.size() - pos_ < n) return false;
    *s = b_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }
  size_t remaining() const { return b_.size() - pos_; }

 private:
  bool be(size_t n, uint64_t* v) {
    if (b_.size() - pos_ < n) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x = (x << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += n;
    *v = x;
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
};

Status truncated(const char* what) {
  return Status::BadData(std::string("pgoutput ") + what + " message is truncated");
}

int64_t pg_time_to_unix_us(int64_t pg_us) {
  return pg_us + kPgEpochOffsetUs;
}

Status read_tuple(ByteReader& r, std::vector<PgValue>& out, const char* what) {
  uint16_t n;
  if (!r.u16(&n)) return truncated(what);
  out.clear();
  // Each column takes at least one byte: reject impossible counts before
  // reserving memory for them.
  if (n > r.remaining()) return truncated(what);
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint8_t kind;
    if (!r.u8(&kind)) return truncated(what);
    PgValue v;
    v.kind = static_cast<char>(kind);
    switch (kind) {
      case 'n':
      case 'u':
        break;
      case 't':
      case 'b': {
        uint32_t len;
        if (!r.u32(&len) || !r.bytes(len, &v.data)) return truncated(what);
        break;
      }
      default: {
        char buf[96];
        snprintf(buf, sizeof buf, "pgoutput %s message: unknown tuple value kind 0x%02x", what,
                 kind);
        return Status::BadData(buf);
      }
    }
    out.push_back(v);
  }
  return Status::Ok();
}

}  // namespace

const PgRelation* PgOutputDecoder::relation(uint32_t oid) const {
  auto it = relations_.find(oid);
  return it == relations_.end() ? nullptr : &it->second;
}

void PgOutputDecoder::adopt_relations(const PgOutputDecoder& from) {
  for (const auto& [oid, rel] : from.relations_) relations_[oid] = rel;
}

Status PgOutputDecoder::decode(std::string_view bytes, PgMessage& m) {
  ByteReader r(bytes);
  uint8_t type;
  if (!r.u8(&type)) return Status::BadData("empty pgoutput message");
  m.type = static_cast<PgMessageType>(type);
  m.relation = nullptr;
  m.old_kind = 0;
  m.old_values.clear();
  m.new_values.clear();
  m.name = {};
  m.content = {};
  m.flags = 0;

  // Changes inside a streamed transaction (protocol 2+) carry the xid first.
  auto stream_xid = [&](const char* what) -> Status {
    if (in_stream_ && !r.u32(&m.xid)) return truncated(what);
    return Status::Ok();
  };
  auto row_relation = [&](const char* what) -> Status {
    uint32_t oid;
    if (!r.u32(&oid)) return truncated(what);
    m.relation = relation(oid);
    if (!m.relation) {
      return Status::BadData(std::string("pgoutput ") + what + " message for relation " +
                             std::to_string(oid) + " that was never described");
    }
    return Status::Ok();
  };
  auto check_width = [&](const std::vector<PgValue>& v, const char* what) -> Status {
    if (v.size() != m.relation->columns.size()) {
      return Status::BadData(std::string("pgoutput ") + what + " message for '" +
                             m.relation->table + "' has " + std::to_string(v.size()) +
                             " columns, its relation has " +
                             std::to_string(m.relation->columns.size()));
    }
    return Status::Ok();
  };

  switch (m.type) {
    case PgMessageType::kBegin: {
      int64_t ts;
      if (!r.u64(&m.lsn) || !r.i64(&ts) || !r.u32(&m.xid)) return truncated("Begin");
      m.ts_us = pg_time_to_unix_us(ts);
      break;
    }
    case PgMessageType::kCommit: {
      int64_t ts;
      if (!r.u8(&m.flags) || !r.u64(&m.lsn) || !r.u64(&m.end_lsn) || !r.i64(&ts)) {
        return truncated("Commit");
      }
      m.ts_us = pg_time_to_unix_us(ts);
      break;
    }
    case PgMessageType::kOrigin:
      if (!r.u64(&m.lsn) || !r.cstr(&m.name)) return truncated("Origin");
      break;
    case PgMessageType::kRelation: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Relation"));
      uint32_t oid;
      std::string_view ns, name;
      uint8_t ident;
      uint16_t ncols;
      if (!r.u32(&oid) || !r.cstr(&ns) || !r.cstr(&name) || !r.u8(&ident) || !r.u16(&ncols)) {
        return truncated("Relation");
      }
      if (ncols > r.remaining()) return truncated("Relation");
      PgRelation rel;
      rel.oid = oid;
      rel.schema.assign(ns);
      rel.table.assign(name);
      rel.replica_identity = static_cast<char>(ident);
      rel.columns.reserve(ncols);
      for (uint16_t i = 0; i < ncols; ++i) {
        uint8_t flags;
        std::string_view col;
        uint32_t typ, mod;
        if (!r.u8(&flags) || !r.cstr(&col) || !r.u32(&typ) || !r.u32(&mod)) {
          return truncated("Relation");
        }
        rel.columns.push_back(
            PgColumn{std::string(col), typ, static_cast<int32_t>(mod), (flags & 1) != 0});
      }
      PgRelation& slot = relations_[oid];
      slot = std::move(rel);
      m.relation = &slot;
      break;
    }
    case PgMessageType::kType: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Type"));
      std::string_view ns;
      if (!r.u32(&m.type_oid) || !r.cstr(&ns) || !r.cstr(&m.name)) return truncated("Type");
      break;
    }
    case PgMessageType::kInsert: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Insert"));
      SLUICE_RETURN_IF_ERROR(row_relation("Insert"));
      uint8_t n;
      if (!r.u8(&n)) return truncated("Insert");
      if (n != 'N') return Status::BadData("pgoutput Insert message without a new tuple");
      SLUICE_RETURN_IF_ERROR(read_tuple(r, m.new_values, "Insert"));
      SLUICE_RETURN_IF_ERROR(check_width(m.new_values, "Insert"));
      break;
    }
    case PgMessageType::kUpdate: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Update"));
      SLUICE_RETURN_IF_ERROR(row_relation("Update"));
      uint8_t k;
      if (!r.u8(&k)) return truncated("Update");
      if (k == 'K' || k == 'O') {
        m.old_kind = static_cast<char>(k);
        SLUICE_RETURN_IF_ERROR(read_tuple(r, m.old_values, "Update"));
        SLUICE_RETURN_IF_ERROR(check_width(m.old_values, "Update"));
        if (!r.u8(&k)) return truncated("Update");
      }
      if (k != 'N') return Status::BadData("pgoutput Update message without a new tuple");
      SLUICE_RETURN_IF_ERROR(read_tuple(r, m.new_values, "Update"));
      SLUICE_RETURN_IF_ERROR(check_width(m.new_values, "Update"));
      break;
    }
    case PgMessageType::kDelete: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Delete"));
      SLUICE_RETURN_IF_ERROR(row_relation("Delete"));
      uint8_t k;
      if (!r.u8(&k)) return truncated("Delete");
      if (k != 'K' && k != 'O')
        return Status::BadData("pgoutput Delete message without an old tuple");
      m.old_kind = static_cast<char>(k);
      SLUICE_RETURN_IF_ERROR(read_tuple(r, m.old_values, "Delete"));
      SLUICE_RETURN_IF_ERROR(check_width(m.old_values, "Delete"));
      break;
    }
    case PgMessageType::kTruncate: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Truncate"));
      uint32_t n;
      if (!r.u32(&n) || !r.u8(&m.flags)) return truncated("Truncate");
      if (n > r.remaining() / 4) return truncated("Truncate");
      m.truncated.clear();
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t oid;
        if (!r.u32(&oid)) return truncated("Truncate");
        m.truncated.push_back(oid);
      }
      break;
    }
    case PgMessageType::kMessage: {
      SLUICE_RETURN_IF_ERROR(stream_xid("Message"));
      uint32_t len;
      if (!r.u8(&m.flags) || !r.u64(&m.lsn) || !r.cstr(&m.name) || !r.u32(&len) ||
          !r.bytes(len, &m.content)) {
        return truncated("Message");
      }
      break;
    }
    case PgMessageType::kStreamStart: {
      uint8_t first;
      if (!r.u32(&m.xid) || !r.u8(&first)) return truncated("Stream Start");
      m.first_segment = first == 1;
      in_stream_ = true;
      break;
    }
    case PgMessageType::kStreamStop:
      in_stream_ = false;
      break;
    case PgMessageType::kStreamCommit: {
      int64_t ts;
      if (!r.u32(&m.xid) || !r.u8(&m.flags) || !r.u64(&m.lsn) || !r.u64(&m.end_lsn) ||
          !r.i64(&ts)) {
        return truncated("Stream Commit");
      }
      m.ts_us = pg_time_to_unix_us(ts);
      break;
    }
    case PgMessageType::kStreamAbort: {
      if (!r.u32(&m.xid) || !r.u32(&m.subxid)) return truncated("Stream Abort");
      break;
    }
    case PgMessageType::kBeginPrepare: {
      int64_t ts;
      if (!r.u64(&m.lsn) || !r.u64(&m.end_lsn) || !r.i64(&ts) || !r.u32(&m.xid) ||
          !r.cstr(&m.name)) {
        return truncated("Begin Prepare");
      }
      m.ts_us = pg_time_to_unix_us(ts);
      break;
    }
    case PgMessageType::kPrepare:
    case PgMessageType::kCommitPrepared:
    case PgMessageType::kStreamPrepare: {
      int64_t ts;
      if (!r.u8(&m.flags) || !r.u64(&m.lsn) || !r.u64(&m.end_lsn) || !r.i64(&ts) ||
          !r.u32(&m.xid) || !r.cstr(&m.name)) {
        return truncated("Prepare");
      }
      m.ts_us = pg_time_to_unix_us(ts);
      break;
    }
    case PgMessageType::kRollbackPrepared: {
      int64_t prep_ts, ts;
      if (!r.u8(&m.flags) || !r.u64(&m.lsn) || !r.u64(&m.end_lsn) || !r.i64(&prep_ts) ||
          !r.i64(&ts) || !r.u32(&m.xid) || !r.cstr(&m.name)) {
        return truncated("Rollback Prepared");
      }
      m.ts_us = pg_time_to_unix_us(ts);
      break;
    }
    default: {
      char buf[64];
      snprintf(buf, sizeof buf, "unknown pgoutput message type 0x%02x", type);
      return Status::BadData(buf);
    }
  }
  if (!r.done()) {
    return Status::BadData(std::string("pgoutput message '") + static_cast<char>(type) + "' has " +
                           std::to_string(r.remaining()) + " trailing bytes");
  }
  return Status::Ok();
}

std::string format_lsn(uint64_t lsn) {
  char buf[32];
  snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
  return buf;
}

bool parse_lsn(std::string_view text, uint64_t* lsn) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) return false;
  auto hex = [](std::string_view s, uint64_t* v) {
    if (s.size() > 8) return false;
    uint64_t x = 0;
    for (char c : s) {
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        return false;
      x = x * 16 + static_cast<uint64_t>(d);
    }
    *v = x;
    return true;
  };
  uint64_t hi, lo;
  if (!hex(text.substr(0, slash), &hi) || !hex(text.substr(slash + 1), &lo)) return false;
  *lsn = (hi << 32) | lo;
  return true;
}

}  // namespace sluice::pg
