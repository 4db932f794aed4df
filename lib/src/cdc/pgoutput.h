// Decoder for PostgreSQL's pgoutput logical replication messages (the
// payload of the replication protocol's XLogData 'w' frames), protocol
// versions 1 to 3 as PostgreSQL 15 sends them: Begin, Commit, Origin,
// Relation, Type, Insert, Update, Delete, Truncate, Message, the streaming
// messages of version 2 (Stream Start/Stop/Commit/Abort) and the two-phase
// messages of version 3 (Begin Prepare, Prepare, Commit/Rollback Prepared,
// Stream Prepare).
//
// The decoder keeps the Relation messages it has seen (a relation cache
// keyed by OID) because row messages only carry the relation's OID; a later
// Relation message for the same OID replaces the entry (ADD/DROP COLUMN).
//
// Bytes come from the network: every length and count is checked, and a
// malformed message yields kBadData naming what is wrong; decoding never
// reads outside the input. Decoded tuple values are views into the input
// bytes: they stay valid while those bytes do. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/status.h"

namespace sluice::pg {

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr int64_t kPgEpochOffsetUs = 946684800000000LL;

struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_mod = -1;
  bool key = false;  // part of the replica identity (flags & 1)
};

struct PgRelation {
  uint32_t oid = 0;
  std::string schema;  // "" means pg_catalog (as pgoutput sends it)
  std::string table;
  char replica_identity = 'd';  // d default, n nothing, f full, i index
  std::vector<PgColumn> columns;
};

// One column value of a TupleData: 'n' NULL, 'u' unchanged TOASTed value
// (not sent), 't' text, 'b' binary. `data` is empty for 'n' and 'u'.
struct PgValue {
  char kind = 'n';
  std::string_view data;
};

enum class PgMessageType : char {
  kBegin = 'B',
  kCommit = 'C',
  kOrigin = 'O',
  kRelation = 'R',
  kType = 'Y',
  kInsert = 'I',
  kUpdate = 'U',
  kDelete = 'D',
  kTruncate = 'T',
  kMessage = 'M',
  kStreamStart = 'S',
  kStreamStop = 'E',
  kStreamCommit = 'c',
  kStreamAbort = 'A',
  kBeginPrepare = 'b',
  kPrepare = 'P',
  kCommitPrepared = 'K',
  kRollbackPrepared = 'r',
  kStreamPrepare = 'p',
};

// A decoded message. Fields not used by a type keep their defaults. The
// object is meant to be reused across decode() calls (its vectors keep their
// capacity), so the hot path does not allocate.
struct PgMessage {
  PgMessageType type = PgMessageType::kBegin;
  uint32_t xid = 0;                      // Begin, streamed changes, stream/2PC messages
  uint64_t lsn = 0;                      // Begin: final LSN; Commit: commit LSN; ...
  uint64_t end_lsn = 0;                  // Commit: end LSN of the transaction
  int64_t ts_us = 0;                     // commit/prepare time, Unix microseconds
  uint8_t flags = 0;                     // Commit/Truncate/Message flags
  const PgRelation* relation = nullptr;  // row messages and Relation
  char old_kind = 0;                     // Update/Delete: 'K' key only, 'O' full, 0 none
  std::vector<PgValue> old_values;
  std::vector<PgValue> new_values;
  std::vector<uint32_t> truncated;  // Truncate: relation OIDs
  std::string_view name;            // Origin name, Message prefix, 2PC gid, Type name
  std::string_view content;         // Message content
  uint32_t type_oid = 0;            // Type message
  bool first_segment = false;       // Stream Start
  uint32_t subxid = 0;              // Stream Abort: the (sub)transaction rolled back
};

class PgOutputDecoder {
 public:
  PgOutputDecoder() = default;
  PgOutputDecoder(const PgOutputDecoder&) = delete;
  PgOutputDecoder& operator=(const PgOutputDecoder&) = delete;

  // Decodes one pgoutput message. On success fills `out` (views into
  // `bytes` and into this decoder's relation cache). A row message for an
  // unknown relation, or with a column count that differs from its Relation,
  // is kBadData.
  Status decode(std::string_view bytes, PgMessage& out);

  // The cached relation with this OID, or nullptr.
  const PgRelation* relation(uint32_t oid) const;

  // Copies every relation `from` described into this cache (replacing
  // those with the same OID): at a Stream Commit, pgoutput counts the
  // Relation messages sent within that stream as known to the client.
  void adopt_relations(const PgOutputDecoder& from);

  // Forgets the session: a new replication connection starts outside any
  // stream, and the server sends each Relation again before using it.
  void reset() {
    relations_.clear();
    in_stream_ = false;
  }

 private:
  std::unordered_map<uint32_t, PgRelation> relations_;
  bool in_stream_ = false;  // between Stream Start and Stream Stop
};

// LSN text form "16/B374D848".
std::string format_lsn(uint64_t lsn);
// Parses "16/B374D848"; false on malformed text.
bool parse_lsn(std::string_view text, uint64_t* lsn);

}  // namespace sluice::pg
