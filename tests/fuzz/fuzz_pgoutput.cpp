// Fuzz target: the pgoutput decoder and the Debezium encoding of what it
// decodes.
//
// The input is a sequence of messages, each prefixed by a 2-byte big-endian
// length, fed to one decoder (so Relation messages seed the cache for the
// row messages after them). Decoding never crashes or reads out of bounds;
// errors are kBadData; every decoded row encodes to a JSON event.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cdc/pg_values.h"
#include "cdc/pgoutput.h"
#include "sluice/debezium.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  pg::PgOutputDecoder d;
  pg::PgMessage m;
  std::string out;
  debezium::SourceInfo src{"0", "postgresql", "n", "db"};
  pg::PgSourceWriter source;
  debezium::Row before, after;
  size_t pos = 0;
  while (pos + 2 <= size) {
    size_t len = (static_cast<size_t>(bytes[pos]) << 8) | bytes[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    std::string_view msg(reinterpret_cast<const char*>(bytes + pos), len);
    pos += len;
    Status st = d.decode(msg, m);
    if (!st.ok()) {
      if (!st.is(StatusCode::kBadData)) {
        fprintf(stderr, "fuzz_pgoutput: wrong status code: %s\n", st.message().c_str());
        abort();
      }
      continue;
    }
    if (m.relation &&
        (m.type == pg::PgMessageType::kInsert || m.type == pg::PgMessageType::kUpdate ||
         m.type == pg::PgMessageType::kDelete)) {
      const std::vector<bool> keys(m.relation->columns.size(), true);
      debezium::ChangeEvent ev;
      ev.schema = m.relation->schema;
      ev.table = m.relation->table;
      if (m.old_kind) {
        pg::fill_row(*m.relation, keys, m.old_values, nullptr, {}, before);
        ev.before = &before;
      }
      if (m.type != pg::PgMessageType::kDelete) {
        pg::fill_row(*m.relation, keys, m.new_values, ev.before ? &m.old_values : nullptr, {},
                     after);
        ev.after = &after;
      }
      out.clear();
      debezium::append_event(src, source, ev, out);
      if (out.empty() || out.front() != '{' || out.back() != '}') abort();
      if (out.find('\n') != std::string::npos) abort();
    }
  }
  return 0;
}
