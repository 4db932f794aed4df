// cdc-pg's libpq plumbing: connections with the session settings that fix
// the text form of values, queries, and libpq failures turned into Status
// values with the fix in their message (DESIGN.md section 5 exit codes).
// The password is never part of any message. libpq is used without
// callbacks. Not thread-safe.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/backend.h"
#include "sluice/status.h"

namespace sluice::pg {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// SQL quoting by doubling the quote character (standard_conforming_strings
// is on in every supported server): "ident" and 'literal'.
std::string quote_ident(std::string_view s);
std::string quote_literal(std::string_view s);

// Splits "schema.table" (default schema public).
std::pair<std::string, std::string> split_table(const std::string& t);

// Connects to one server (the conninfo given) and runs queries on it.
class PgClient {
 public:
  PgClient(std::string conninfo, Millis timeout);
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;

  // A new connection (a replication one with `replication`); the first
  // one names the server for messages (server()).
  Status connect(bool replication, ConnPtr* out);
  // The Status for a failed query (its SQLSTATE decides the code), saying
  // what was being done.
  Status classify(PGconn* c, const PGresult* r, std::string_view what);
  // Runs `sql`; a result other than `want` is an error.
  Result<ResultPtr> exec(PGconn* c, const std::string& sql, ExecStatusType want,
                         std::string_view what);
  // Runs `sql` with text parameters $1..., expecting rows.
  Result<ResultPtr> exec_params(PGconn* c, const char* sql, std::vector<std::string> params,
                                std::string_view what);
  // libpq's (multi-line) message as one line, the password masked.
  std::string scrub(std::string_view raw) const;
  // user@host:port/db, for messages (empty before the first connect).
  const std::string& server() const { return server_; }

 private:
  std::string conninfo_;
  std::string password_;
  Millis timeout_;
  std::string server_;
};

}  // namespace sluice::pg
