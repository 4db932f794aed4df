// Redis transport and pure helpers (entry IDs, RESP encoding, field layout).
// See redis_backend.h for the design.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "backends/redis_backend.h"
#include "core/backoff.h"

namespace sluice::redis {

using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------ entry IDs

namespace {
bool parse_u64(std::string_view s, uint64_t* v) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}
}  // namespace

bool parse_entry_id(std::string_view text, EntryId* id) {
  const size_t dash = text.find('-');
  if (!parse_u64(text.substr(0, dash), &id->ms)) return false;
  id->n = 0;
  if (dash == std::string_view::npos) return true;
  return parse_u64(text.substr(dash + 1), &id->n);
}

std::string format_entry_id(const EntryId& id) {
  return std::to_string(id.ms) + "-" + std::to_string(id.n);
}

int64_t entry_id_to_seq(const EntryId& id) {
  // ms < 2^43 until the year 2248; beyond that (explicit huge IDs) saturate.
  constexpr uint64_t kMaxMs = (uint64_t{1} << (63 - kSeqBits)) - 1;
  const uint64_t ms = id.ms > kMaxMs ? kMaxMs : id.ms;
  const uint64_t n = id.n > kSeqMaxN ? kSeqMaxN : id.n;
  return static_cast<int64_t>((ms << kSeqBits) | n);
}

EntryId seq_to_entry_id(int64_t seq) {
  if (seq < 0) return {};
  const auto u = static_cast<uint64_t>(seq);
  return {u >> kSeqBits, u & kSeqMaxN};
}

std::string meta_key(std::string_view stream) {
  const size_t open = stream.find('{');
  const size_t close = open == std::string_view::npos ? open : stream.find('}', open + 1);
  const bool tagged = close != std::string_view::npos && close > open + 1;
  return tagged ? std::string(stream) + ":sluice" : "{" + std::string(stream) + "}:sluice";
}

EntryId pred(const EntryId& id) {
  if (id.n > 0) return {id.ms, id.n - 1};
  if (id.ms > 0) return {id.ms - 1, UINT64_MAX};
  return {};
}

bool start_after_id(const StartPosition& from, EntryId* after) {
  if (!from.id.empty()) {
    EntryId id;
    if (!parse_entry_id(from.id, &id)) return false;
    *after = pred(id);
    return true;
  }
  switch (from.kind) {
    case StartPosition::Kind::kBeginning:
      *after = {};
      return true;
    case StartPosition::Kind::kSeq:
      *after = pred(seq_to_entry_id(from.value));
      return true;
    case StartPosition::Kind::kTime: {
      // First entry with ts >= value: ms >= ceil(value / 1000).
      const int64_t v = from.value < 0 ? 0 : from.value;
      *after = pred(EntryId{static_cast<uint64_t>((v + 999) / 1000), 0});
      return true;
    }
    case StartPosition::Kind::kEnd:
    case StartPosition::Kind::kFromEnd:
      return false;
  }
  return false;
}

// ------------------------------------------------------------ RESP encoding

namespace {
void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}
}  // namespace

RespCommand& RespCommand::begin(size_t argc) {
  out_ += '*';
  append_uint(out_, argc);
  out_ += "\r\n";
  return *this;
}

RespCommand& RespCommand::arg(std::string_view a) {
  out_ += '$';
  append_uint(out_, a.size());
  out_ += "\r\n";
  out_.append(a);
  out_ += "\r\n";
  return *this;
}

RespCommand& RespCommand::arg(int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return arg(std::string_view(buf, static_cast<size_t>(end - buf)));
}

size_t xadd_field_args(const Message& m) {
  size_t n = 2 * m.headers.size();
  if (m.payload) n += 2;
  if (m.key) n += 2;
  return n == 0 ? 2 : n;
}

void append_xadd_fields(RespCommand& c, const Message& m) {
  if (m.payload) c.arg("p").arg(*m.payload);
  if (m.key) c.arg("k").arg(*m.key);
  for (const Header& h : m.headers) {
    // "h." + name without a temporary: encode the bulk header by hand would
    // duplicate RespCommand; headers are rare enough for a small string.
    std::string name;
    name.reserve(2 + h.name.size());
    name.append("h.").append(h.name);
    c.arg(name).arg(h.value);
  }
  if (!m.payload && !m.key && m.headers.empty()) c.arg("n").arg("");
}

// ------------------------------------------------------------ config

Result<ConnConfig> conn_config(const StreamUri& uri, Millis timeout) {
  ConnConfig c;
  c.tls = uri.scheme == Scheme::kRediss;
  c.timeout = timeout;
  if (uri.hosts.empty()) {
    return Status::InvalidArgument("redis uri '" + uri.redacted() + "' names no host");
  }
  c = for_endpoint(c, uri.hosts[0]);
  c.seeds = uri.hosts;
  c.user = uri.user;
  c.password = uri.password;
  if (c.password.empty()) {
    if (const char* env = std::getenv("REDISCLI_AUTH"); env && *env) {
      c.password = env;
    }
  }
  if (const std::string* db = uri.param("db")) {
    uint64_t v = 0;
    if (!parse_u64(*db, &v) || v > 1u << 20) {
      return Status::InvalidArgument("redis uri '" + uri.redacted() + "': db='" + *db +
                                     "' is not a database number");
    }
    c.db = static_cast<int>(v);
  }
  if (const std::string* p = uri.param("tls_ca")) c.tls_ca = *p;
  if (const std::string* p = uri.param("tls_cert")) c.tls_cert = *p;
  if (const std::string* p = uri.param("tls_key")) c.tls_key = *p;
  if (const std::string* p = uri.param("tls_insecure")) {
    c.tls_insecure = *p == "1" || *p == "true" || *p == "yes";
  }
  return c;
}

ConnConfig for_endpoint(const ConnConfig& base, std::string_view endpoint) {
  ConnConfig c = base;
  c.seeds.clear();
  c.endpoint = std::string(endpoint);
  std::string_view hp = endpoint;
  if (!hp.empty() && hp[0] == '[') {  // [v6]:port
    const size_t close = hp.find(']');
    c.host = std::string(hp.substr(1, close - 1));
    c.port =
        close + 1 < hp.size() && hp[close + 1] == ':' ? std::string(hp.substr(close + 2)) : "6379";
  } else {
    const size_t colon = hp.rfind(':');
    c.host = std::string(hp.substr(0, colon));
    c.port = colon == std::string_view::npos ? "6379" : std::string(hp.substr(colon + 1));
  }
  if (c.port.empty()) c.port = "6379";
  if (c.host.empty()) {  // ":port", a cluster node announcing no endpoint
    c.host = base.host;
    c.endpoint = base.host + c.endpoint;
  }
  return c;
}

// ------------------------------------------------------------ connection

Connection::Connection(ConnConfig cfg) : cfg_(std::move(cfg)) {}

Connection::~Connection() {
  close();
  if (ssl_ctx_) SSL_CTX_free(ssl_ctx_);
}

void Connection::close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (reader_) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
}

Status Connection::lost(std::string_view why) const {
  return Status::Unavailable("cannot reach redis '" + cfg_.endpoint + "': " + std::string(why));
}

namespace {
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown tls error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}
}  // namespace

Status Connection::connect_once() {
  close();
  const auto deadline = Clock::now() + cfg_.timeout;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  const int gai = getaddrinfo(cfg_.host.c_str(), cfg_.port.c_str(), &hints, &res);
  if (gai != 0) {
    return lost(std::string("cannot resolve host: ") + gai_strerror(gai));
  }
  std::unique_ptr<struct addrinfo, void (*)(struct addrinfo*)> guard(res, freeaddrinfo);
  int last_err = ECONNREFUSED;
  for (struct addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_err = errno;
      ::close(fd);
      continue;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int n;
    do {
      n = ::poll(&p, 1, remaining_ms(deadline));
    } while (n < 0 && errno == EINTR && Clock::now() < deadline);
    if (n <= 0) {
      last_err = ETIMEDOUT;
      ::close(fd);
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last_err = err;
      ::close(fd);
      continue;
    }
    fd_ = fd;
    break;
  }
  if (fd_ < 0) {
    std::string why = last_err == ECONNREFUSED ? "connection refused (is it running?)"
                      : last_err == ETIMEDOUT  ? "connection timed out after " +
                                                    std::to_string(cfg_.timeout.count()) + " ms"
                                              : std::string(strerror(last_err));
    return lost(why);
  }
  reader_ = redisReaderCreate();
  if (!reader_) return Status::Internal("out of memory creating a redis reader");
  if (cfg_.tls) SLUICE_RETURN_IF_ERROR(tls_handshake(deadline));
  return authenticate();
}

Status Connection::tls_handshake(Clock::time_point deadline) {
  if (!ssl_ctx_) {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ssl_ctx_) return Status::Internal("cannot create a tls context: " + openssl_error());
    SSL_CTX_set_min_proto_version(ssl_ctx_, TLS1_2_VERSION);
    if (!cfg_.tls_ca.empty()) {
      if (SSL_CTX_load_verify_locations(ssl_ctx_, cfg_.tls_ca.c_str(), nullptr) != 1) {
        return Status::Config("cannot load tls_ca '" + cfg_.tls_ca + "': " + openssl_error());
      }
    } else {
      SSL_CTX_set_default_verify_paths(ssl_ctx_);
    }
    if (!cfg_.tls_cert.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ssl_ctx_, cfg_.tls_cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ssl_ctx_,
                                      (cfg_.tls_key.empty() ? cfg_.tls_cert : cfg_.tls_key).c_str(),
                                      SSL_FILETYPE_PEM) != 1) {
        return Status::Config("cannot load tls_cert/tls_key: " + openssl_error());
      }
    }
    SSL_CTX_set_verify(ssl_ctx_, cfg_.tls_insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ssl_ctx_);
  if (!ssl_) return Status::Internal("cannot create a tls session: " + openssl_error());
  SSL_set_fd(ssl_, fd_);
  // The pipelined writer retries from a buffer that may have moved/grown.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!cfg_.tls_insecure) {
    // Check the name (or IP) we dialled against the certificate.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, cfg_.host.c_str()) != 1) {
      X509_VERIFY_PARAM_set1_host(param, cfg_.host.c_str(), 0);
      SSL_set_tlsext_host_name(ssl_, cfg_.host.c_str());
    }
  }
  for (;;) {
    const int r = SSL_connect(ssl_);
    if (r == 1) return Status::Ok();
    const int e = SSL_get_error(ssl_, r);
    short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) {
      const long v = SSL_get_verify_result(ssl_);
      std::string why = v != X509_V_OK ? std::string("certificate verification failed: ") +
                                             X509_verify_cert_error_string(v) +
                                             " (use ?tls_ca=PATH, or ?tls_insecure=1 to skip)"
                                       : "tls handshake failed: " + openssl_error();
      close();
      return Status::Unavailable("cannot reach redis '" + cfg_.endpoint + "': " + why);
    }
    struct pollfd p = {fd_, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n == 0) {
      close();
      return lost("tls handshake timed out");
    }
  }
}

Status Connection::authenticate() {
  if (!cfg_.password.empty()) {
    Result<ReplyPtr> r = cfg_.user.empty() ? call({"AUTH", cfg_.password})
                                           : call({"AUTH", cfg_.user, cfg_.password});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      const std::string err(reply_str(r->get()));
      close();
      return Status::PermissionDenied("redis '" + cfg_.endpoint +
                                      "' refused authentication: " + err);
    }
  }
  if (cfg_.db != 0) {
    Result<ReplyPtr> r = call({"SELECT", std::to_string(cfg_.db)});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      const std::string err(reply_str(r->get()));
      close();
      if (err.rfind("NOAUTH", 0) == 0) {
        return Status::PermissionDenied("redis '" + cfg_.endpoint +
                                        "' requires authentication: " + err +
                                        " (give redis://:PASSWORD@host or set REDISCLI_AUTH)");
      }
      return Status::Config("redis '" + cfg_.endpoint + "' refused db=" + std::to_string(cfg_.db) +
                            ": " + err);
    }
  } else if (cfg_.password.empty()) {
    // Surface NOAUTH now rather than on the first XADD.
    Result<ReplyPtr> r = call({"PING"});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      const std::string err(reply_str(r->get()));
      close();
      return Status::PermissionDenied("redis '" + cfg_.endpoint + "' requires authentication: " +
                                      err + " (give redis://:PASSWORD@host or set REDISCLI_AUTH)");
    }
  }
  return Status::Ok();
}

Status Connection::connect() {
  Status st = connect_once();
  if (st.ok() || !st.is(StatusCode::kUnavailable) || cfg_.seeds.size() < 2) return st;
  // Seeds: the first reachable wins; refusals other than "cannot reach"
  // (authentication, TLS set-up) would be the same on every node.
  const std::string first = cfg_.endpoint;
  for (const std::string& seed : std::vector<std::string>(cfg_.seeds)) {
    if (seed == first) continue;
    retarget(seed);
    Status other = connect_once();
    if (other.ok()) return Status::Ok();
    // A node that answered and refused (a password, TLS) says more than
    // "cannot reach": report it as it is (77/78), not as unavailable.
    if (!other.is(StatusCode::kUnavailable)) return other;
  }
  retarget(first);
  return Status::Unavailable(st.message() + "; no other seed host of the uri answered either");
}

void Connection::retarget(std::string_view endpoint) {
  close();
  std::vector<std::string> seeds = std::move(cfg_.seeds);
  cfg_ = for_endpoint(cfg_, endpoint);
  cfg_.seeds = std::move(seeds);
}

Status Connection::reconnect(Millis budget) {
  const auto deadline = Clock::now() + budget;
  Backoff backoff(Millis(50), Millis(2000));
  for (;;) {
    Status st = connect_once();
    if (st.ok() || st.is(StatusCode::kPermissionDenied) || st.is(StatusCode::kConfig)) {
      return st;
    }
    // Never sleep past the deadline: give up when the next wait would end there.
    if (Clock::now() + backoff.peek() >= deadline) {
      return st.With("gave up reconnecting after " + std::to_string(budget.count()) + " ms");
    }
    std::this_thread::sleep_for(backoff.next());
  }
}

Result<size_t> Connection::write_some(const char* data, size_t len) {
  if (fd_ < 0) return lost("not connected");
  if (len == 0) return size_t{0};
  if (ssl_) {
    const int chunk = len > (1u << 30) ? (1 << 30) : static_cast<int>(len);
    const int r = SSL_write(ssl_, data, chunk);
    if (r > 0) return static_cast<size_t>(r);
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return size_t{0};
    return lost("tls write failed: " + openssl_error());
  }
  for (;;) {
    const ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return lost(std::string("connection lost: ") + strerror(errno));
  }
}

Status Connection::read_available() {
  if (fd_ < 0) return lost("not connected");
  for (;;) {
    ssize_t n;
    if (ssl_) {
      const int r = SSL_read(ssl_, rbuf_, sizeof rbuf_);
      if (r <= 0) {
        const int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::Ok();
        if (e == SSL_ERROR_ZERO_RETURN) return lost("server closed the connection");
        return lost("tls read failed: " + openssl_error());
      }
      n = r;
    } else {
      n = ::recv(fd_, rbuf_, sizeof rbuf_, 0);
      if (n == 0) return lost("server closed the connection");
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
        return lost(std::string("connection lost: ") + strerror(errno));
      }
    }
    if (redisReaderFeed(reader_, rbuf_, static_cast<size_t>(n)) != REDIS_OK) {
      return Status::Internal("redis '" + cfg_.endpoint + "': protocol error");
    }
    if (static_cast<size_t>(n) < sizeof rbuf_) return Status::Ok();
  }
}

Status Connection::wait_and_read(Millis timeout, bool want_write, int wake_fd, bool* woken,
                                 bool* writable) {
  if (fd_ < 0) return lost("not connected");
  if (ssl_ && SSL_pending(ssl_) > 0) return read_available();
  struct pollfd p[2] = {{fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0},
                        {wake_fd, POLLIN, 0}};
  const int n = ::poll(p, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (n < 0) {
    if (errno == EINTR) return Status::Ok();
    return Status::FromErrno(errno, "poll");
  }
  if (wake_fd >= 0 && (p[1].revents & POLLIN)) {
    char drain[64];
    while (::read(wake_fd, drain, sizeof drain) > 0) {
    }
    if (woken) *woken = true;
  }
  if (writable && (p[0].revents & POLLOUT)) *writable = true;
  if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) return read_available();
  return Status::Ok();
}

Result<ReplyPtr> Connection::next_reply() {
  if (!reader_) return lost("not connected");
  void* r = nullptr;
  if (redisReaderGetReply(reader_, &r) != REDIS_OK) {
    return Status::Internal("redis '" + cfg_.endpoint +
                            "': protocol error: " + std::string(reader_->errstr));
  }
  return ReplyPtr(static_cast<redisReply*>(r));
}

Result<ReplyPtr> Connection::call(const std::string& cmd) {
  const auto deadline = Clock::now() + cfg_.timeout;
  size_t off = 0;
  while (off < cmd.size()) {
    Result<size_t> n = write_some(cmd.data() + off, cmd.size() - off);
    if (!n.ok()) {
      close();  // half a command may be on the wire: never reuse it
      return n.status();
    }
    off += *n;
    if (off < cmd.size()) {
      if (Clock::now() >= deadline) {
        close();
        return lost("write timed out");
      }
      struct pollfd p = {fd_, POLLOUT, 0};
      ::poll(&p, 1, remaining_ms(deadline));
    }
  }
  for (;;) {
    Result<ReplyPtr> r = next_reply();
    if (!r.ok()) close();  // a protocol error leaves the stream unframed
    if (!r.ok() || *r) return r;
    if (Clock::now() >= deadline) {
      close();
      return lost("no reply within " + std::to_string(cfg_.timeout.count()) + " ms");
    }
    if (Status w = wait_and_read(Millis(remaining_ms(deadline)), false); !w.ok()) {
      close();
      return w;
    }
  }
}

Result<std::vector<ReplyPtr>> Connection::call_many(const std::string& cmds, size_t count) {
  const auto deadline = Clock::now() + cfg_.timeout;
  std::vector<ReplyPtr> out;
  out.reserve(count);
  size_t off = 0;
  // Reads replies while writing, so that neither side's buffers fill.
  auto take = [&]() -> Status {
    for (;;) {
      Result<ReplyPtr> r = next_reply();
      if (!r.ok()) {
        close();  // a protocol error leaves the stream unframed
        return r.status();
      }
      if (!*r) return Status::Ok();
      out.push_back(std::move(*r));
    }
  };
  while (off < cmds.size() || out.size() < count) {
    if (off < cmds.size()) {
      Result<size_t> n = write_some(cmds.data() + off, cmds.size() - off);
      if (!n.ok()) {
        close();  // half a command may be on the wire: never reuse it
        return n.status();
      }
      off += *n;
    }
    SLUICE_RETURN_IF_ERROR(take());
    if (off >= cmds.size() && out.size() >= count) break;
    if (Clock::now() >= deadline) {
      close();
      return lost("no reply within " + std::to_string(cfg_.timeout.count()) + " ms");
    }
    if (Status w = wait_and_read(Millis(remaining_ms(deadline)), off < cmds.size()); !w.ok()) {
      close();
      return w;
    }
  }
  return out;
}

Result<ReplyPtr> Connection::call(std::initializer_list<std::string_view> args) {
  std::string cmd;
  RespCommand c(cmd);
  c.begin(args.size());
  for (std::string_view a : args) c.arg(a);
  return call(cmd);
}

Status reply_error(const ConnConfig& cfg, std::string_view key, std::string_view error) {
  std::string m = "redis '" + cfg.endpoint + "' key '" + std::string(key) + "': ";
  if (error.rfind("WRONGTYPE", 0) == 0) {
    return Status::BadData(m + "is not a stream (" + std::string(error) +
                           "); pick another stream name or delete the key");
  }
  if (error.rfind("NOPERM", 0) == 0 || error.rfind("NOAUTH", 0) == 0 ||
      error.rfind("WRONGPASS", 0) == 0) {
    return Status::PermissionDenied(m + std::string(error));
  }
  return Status::BadData(m + std::string(error));
}

}  // namespace sluice::redis
