// cdc-pg's libpq plumbing (see pg_conn.h).
#include "cdc/pg_conn.h"

#include <algorithm>
#include <cstring>

#include "sluice/cdc_pg.h"

namespace sluice::pg {

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

namespace {

// Session settings that fix the text form of values (see pg_values.h).
constexpr const char* kSessionOptions =
    "-c datestyle=ISO,YMD -c timezone=UTC -c extra_float_digits=3 -c bytea_output=hex "
    "-c intervalstyle=postgres";

std::string password_of(std::string_view conninfo) {
  char* err = nullptr;
  std::string ci(conninfo);
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> opts(PQconninfoParse(ci.c_str(), &err));
  if (err) PQfreemem(err);
  if (!opts) return {};
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (strcmp(o->keyword, "password") == 0 && o->val) return o->val;
  }
  return {};
}
// libpq messages are multi-line ("FATAL: ...\nDETAIL: ...", or a failure
// then "\tIs the server running...?"): one line, its parts joined by "; ".
std::string fold_lines(std::string_view msg) {
  std::string out;
  while (!msg.empty()) {
    size_t nl = msg.find('\n');
    std::string_view line = msg.substr(0, nl);
    msg = nl == std::string_view::npos ? std::string_view() : msg.substr(nl + 1);
    size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) continue;
    if (!out.empty()) out += "; ";
    out += line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
  }
  return out;
}
std::string scrub_with(std::string_view raw, const std::string& password) {
  std::string msg = fold_lines(raw);
  if (password.size() >= 1) {
    for (size_t p; (p = msg.find(password)) != std::string::npos;)
      msg.replace(p, password.size(), "***");
  }
  return msg;
}
// Why a connection failed, from libpq's (folded, scrubbed) message: the
// exit code of DESIGN.md section 5 and what to do about it.
Status connect_failure(const std::string& msg, const std::string& where) {
  auto has = [&](const char* s) { return msg.find(s) != std::string::npos; };
  std::string head = "postgresql '" + where + "': ";
  if (has("no password supplied")) {
    return Status::PermissionDenied(
        head +
        "the server needs a password and none was given: set PGPASSWORD, "
        "or put it in the URI (postgresql://USER:PASSWORD@HOST/DB) or ~/.pgpass (" +
        msg + ")");
  }
  if (has("password authentication failed") || has("no pg_hba.conf entry") ||
      has("password is required") || has("role \"")) {
    return Status::PermissionDenied(head + msg +
                                    " (check the user, password/PGPASSWORD and pg_hba.conf)");
  }
  if (has("must be superuser or replication role") || has("permission denied")) {
    return Status::PermissionDenied(head + msg + " (grant it: ALTER ROLE <user> REPLICATION)");
  }
  if (has("database \"") && has("does not exist")) {
    return Status::NotFound(head + msg + " (create it, or name another database in the conninfo)");
  }
  if (has("does not exist")) return Status::Config(head + msg);
  if (has("invalid") && has("option")) {
    return Status::InvalidArgument("invalid conninfo '" + where + "': " + msg);
  }
  // libpq often asks already ("Is the server running on that host...?").
  bool asks = msg.find("server running") != std::string::npos;
  return Status::Unavailable("cannot reach " + head.substr(0, head.size() - 2) + ": " + msg +
                             (asks ? "" : " (is it running?)"));
}
// SQL quoting by doubling the quote character (standard_conforming_strings
// is on in every supported server): "ident" and 'literal'.
std::string quote_with(std::string_view s, char q) {
  std::string out(1, q);
  for (char c : s) {
    if (c == q) out.push_back(q);
    out.push_back(c);
  }
  out.push_back(q);
  return out;
}
}  // namespace

std::string quote_ident(std::string_view s) {
  return quote_with(s, '"');
}
std::string quote_literal(std::string_view s) {
  return quote_with(s, '\'');
}
// Splits "schema.table" (default schema public).
std::pair<std::string, std::string> split_table(const std::string& t) {
  size_t dot = t.find('.');
  if (dot == std::string::npos) return {"public", t};
  return {t.substr(0, dot), t.substr(dot + 1)};
}

PgClient::PgClient(std::string conninfo, Millis timeout)
    : conninfo_(std::move(conninfo)), password_(password_of(conninfo_)), timeout_(timeout) {}

std::string PgClient::scrub(std::string_view raw) const {
  return scrub_with(raw, password_);
}

Status PgClient::connect(bool replication, ConnPtr* out) {
  std::string timeout = std::to_string(std::max<long long>(1, timeout_.count() / 1000));
  std::vector<const char*> keys = {"dbname", "options", "fallback_application_name",
                                   "connect_timeout"};
  std::vector<const char*> vals = {conninfo_.c_str(), kSessionOptions, "cdc-pg", timeout.c_str()};
  if (replication) {
    keys.push_back("replication");
    vals.push_back("database");
  }
  keys.push_back(nullptr);
  vals.push_back(nullptr);
  ConnPtr c(PQconnectdbParams(keys.data(), vals.data(), 1));
  if (!c) return Status::Internal("out of memory connecting to postgresql");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return connect_failure(scrub(PQerrorMessage(c.get())), redact_conninfo(conninfo_));
  }
  if (server_.empty()) {
    const char* h = PQhost(c.get());
    std::string host = h && h[0] == '/' ? std::string("socket ") + h : (h ? h : "");
    server_ =
        std::string(PQuser(c.get())) + "@" + host + ":" + PQport(c.get()) + "/" + PQdb(c.get());
  }
  *out = std::move(c);
  return Status::Ok();
}

Status PgClient::classify(PGconn* c, const PGresult* r, std::string_view what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = scrub(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  if (msg.rfind("ERROR:  ", 0) == 0) msg = msg.substr(8);
  std::string s = state ? state : "";
  std::string full = std::string(what) + " on '" + server_ + "': " + msg;
  if (s == "55006") {
    return Status::TryAgain(full +
                            " (another consumer uses the slot: stop it, or pick another --slot)");
  }
  if (s == "42501") {
    return Status::PermissionDenied(full +
                                    " (grant the privilege, e.g. ALTER ROLE <user> REPLICATION, "
                                    "GRANT SELECT ON the tables)");
  }
  if (s.rfind("28", 0) == 0) return Status::PermissionDenied(full);
  if (s == "55000" && msg.find("wal_level") != std::string::npos) {
    return Status::Config(full +
                          " (set wal_level = logical in postgresql.conf and restart the server)");
  }
  if (s.rfind("08", 0) == 0 || s.empty() || PQstatus(c) != CONNECTION_OK) {
    return Status::Unavailable(full);
  }
  if (s.rfind("42", 0) == 0 || s.rfind("55", 0) == 0) return Status::Config(full);
  if (s == "53400")
    return Status::Config(full + " (raise max_replication_slots / max_wal_senders)");
  return Status::Unavailable(full);
}

Result<ResultPtr> PgClient::exec(PGconn* c, const std::string& sql, ExecStatusType want,
                                 std::string_view what) {
  ResultPtr r(PQexec(c, sql.c_str()));
  if (!r || PQresultStatus(r.get()) != want) return classify(c, r.get(), what);
  return r;
}

Result<ResultPtr> PgClient::exec_params(PGconn* c, const char* sql, std::vector<std::string> params,
                                        std::string_view what) {
  std::vector<const char*> v;
  for (const std::string& p : params) v.push_back(p.c_str());
  ResultPtr r(
      PQexecParams(c, sql, static_cast<int>(v.size()), nullptr, v.data(), nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) return classify(c, r.get(), what);
  return r;
}

}  // namespace sluice::pg

namespace sluice {

std::string redact_conninfo(std::string_view conninfo) {
  char* err = nullptr;
  std::string ci(conninfo);
  std::unique_ptr<PQconninfoOption, pg::ConninfoDeleter> opts(PQconninfoParse(ci.c_str(), &err));
  if (err) PQfreemem(err);
  if (!opts) return "<unparsable conninfo>";
  std::string user, host, port, db;
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    std::string k = o->keyword;
    if (k == "user")
      user = o->val;
    else if (k == "host" || (k == "hostaddr" && host.empty()))
      host = o->val;
    else if (k == "port")
      port = o->val;
    else if (k == "dbname")
      db = o->val;
  }
  std::string out;
  if (!user.empty()) out += user + "@";
  out += host.empty() ? "localhost" : host;
  if (!port.empty()) out += ":" + port;
  if (!db.empty()) out += "/" + db;
  return out;
}

}  // namespace sluice
