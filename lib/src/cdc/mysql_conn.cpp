// cdc-mysql connections and the URI (see mysql_conn.h, sluice/cdc_mysql.h).
#include "cdc/mysql_conn.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <cstdlib>
#include <cstring>

namespace sluice {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int a = hex(in[i + 1]);
    int b = hex(in[i + 2]);
    if (a < 0 || b < 0) return false;
    out->push_back(static_cast<char>(a * 16 + b));
    i += 2;
  }
  return true;
}

}  // namespace

std::string MysqlUri::display() const {
  std::string s = user + "@";
  if (!socket.empty()) {
    s += "socket:" + socket;
  } else {
    s += host + ":" + std::to_string(port);
  }
  if (!db.empty()) s += "/" + db;
  return s;
}

Result<MysqlUri> parse_mysql_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "mysql://";
  auto err = [](std::string why) {
    return Status::InvalidArgument(
        "mysql URI: " + why + " (expected mysql://USER[:PASS]@HOST[:PORT][/DB][?socket=PATH])");
  };
  if (uri.substr(0, kScheme.size()) != kScheme) return err("it must start with mysql://");
  std::string_view rest = uri.substr(kScheme.size());
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  MysqlUri u;
  size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return err("a user is required (USER@HOST)");
  std::string_view userinfo = rest.substr(0, at);
  std::string_view hostpart = rest.substr(at + 1);
  std::string_view user = userinfo, pass;
  if (size_t c = userinfo.find(':'); c != std::string_view::npos) {
    user = userinfo.substr(0, c);
    pass = userinfo.substr(c + 1);
    u.has_password = true;
  }
  if (user.empty()) return err("the user is empty");
  if (!percent_decode(user, &u.user)) return err("bad %-escape in the user");
  if (!percent_decode(pass, &u.password)) return err("bad %-escape in the password");
  std::string_view db;
  if (size_t s = hostpart.find('/'); s != std::string_view::npos) {
    db = hostpart.substr(s + 1);
    hostpart = hostpart.substr(0, s);
  }
  if (!percent_decode(db, &u.db)) return err("bad %-escape in the database");
  if (u.db.find('/') != std::string::npos) return err("the database name holds a '/'");
  std::string_view host = hostpart, port;
  if (!hostpart.empty() && hostpart[0] == '[') {
    size_t close = hostpart.find(']');
    if (close == std::string_view::npos) return err("unclosed [ in the host");
    host = hostpart.substr(1, close - 1);
    std::string_view after = hostpart.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return err("junk after ]");
      port = after.substr(1);
    }
  } else if (size_t c = hostpart.rfind(':'); c != std::string_view::npos) {
    host = hostpart.substr(0, c);
    port = hostpart.substr(c + 1);
  }
  if (!host.empty()) u.host.assign(host);
  if (!port.empty()) {
    unsigned long p = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9') return err("port '" + std::string(port) + "' is not a number");
      p = p * 10 + static_cast<unsigned long>(ch - '0');
      if (p > 65535) return err("port '" + std::string(port) + "' is out of range");
    }
    if (p == 0) return err("port 0");
    u.port = static_cast<unsigned>(p);
  }
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = kv.find('=');
    std::string_view k = kv.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    if (k == "socket") {
      if (!percent_decode(v, &u.socket) || u.socket.empty()) return err("bad socket path");
    } else {
      return err("unknown parameter '" + std::string(k) + "'");
    }
  }
  return u;
}

uint32_t derive_server_id(std::string_view host, unsigned port, std::string_view offsets_path) {
  // FNV-1a over what tells two replicas of one server apart.
  uint32_t h = 2166136261u;
  auto mix = [&](std::string_view s) {
    for (char ch : s) {
      h ^= static_cast<uint8_t>(ch);
      h *= 16777619u;
    }
  };
  mix(host);
  mix(std::to_string(port));
  mix(offsets_path);
  return 5400 + h % 1001;  // 5400..6400, like Debezium's default range
}

namespace mysql {

std::string quote_ident(std::string_view ident) {
  std::string s = "`";
  for (char ch : ident) {
    if (ch == '`') s.push_back('`');
    s.push_back(ch);
  }
  s.push_back('`');
  return s;
}

std::string quote_literal(std::string_view v) {
  std::string s = "'";
  for (char ch : v) {
    if (ch == '\'' || ch == '\\') s.push_back('\\');
    if (ch == '\0') {
      s.append("\\0");
      continue;
    }
    s.push_back(ch);
  }
  s.push_back('\'');
  return s;
}

MysqlClient::MysqlClient(MysqlUri uri, Millis timeout, Millis read_timeout)
    : uri_(std::move(uri)), timeout_(timeout), read_timeout_(read_timeout) {
  password_ = uri_.password;
  if (!uri_.has_password) {
    if (const char* pw = std::getenv("MYSQL_PWD"); pw) password_ = pw;
  }
  server_ = uri_.display();
}

Status MysqlClient::classify(MYSQL* m, std::string_view what) const {
  const unsigned err = mysql_errno(m);
  std::string msg = mysql_error(m);
  if (!password_.empty()) {
    for (size_t p; (p = msg.find(password_)) != std::string::npos;)
      msg.replace(p, password_.size(), "***");
  }
  const std::string where = "mysql '" + server_ + "': " + std::string(what) + ": ";
  switch (err) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return Status::PermissionDenied(where + msg +
                                      " (check the user and the password: the URI, or MYSQL_PWD)");
    case ER_BAD_DB_ERROR:
      return Status::NotFound(where + msg);
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
      return Status::PermissionDenied(where + msg + " (cdc-mysql needs " + std::string(kGrantHint) +
                                      ")");
    case ER_NO_SUCH_TABLE:
      return Status::NotFound(where + msg);
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_UNKNOWN_HOST:
    case ER_SERVER_SHUTDOWN:
    case ER_CON_COUNT_ERROR:
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return Status::Unavailable(where + msg + " (is the server running?)");
    default:
      return Status::Config(where + msg);
  }
}

Status MysqlClient::connect(MysqlPtr* out) {
  MysqlPtr m(mysql_init(nullptr));
  if (!m) return Status::Internal("mysql_init failed: out of memory");
  unsigned connect_timeout = static_cast<unsigned>(std::max<int64_t>(1, timeout_.count() / 1000));
  unsigned read_timeout =
      static_cast<unsigned>(std::max<int64_t>(1, (read_timeout_.count() + 999) / 1000));
  mysql_optionsv(m.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(m.get(), MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_optionsv(m.get(), MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  mysql_optionsv(m.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const char* host = uri_.socket.empty() ? uri_.host.c_str() : "localhost";
  if (!mysql_real_connect(m.get(), host, uri_.user.c_str(), password_.c_str(),
                          uri_.db.empty() ? nullptr : uri_.db.c_str(), uri_.port,
                          uri_.socket.empty() ? nullptr : uri_.socket.c_str(), 0)) {
    return classify(m.get(), "cannot connect");
  }
  const char* info = mysql_get_server_info(m.get());
  mariadb_ = info && std::strstr(info, "MariaDB") != nullptr;
  SLUICE_RETURN_IF_ERROR(
      exec(m.get(), "SET time_zone = '+00:00'", "setting the session time zone"));
  *out = std::move(m);
  return Status::Ok();
}

Status MysqlClient::exec(MYSQL* m, const std::string& sql, std::string_view what) const {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return classify(m, what);
  // Discard any result.
  do {
    MYSQL_RES* r = mysql_store_result(m);
    if (r) mysql_free_result(r);
  } while (mysql_next_result(m) == 0);
  return Status::Ok();
}

Result<ResultPtr> MysqlClient::query(MYSQL* m, const std::string& sql,
                                     std::string_view what) const {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return classify(m, what);
  ResultPtr r(mysql_store_result(m));
  if (!r) {
    if (mysql_errno(m)) return classify(m, what);
    return Status::Internal("mysql '" + server_ + "': " + std::string(what) + ": no result set");
  }
  return r;
}

Result<std::optional<std::string>> MysqlClient::scalar(MYSQL* m, const std::string& sql,
                                                       std::string_view what) const {
  auto r = query(m, sql, what);
  if (!r.ok()) return r.status();
  MYSQL_ROW row = mysql_fetch_row(r->get());
  if (!row) return std::optional<std::string>();
  unsigned long* len = mysql_fetch_lengths(r->get());
  if (!row[0]) return std::optional<std::string>();
  return std::optional<std::string>(std::string(row[0], len[0]));
}

}  // namespace mysql

}  // namespace sluice
