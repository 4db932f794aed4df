// Stream URI parsing (grammar in uri.h and DESIGN.md section 2).
//
// The parser is a straight split on the URI's delimiters rather than a
// general RFC 3986 parser: sluice URIs are a small fixed family and every
// error must say which part is wrong, which a generic parser cannot do.
#include "sluice/uri.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sluice {
namespace {

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '.' || c == '-';
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return r;
}

// Query parameters whose values are secrets (librdkafka's sasl.password,
// ssl.key.password, sasl.jaas.config, ...).
bool is_secret_param(std::string_view name) {
  const std::string n = lower(name);
  for (const char* word : {"password", "secret", "jaas", "token", "ssl.key", "credential"}) {
    if (n.find(word) != std::string::npos) return true;
  }
  return false;
}

int hex_value(char c) {
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
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// Escapes the bytes that would change how redacted() output parses back.
std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::strchr("%@:/?&=,#[]", c) != nullptr) {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Masks the password and secret query values in raw (possibly malformed)
// URI text, for error messages.
std::string redact_raw(std::string_view text) {
  std::string out(text);
  const size_t sep = out.find("://");
  if (sep != std::string::npos) {
    const size_t auth = sep + 3;
    const size_t auth_end = std::min(out.find('/', auth), out.find('?', auth));
    const size_t at = out.rfind('@', auth_end == std::string::npos ? out.size() : auth_end);
    if (at != std::string::npos && at >= auth) {
      const size_t colon = out.find(':', auth);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  const size_t q = out.find('?');
  if (q == std::string::npos) return out;
  std::string result = out.substr(0, q + 1);
  std::string_view query = std::string_view(out).substr(q + 1);
  bool first = true;
  while (true) {
    const size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (!first) result.push_back('&');
    first = false;
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && is_secret_param(item.substr(0, eq))) {
      result.append(item.substr(0, eq + 1)).append("***");
    } else {
      result.append(item);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return result;
}

class Parser {
 public:
  Parser(std::string_view text, UriKind kind) : text_(text), kind_(kind) {}

  Result<StreamUri> Run();

 private:
  Status Error(std::string_view why) const {
    std::string m = kind_ == UriKind::kCluster ? "invalid cluster uri '" : "invalid stream uri '";
    m.append(redact_raw(text_)).append("': ").append(why);
    return Status::InvalidArgument(std::move(m));
  }
  Status ParseFile(std::string_view rest, bool after_scheme);
  Status ParseServer(std::string_view rest);
  Status ParseHosts(std::string_view hosts);
  Status ParseStreams(std::string_view list);
  Status ParseQuery(std::string_view query);
  Status CheckStreamCount();

  std::string_view text_;
  UriKind kind_;
  StreamUri uri_;
};

Result<StreamUri> Parser::Run() {
  if (text_.empty()) {
    return Error(
        "empty (expected file:PATH, kafka://HOST:PORT/TOPIC, "
        "redis://HOST/STREAM or -)");
  }
  if (text_ == "-") {
    uri_.scheme = Scheme::kStdio;
    return std::move(uri_);
  }
  // A leading "word:" is a scheme; anything else is a bare file path.
  size_t colon = 0;
  while (colon < text_.size() && is_scheme_char(text_[colon])) ++colon;
  const bool has_scheme =
      colon > 0 && colon < text_.size() && text_[colon] == ':' &&
      ((text_[0] >= 'a' && text_[0] <= 'z') || (text_[0] >= 'A' && text_[0] <= 'Z'));
  if (!has_scheme) {
    uri_.scheme = Scheme::kFile;
    SLUICE_RETURN_IF_ERROR(ParseFile(text_, false));
    return std::move(uri_);
  }
  const std::string scheme = lower(text_.substr(0, colon));
  std::string_view rest = text_.substr(colon + 1);
  if (scheme == "file") {
    uri_.scheme = Scheme::kFile;
    SLUICE_RETURN_IF_ERROR(ParseFile(rest, true));
  } else if (scheme == "stdio") {
    if (!rest.empty()) return Error("stdio: takes no stream name or options");
    uri_.scheme = Scheme::kStdio;
  } else if (scheme == "kafka" || scheme == "redis" || scheme == "rediss") {
    uri_.scheme = scheme == "kafka"   ? Scheme::kKafka
                  : scheme == "redis" ? Scheme::kRedis
                                      : Scheme::kRediss;
    if (rest.substr(0, 2) != "//") {
      return Error("expected '" + scheme + "://' before the host");
    }
    SLUICE_RETURN_IF_ERROR(ParseServer(rest.substr(2)));
  } else {
    return Error("unknown scheme '" + scheme +
                 "' (expected file:, kafka://, redis://, rediss:// or -)");
  }
  return std::move(uri_);
}

Status Parser::ParseFile(std::string_view rest, bool after_scheme) {
  const size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    SLUICE_RETURN_IF_ERROR(ParseQuery(rest.substr(q + 1)));
    rest = rest.substr(0, q);
  }
  if (after_scheme && rest.substr(0, 2) == "//") {
    // file://HOST/PATH: only an empty host or localhost means this machine.
    rest.remove_prefix(2);
    if (rest.substr(0, 9) == "localhost") rest.remove_prefix(9);
    if (!rest.empty() && rest[0] != '/') {
      return Error("file: uris take no host ('" + std::string(rest.substr(0, rest.find('/'))) +
                   "'); use file:///abs/path or file:rel/path");
    }
  }
  std::string_view path = rest;
  const bool trailing_slash = !path.empty() && path.back() == '/';
  if (kind_ == UriKind::kCluster || (kind_ == UriKind::kAny && (path.empty() || trailing_slash))) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    uri_.dir = std::string(path);
    return Status::Ok();
  }
  if (path.empty()) return Error("no stream name (expected file:DIR/STREAM)");
  if (trailing_slash) return Error("no stream name after the directory (the path ends with '/')");
  const size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) {
    // "a//b" names the same directory as "a/b"; keep dir free of trailing
    // slashes so stream_path() is the path the user wrote, modulo those.
    std::string_view dir = path.substr(0, slash);
    while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
    uri_.dir = dir.empty() ? "/" : std::string(dir);
    path.remove_prefix(slash + 1);
  }
  SLUICE_RETURN_IF_ERROR(ParseStreams(path));
  for (const std::string& s : uri_.streams) {
    if (s == "." || s == "..") return Error("stream name '" + s + "' is not allowed");
  }
  return Status::Ok();
}

Status Parser::ParseServer(std::string_view rest) {
  const bool kafka = uri_.scheme == Scheme::kKafka;
  size_t auth_end = rest.find_first_of("/?");
  if (auth_end == std::string_view::npos) auth_end = rest.size();
  std::string_view authority = rest.substr(0, auth_end);
  rest.remove_prefix(auth_end);

  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (kafka) {
      return Error(
          "kafka uris take no user:password (use "
          "?sasl.username=...&sasl.password=... or SLUICE_KAFKA_* "
          "variables)");
    }
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), &uri_.user)) {
      return Error("bad percent-encoding in the user name");
    }
    if (colon != std::string_view::npos &&
        !percent_decode(userinfo.substr(colon + 1), &uri_.password)) {
      return Error("bad percent-encoding in the password");
    }
    authority.remove_prefix(at + 1);
  }
  SLUICE_RETURN_IF_ERROR(ParseHosts(authority));

  std::string_view path = rest;
  const size_t q = path.find('?');
  if (q != std::string_view::npos) {
    SLUICE_RETURN_IF_ERROR(ParseQuery(path.substr(q + 1)));
    path = path.substr(0, q);
  }
  if (!path.empty()) path.remove_prefix(1);  // the '/'
  if (!path.empty()) SLUICE_RETURN_IF_ERROR(ParseStreams(path));
  SLUICE_RETURN_IF_ERROR(CheckStreamCount());

  if (kafka) {
    for (const std::string& t : uri_.streams) {
      if (t.size() > 249) return Error("topic '" + t + "' is longer than 249 characters");
      for (char c : t) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '{' ||
                        c == '}';
        if (!ok) {
          return Error("topic '" + t + "' has an invalid character '" + std::string(1, c) +
                       "' (kafka allows letters, digits, '.', '_' and '-')");
        }
      }
    }
  }
  if (const std::string* db = uri_.param("db")) {
    int v = -1;
    auto [end, ec] = std::from_chars(db->data(), db->data() + db->size(), v);
    if (ec != std::errc() || end != db->data() + db->size() || v < 0) {
      return Error("query parameter 'db' must be a non-negative integer, not '" + *db + "'");
    }
  }
  return Status::Ok();
}

Status Parser::ParseHosts(std::string_view hosts) {
  const bool kafka = uri_.scheme == Scheme::kKafka;
  const char* what = kafka ? "broker" : "host";
  if (hosts.empty()) {
    return Error(kafka ? "no broker (expected kafka://HOST:PORT/TOPIC)"
                       : "no host (expected redis://HOST[:PORT]/STREAM)");
  }
  size_t index = 0;
  while (true) {
    ++index;
    const size_t comma = hosts.find(',');
    const std::string_view h = hosts.substr(0, comma);
    if (h.empty()) {
      return Error("empty " + std::string(what) + " at position " + std::to_string(index));
    }
    std::string_view host = h, port;
    if (h[0] == '[') {  // [IPv6]:port
      const size_t close = h.find(']');
      if (close == std::string_view::npos) {
        return Error(std::string(what) + " '" + std::string(h) + "' has no closing ']'");
      }
      host = h.substr(0, close + 1);
      std::string_view after = h.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') {
          return Error(std::string(what) + " '" + std::string(h) + "': expected ':' after ']'");
        }
        port = after.substr(1);
        if (port.empty())
          return Error(std::string(what) + " '" + std::string(h) + "' has an empty port");
      }
    } else {
      const size_t colon = h.find(':');
      if (colon != std::string_view::npos) {
        if (h.find(':', colon + 1) != std::string_view::npos) {
          return Error(std::string(what) + " '" + std::string(h) +
                       "': put an IPv6 address in brackets ([::1]:PORT)");
        }
        host = h.substr(0, colon);
        port = h.substr(colon + 1);
        if (port.empty())
          return Error(std::string(what) + " '" + std::string(h) + "' has an empty port");
      }
      if (host.empty())
        return Error(std::string(what) + " '" + std::string(h) + "' has no host name");
    }
    if (port.empty()) {
      if (kafka) return Error("broker '" + std::string(h) + "' has no port");
      port = "6379";
    }
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      return Error(std::string(what) + " '" + std::string(h) + "' has an invalid port '" +
                   std::string(port) + "' (expected 1-65535)");
    }
    uri_.hosts.push_back(std::string(host) + ":" + std::string(port));
    if (comma == std::string_view::npos) break;
    hosts.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

Status Parser::ParseStreams(std::string_view list) {
  size_t index = 0;
  while (true) {
    ++index;
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (name.empty()) return Error("empty stream name at position " + std::to_string(index));
    uri_.streams.emplace_back(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

Status Parser::CheckStreamCount() {
  if (kind_ == UriKind::kStream && uri_.streams.empty()) {
    return Error(uri_.scheme == Scheme::kKafka
                     ? "no topic name (expected kafka://HOST:PORT/TOPIC)"
                     : "no stream name (expected redis://HOST[:PORT]/STREAM)");
  }
  if (kind_ == UriKind::kCluster && !uri_.streams.empty()) {
    return Error("a cluster uri takes no stream name ('" + uri_.streams[0] + "')");
  }
  return Status::Ok();
}

Status Parser::ParseQuery(std::string_view query) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;  // "a=1&&b=2", a trailing '&'
    const size_t eq = item.find('=');
    std::string name, value;
    if (!percent_decode(item.substr(0, eq), &name)) {
      return Error("bad percent-encoding in query parameter '" + std::string(item.substr(0, eq)) +
                   "'");
    }
    if (name.empty()) return Error("query parameter with an empty name");
    if (eq == std::string_view::npos) {
      return Error("query parameter '" + name + "' has no value (expected NAME=VALUE)");
    }
    if (!percent_decode(item.substr(eq + 1), &value)) {
      return Error("bad percent-encoding in the value of query parameter '" + name + "'");
    }
    uri_.params.emplace_back(std::move(name), std::move(value));
  }
  return Status::Ok();
}

std::string join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(sep);
    out += v[i];
  }
  return out;
}

}  // namespace

std::string_view scheme_name(Scheme s) {
  switch (s) {
    case Scheme::kFile:
      return "file";
    case Scheme::kKafka:
      return "kafka";
    case Scheme::kRedis:
      return "redis";
    case Scheme::kRediss:
      return "rediss";
    case Scheme::kStdio:
      return "stdio";
  }
  return "unknown";
}

std::string StreamUri::redacted() const {
  if (scheme == Scheme::kStdio) return "-";
  std::string out(scheme_name(scheme));
  if (scheme == Scheme::kFile) {
    std::string path;
    if (streams.empty()) {
      // A trailing '/' keeps a kAny parse from taking the last directory
      // as a stream name.
      path = dir;
      if (!path.empty() && path.back() != '/') path.push_back('/');
    } else {
      path = stream_path(join(streams, ','));
    }
    // "file://" would read a leading "//" as a host.
    out += path.substr(0, 2) == "//" ? "://" : ":";
    out += path;
  } else {
    out += "://";
    if (!user.empty() || !password.empty()) {
      out += percent_encode(user);
      if (!password.empty()) out += ":***";
      out += "@";
    }
    out += join(hosts, ',');
    if (!streams.empty()) out += "/" + join(streams, ',');
  }
  for (size_t i = 0; i < params.size(); ++i) {
    out += i == 0 ? "?" : "&";
    out += percent_encode(params[i].first) + "=";
    out += is_secret_param(params[i].first) ? "***" : percent_encode(params[i].second);
  }
  return out;
}

const std::string* StreamUri::param(std::string_view name) const {
  // The last occurrence wins, so a later "?x=" overrides an earlier one.
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

std::string StreamUri::stream_path(std::string_view name) const {
  if (dir.empty()) return std::string(name);
  std::string p = dir;
  if (p.back() != '/') p.push_back('/');
  p.append(name);
  return p;
}

Result<StreamUri> parse_stream_uri(std::string_view text, UriKind kind) {
  return Parser(text, kind).Run();
}

}  // namespace sluice
