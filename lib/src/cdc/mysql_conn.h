// cdc-mysql's Connector/C plumbing: connections from a MysqlUri (utf8mb4,
// UTC session, timeouts), queries, and server errors turned into Status
// values with the fix in their message (DESIGN.md section 5 exit codes:
// a wrong password 77, an unknown database 66, a missing privilege 77,
// an unreachable server 69). The password is never part of any message.
// No callbacks. Not thread-safe.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/cdc_mysql.h"
#include "sluice/status.h"

namespace sluice::mysql {

struct MysqlDeleter {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
struct ResultDeleter {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using MysqlPtr = std::unique_ptr<MYSQL, MysqlDeleter>;
using ResultPtr = std::unique_ptr<MYSQL_RES, ResultDeleter>;

// `ident` quoted for SQL with backticks.
std::string quote_ident(std::string_view ident);
// 'literal', with quotes and backslashes escaped.
std::string quote_literal(std::string_view s);

// The GRANT that cdc-mysql needs, for messages.
inline constexpr std::string_view kGrantHint =
    "GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'user'@'%'";

class MysqlClient {
 public:
  MysqlClient(MysqlUri uri, Millis timeout, Millis read_timeout);
  MysqlClient(const MysqlClient&) = delete;
  MysqlClient& operator=(const MysqlClient&) = delete;

  // A new connection (to the URI's database when it names one).
  Status connect(MysqlPtr* out);
  // The Status for the last error on `m`, saying what was being done.
  Status classify(MYSQL* m, std::string_view what) const;
  Status exec(MYSQL* m, const std::string& sql, std::string_view what) const;
  // Runs `sql` and returns its rows (stored client side).
  Result<ResultPtr> query(MYSQL* m, const std::string& sql, std::string_view what) const;
  // The first column of the first row, or nullopt when there is no row.
  Result<std::optional<std::string>> scalar(MYSQL* m, const std::string& sql,
                                            std::string_view what) const;
  const std::string& server() const { return server_; }
  const MysqlUri& uri() const { return uri_; }
  bool mariadb() const { return mariadb_; }

 private:
  MysqlUri uri_;
  std::string password_;
  Millis timeout_, read_timeout_;
  std::string server_;
  bool mariadb_ = false;
};

}  // namespace sluice::mysql
