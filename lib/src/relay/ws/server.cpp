// The relay-ws server: one libwebsockets context on a libuv loop we own,
// its protocol callback (WebSocket and plain HTTP on the same port), and
// the shutdown that closes every client with 1001 (sluice/relay.h).
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>

#include "relay/ws/relay_internal.h"
#include "sluice/signals.h"

namespace sluice::relay {

std::string render_metrics(const Metrics& m,
                           const std::vector<std::pair<std::string, size_t>>& subscriptions);
std::string_view live_page_html();
std::string_view live_page_css();
std::string_view live_page_js();

namespace {

// The certificate chain and its key as OpenSSL reads them for a server:
// kConfig naming the file and OpenSSL's reason when it refuses them.
// Whether `host`:`port` can be listened on, by binding a socket to it as
// lws will (SO_REUSEADDR): a port another process listens on fails here
// with a clear error instead of inside lws.
Status check_listen(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return Status::Unavailable("cannot listen on " + where + ": " + gai_strerror(rc));
  }
  int err = 0;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    err = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    close(fd);
    if (err == 0) break;
  }
  freeaddrinfo(res);
  if (err != 0) return Status::Unavailable("cannot listen on " + where + ": " + strerror(err));
  return Status::Ok();
}

Status check_tls_files(const std::string& cert, const std::string& key) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  auto refused = [](const std::string& what) {
    char why[256] = "no reason given";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    return Status::Config(what + ": " + why);
  };
  if (!ctx) return refused("cannot set up TLS");
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) {
    return refused("--cert '" + cert + "': not a PEM certificate");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return refused("--key '" + key + "': not the PEM private key of --cert '" + cert + "'");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return refused("--key '" + key + "' is not the key of --cert '" + cert + "'");
  }
  return Status::Ok();
}

// The verdict on a token that came with the upgrade request, kept from
// FILTER_PROTOCOL_CONNECTION until ESTABLISHED.
struct PendingAuth {
  bool authed = false;
  int code = 0;
  std::string reason;
  std::optional<std::vector<std::string>> allowed;
};

// lws per-session data: zeroed by lws, so plain pointers only.
struct Session {
  Client* client;
  PendingAuth* pending;
  std::string* http;  // response body with LWS_PRE bytes in front
};

std::string header(lws* wsi, lws_token_indexes token) {
  const int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return {};
  std::string out(static_cast<size_t>(n) + 1, '\0');
  const int got = lws_hdr_copy(wsi, out.data(), n + 1, token);
  out.resize(got < 0 ? 0 : static_cast<size_t>(got));
  return out;
}

class Server {
 public:
  explicit Server(const RelayOptions& opts)
      : opts_(opts), hub_(opts, &ctx_, metrics_), inbox_(size_t{1} << 16) {
    // permessage-deflate compresses each frame itself: no pre-framed batches.
    hub_.preframed = !opts.compress;
  }
  Status run();
  int on_event(lws* wsi, lws_callback_reasons reason, Session* s, void* in, size_t len);

 private:
  int on_http(lws* wsi, Session* s, std::string_view path);
  // GET /sse: checks the token, answers 200 and opens the stream (or
  // refuses it with 401/403/503); 0 to go on, else close.
  int open_sse(lws* wsi, Session* s);
  // Writes a whole plain-text answer from HTTP_WRITEABLE.
  int respond(lws* wsi, Session* s, unsigned status, const char* type, std::string_view body);
  void drop_client(Session* s);
  // Path, --allow-origin and --max-connections, before the handshake: 0 to
  // go on, else the HTTP refusal was written.
  int confirm_upgrade(lws* wsi);
  // The token of the upgrade request (?token=, Authorization), checked.
  PendingAuth* check_upgrade(lws* wsi);
  void begin_shutdown(Status why);
  static void on_stop_signal(uv_poll_t* h, int status, int events);
  static void on_shutdown_tick(uv_timer_t* t);
  // Every second: SSE streams whose client hung up (see open_sse).
  static void on_sse_sweep(uv_timer_t* t);
  void stop_sources();

  const RelayOptions& opts_;
  lws_context* ctx_ = nullptr;
  Metrics metrics_;
  Hub hub_;
  Inbox inbox_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::vector<std::thread> threads_;
  std::set<Client*> clients_;
  std::vector<std::pair<Topic*, EntryPtr>> scratch_;
  uv_loop_t loop_{};
  uv_poll_t stop_poll_{};
  uv_timer_t shutdown_timer_{};
  uv_timer_t sse_sweep_{};
  bool shutting_down_ = false;
  std::chrono::steady_clock::time_point shutdown_at_;
  Status result_;
};

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  lws_context* ctx = lws_get_context(wsi);
  auto* server = ctx ? static_cast<Server*>(lws_context_user(ctx)) : nullptr;
  if (!server) return lws_callback_http_dummy(wsi, reason, user, in, len);
  return server->on_event(wsi, reason, static_cast<Session*>(user), in, len);
}

// permessage-deflate (RFC 7692), offered only with --compress: each
// connection that takes it has its own zlib streams.
const lws_extension kExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

// A client that asks for no subprotocol speaks relay-ws's own (the first).
const lws_protocols kProtocols[] = {
    // tx_packet_size 64 KiB: one send() takes a whole batch of frames
    // (session.cpp); lws keeps what the socket did not take.
    {"relay", callback, sizeof(Session), 4096, 0, nullptr, 65536},
    {"graphql-transport-ws", callback, sizeof(Session), 4096, 0, nullptr, 65536},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// An HTTP/1.1 answer that refuses an upgrade, written whole: before the
// request is parsed lws_return_http_status() answers HTTP/1.0, which
// clients (Python websockets) refuse to read. 1 (refused) or -1 (hang up).
int refuse_upgrade(lws* wsi, const char* status, std::string_view body) {
  std::string r(LWS_PRE, '\0');
  r.append("HTTP/1.1 ").append(status).append("\r\ncontent-type: text/plain; charset=utf-8\r\n");
  r.append("content-length: " + std::to_string(body.size() + 1) + "\r\n");
  r.append("connection: close\r\n\r\n").append(body).append("\n");
  const size_t n = r.size() - LWS_PRE;
  auto* p = reinterpret_cast<unsigned char*>(r.data()) + LWS_PRE;
  return lws_write(wsi, p, n, LWS_WRITE_HTTP_HEADERS) == static_cast<int>(n) ? 1 : -1;
}

int Server::confirm_upgrade(lws* wsi) {
  if (header(wsi, WSI_TOKEN_GET_URI) != "/") {
    return refuse_upgrade(wsi, "404 Not Found", "WebSocket upgrades are accepted on / only");
  }
  // Browsers always send Origin; a client without one (a script, a
  // service) is not a page another site could turn against the user.
  const std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
  if (!opts_.allow_origins.empty() && !origin.empty()) {
    bool ok = false;
    for (const std::string& o : opts_.allow_origins) ok = ok || o == origin;
    if (!ok) {
      ++metrics_.auth_failures;
      return refuse_upgrade(wsi, "403 Forbidden", "origin not allowed (--allow-origin)");
    }
  }
  if (opts_.max_connections && clients_.size() >= opts_.max_connections) {
    ++metrics_.connections_refused;
    return refuse_upgrade(wsi, "503 Service Unavailable",
                          "too many connections (--max-connections)");
  }
  return 0;
}

PendingAuth* Server::check_upgrade(lws* wsi) {
  if (!opts_.jwt) return nullptr;
  auto* p = new PendingAuth;
  std::string token;
  std::string arg(8192, '\0');
  if (const char* v =
          lws_get_urlarg_by_name(wsi, "token=", arg.data(), static_cast<int>(arg.size()))) {
    token = v;
  } else {
    const std::string auth = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (auth.rfind("Bearer ", 0) == 0) token = auth.substr(7);
  }
  if (token.empty()) return p;  // the first message must be {"action":"auth"}
  JwtVerdict v = opts_.jwt->verify(token, now_us() / 1000000);
  p->authed = v.ok();
  p->code = close_code_for(v.error);
  p->reason = v.reason;
  p->allowed = std::move(v.topics);
  if (!v.ok()) ++metrics_.auth_failures;
  return p;
}

int Server::on_event(lws* wsi, lws_callback_reasons reason, Session* s, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
      auto refill = [this] {
        inbox_.take(scratch_);
        for (auto& [t, e] : scratch_) hub_.append(t, std::move(e));
        scratch_.clear();
      };
      refill();
      // Clients left for the next slice: come back once the loop has
      // served its other events (connections, client messages, timers).
      if (hub_.flush_ready(refill)) lws_cancel_service(ctx_);
      hub_.poll_catchups();
      if (Status st = inbox_.failure(); !st.ok() && !shutting_down_) begin_shutdown(st);
      return 0;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return confirm_upgrade(wsi);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      if (shutting_down_) return 1;
      s->pending = check_upgrade(wsi);
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      auto* c = new Client;
      c->wsi = wsi;
      s->client = c;
      clients_.insert(c);
      ++metrics_.clients;
      ++metrics_.connections_total;
      // By name: lws hands out its vhost's copy of kProtocols.
      if (strcmp(lws_get_protocol(wsi)->name, kProtocols[1].name) == 0) {
        c->gql = std::make_unique<GraphqlClient>();
        ++metrics_.graphql_clients;
        ++metrics_.graphql_connections_total;
        lws_set_timer_usecs(wsi, LWS_USEC_PER_SEC * kGraphqlInitTimeoutS);
      }
      if (PendingAuth* p = s->pending) {
        c->authed = p->authed;
        c->allowed = std::move(p->allowed);
        if (p->code) {
          c->close_code = c->gql ? kCloseGraphqlForbidden : p->code;
          c->close_reason = c->gql ? "Forbidden: " + p->reason : p->reason;
          hub_.request_write(c);
        }
        delete p;
        s->pending = nullptr;
      }
      // A token must come within --auth-timeout (LWS_CALLBACK_TIMER); a
      // GraphQL client's comes in connection_init, within its own deadline.
      if (!c->gql && !c->authed && !c->close_code) {
        lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(opts_.auth_timeout_s) * 1000000);
      }
      if (shutting_down_) {
        c->close_code = kCloseGoingAway;
        c->close_reason = "server shutting down";
        hub_.request_write(c);
      }
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      Client* c = s->client;
      if (!c) return -1;
      if (lws_frame_is_binary(wsi)) {
        if (c->gql && !c->close_code) {
          c->close_code = kCloseGraphqlBadMessage;
          c->close_reason = "expected JSON text frames, not binary";
          hub_.request_write(c);
        } else if (lws_is_final_fragment(wsi)) {
          hub_.send_error(c, "bad_request", "expected JSON text frames, not binary");
        }
        return 0;
      }
      c->rx.append(static_cast<const char*>(in), len);
      if (c->rx.size() > opts_.max_message) {
        c->close_code = kCloseTooBig;
        c->close_reason = "message larger than " + std::to_string(opts_.max_message) + " bytes";
        c->rx.clear();
        hub_.request_write(c);
        return 0;
      }
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string msg;
        msg.swap(c->rx);
        c->gql ? hub_.on_graphql_message(c, msg) : hub_.on_message(c, msg);
      }
      return 0;
    }
    case LWS_CALLBACK_TIMER:
      // GraphQL clients: the connection_init deadline; others with a JWT
      // configured: the token deadline (--auth-timeout).
      if (Client* c = s ? s->client : nullptr; c && !c->close_code) {
        if (c->sse) {
          // A comment keeps proxies from dropping an idle stream.
          c->sse_keepalive = true;
          hub_.request_write(c);
          lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(opts_.ping_interval_s) * 1000000);
        } else if (c->gql) {
          if (!c->gql->acked) {
            c->close_code = kCloseGraphqlInitTimeout;
            c->close_reason = "Connection initialisation timeout";
            hub_.request_write(c);
          }
        } else if (!c->authed) {
          ++metrics_.auth_failures;
          c->close_code = kCloseAuthTimeout;
          c->close_reason = "no token within " + std::to_string(opts_.auth_timeout_s) + "s";
          hub_.request_write(c);
        }
      }
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (s && s->client) s->client->peer_closed = true;
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return s->client ? hub_.on_writeable(wsi, s->client) : 0;
    case LWS_CALLBACK_CLOSED:
      drop_client(s);
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (s) {
        delete s->pending;
        s->pending = nullptr;
        delete s->http;
        s->http = nullptr;
      }
      return 0;
    case LWS_CALLBACK_HTTP:
      return on_http(wsi, s,
                     std::string_view(static_cast<const char*>(in),
                                      in ? strlen(static_cast<const char*>(in)) : 0));
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (s && s->client && s->client->sse) return hub_.on_sse_writeable(wsi, s->client);
      if (!s || !s->http) return 0;
      const size_t n = s->http->size() - LWS_PRE;
      auto* p = reinterpret_cast<unsigned char*>(s->http->data()) + LWS_PRE;
      if (lws_write(wsi, p, n, LWS_WRITE_HTTP_FINAL) != static_cast<int>(n)) return 1;
      delete s->http;
      s->http = nullptr;
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
      // No session data when the connection closed before it had any (a
      // plain client on a TLS port fails there).
      if (s) {
        drop_client(s);  // an SSE stream
        delete s->http;
        s->http = nullptr;
      }
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, s, in, len);
  }
}

void Server::drop_client(Session* s) {
  Client* c = s ? s->client : nullptr;
  if (!c) return;
  hub_.unsubscribe_all(c);
  hub_.forget(c);
  clients_.erase(c);
  --metrics_.clients;
  if (c->gql) --metrics_.graphql_clients;
  if (c->sse) --metrics_.sse_clients;
  delete c;
  s->client = nullptr;
}

std::string url_arg(lws* wsi, const char* name, bool* found = nullptr) {
  std::string arg(8192, '\0');
  const char* v = lws_get_urlarg_by_name(wsi, name, arg.data(), static_cast<int>(arg.size()));
  if (found) *found = v != nullptr;
  return v ? std::string(v) : std::string();
}

int Server::open_sse(lws* wsi, Session* s) {
  if (shutting_down_) {
    return respond(wsi, s, HTTP_STATUS_SERVICE_UNAVAILABLE, nullptr, "server shutting down\n");
  }
  const std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
  if (!opts_.allow_origins.empty() && !origin.empty() &&
      std::find(opts_.allow_origins.begin(), opts_.allow_origins.end(), origin) ==
          opts_.allow_origins.end()) {
    ++metrics_.auth_failures;
    return respond(wsi, s, HTTP_STATUS_FORBIDDEN, nullptr, "origin not allowed (--allow-origin)\n");
  }
  if (opts_.max_connections && clients_.size() >= opts_.max_connections) {
    ++metrics_.connections_refused;
    return respond(wsi, s, HTTP_STATUS_SERVICE_UNAVAILABLE, nullptr,
                   "too many connections (--max-connections)\n");
  }
  std::unique_ptr<PendingAuth> auth(check_upgrade(wsi));
  if (auth && !auth->authed) {
    if (!auth->code) ++metrics_.auth_failures;
    const std::string why = auth->code ? "token refused: " + auth->reason
                                       : "token required (?token= or Authorization: Bearer)";
    return respond(wsi, s, HTTP_STATUS_UNAUTHORIZED, nullptr, why.substr(0, 200) + "\n");
  }
  SseRequest req;
  req.topics = url_arg(wsi, "topics=");
  req.from = url_arg(wsi, "from=");
  bool has_where = false;
  std::string where = url_arg(wsi, "where=", &has_where);
  if (has_where) req.where = std::move(where);
  if (const int n = lws_hdr_custom_length(wsi, "last-event-id:", 14); n > 0) {
    std::string id(static_cast<size_t>(n) + 1, '\0');
    const int got = lws_hdr_custom_copy(wsi, id.data(), n + 1, "last-event-id:", 14);
    id.resize(got < 0 ? 0 : static_cast<size_t>(got));
    req.last_event_id = id;
  }
  unsigned char buf[LWS_PRE + 1024];
  unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
  static const char kNoCache[] = "no-cache";
  if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream; charset=utf-8",
                                  LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
      lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                   reinterpret_cast<const unsigned char*>(kNoCache),
                                   sizeof kNoCache - 1, &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  auto* c = new Client;
  c->wsi = wsi;
  c->sse = true;
  if (auth) c->allowed = std::move(auth->allowed);
  s->client = c;
  clients_.insert(c);
  ++metrics_.clients;
  ++metrics_.connections_total;
  ++metrics_.sse_clients;
  ++metrics_.sse_connections_total;
  // The stream stays open: no lws timeout, no end of the HTTP transaction.
  // lws reads nothing more from a connection in a transaction, yet polls
  // it for input: a client's FIN wakes the loop again and again (most of a
  // core) until something notices the end. on_sse_sweep does within a
  // second; else the next write would.
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  if (opts_.ping_interval_s > 0) {
    lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(opts_.ping_interval_s) * 1000000);
  }
  hub_.open_sse(c, req);
  return 0;
}

int Server::respond(lws* wsi, Session* s, unsigned status, const char* type,
                    std::string_view body) {
  if (!type) type = "text/plain; charset=utf-8";
  delete s->http;
  s->http = new std::string(LWS_PRE, '\0');
  s->http->append(body);
  unsigned char buf[LWS_PRE + 1024];
  unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
  if (lws_add_http_common_headers(wsi, status, type, body.size(), &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  lws_callback_on_writable(wsi);
  return 0;
}

int Server::on_http(lws* wsi, Session* s, std::string_view path) {
  if (path == "/sse") return open_sse(wsi, s);
  std::string body;
  const char* type = "text/plain; charset=utf-8";
  unsigned status = HTTP_STATUS_OK;
  if (path == "/healthz") {
    body = shutting_down_ ? "stopping\n" : "ok\n";
    if (shutting_down_) status = HTTP_STATUS_SERVICE_UNAVAILABLE;
  } else if (path == "/metrics") {
    body = render_metrics(metrics_, hub_.subscription_counts());
    type = "text/plain; version=0.0.4; charset=utf-8";
  } else if (path == "/" || path.empty()) {
    body = live_page_html();
    type = "text/html; charset=utf-8";
  } else if (path == "/live.js") {
    body = live_page_js();
    type = "text/javascript; charset=utf-8";
  } else if (path == "/live.css") {
    body = live_page_css();
    type = "text/css; charset=utf-8";
  } else {
    status = HTTP_STATUS_NOT_FOUND;
    body = "not found\n";
  }
  return respond(wsi, s, status, type, body);
}

void Server::on_stop_signal(uv_poll_t* h, int, int) {
  auto* self = static_cast<Server*>(h->data);
  uv_poll_stop(h);
  self->begin_shutdown(Status::Ok());
}

void Server::begin_shutdown(Status why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  result_ = std::move(why);
  shutdown_at_ = std::chrono::steady_clock::now();
  stop_sources();
  uv_timer_stop(&sse_sweep_);
  for (Client* c : clients_) {
    c->close_code = kCloseGoingAway;
    c->close_reason = "server shutting down";
    hub_.request_write(c);
  }
  uv_timer_start(&shutdown_timer_, on_shutdown_tick, 20, 20);
}

void Server::on_shutdown_tick(uv_timer_t* t) {
  auto* self = static_cast<Server*>(t->data);
  // Every client got its close frame, or the stragglers are not reading.
  if (self->clients_.empty() ||
      std::chrono::steady_clock::now() - self->shutdown_at_ > std::chrono::seconds(3)) {
    uv_timer_stop(t);
    uv_stop(&self->loop_);
  }
}

void Server::on_sse_sweep(uv_timer_t* t) {
  auto* self = static_cast<Server*>(t->data);
  for (Client* c : self->clients_) {
    if (!c->sse || c->close_code) continue;
    // A peek reads nothing: 0 is the end of the client's side. (Bytes it
    // sent after its request, or a TLS close_notify, hide the end: then
    // the next write finds it.)
    char byte;
    const ssize_t n = recv(lws_get_socket_fd(c->wsi), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      self->hub_.hang_up(c);
    }
  }
}

void Server::stop_sources() {
  inbox_.stop();
  for (auto& c : consumers_) c->wake();
}

Status Server::run() {
  lws_set_log_level(
      LLL_ERR, [](int, const char* line) { fprintf(stderr, "relay-ws: libwebsockets: %s", line); });
  SLUICE_RETURN_IF_ERROR(check_listen(opts_.host, opts_.port));
  if (uv_loop_init(&loop_) != 0) return Status::Internal("cannot start the libuv loop");
  void* loops[] = {&loop_};
  lws_retry_bo_t retry{};
  retry.secs_since_valid_ping = static_cast<uint16_t>(opts_.ping_interval_s);
  retry.secs_since_valid_hangup = static_cast<uint16_t>(opts_.ping_interval_s * 2);
  lws_context_creation_info info{};
  info.port = opts_.port;
  info.iface = opts_.host.c_str();
  info.protocols = kProtocols;
  if (opts_.compress) info.extensions = kExtensions;
  info.user = this;
  info.foreign_loops = loops;
  info.retry_and_idle_policy = &retry;
  info.pcontext = &ctx_;  // nulled once destruction is complete
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                 LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
  if (opts_.host.find(':') == std::string::npos) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.timeout_secs = 10;
  info.max_http_header_data = 8192;
  const bool tls = !opts_.cert_file.empty();
  if (tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = opts_.cert_file.c_str();
    info.ssl_private_key_filepath = opts_.key_file.c_str();
  }

  // Sources first: a backend that cannot be reached fails before we listen.
  for (const StreamUri& uri : opts_.streams) {
    for (const std::string& name : uri.streams) hub_.topic(name, &uri);
    ConsumerOptions co;
    co.from.kind = StartPosition::Kind::kEnd;
    co.timeout = opts_.timeout;
    auto c = open_consumer(uri, co);
    if (!c.ok()) return c.status();
    consumers_.push_back(std::move(*c));
    hub_.seed_positions(uri);
  }
  if (opts_.read_stdin) hub_.topic(opts_.stdin_topic, nullptr);

  if (tls) {
    // lws would make the context without its server, and say so only in
    // its log, when OpenSSL refuses the files: check them first.
    if (Status st = check_tls_files(opts_.cert_file, opts_.key_file); !st.ok()) {
      uv_loop_close(&loop_);
      return st;
    }
  }
  ctx_ = lws_create_context(&info);
  // lws makes the context even when its listening vhost failed to bind
  // (it logs "Failed to create default vhost"), and destroying that one on
  // a foreign loop crashes: check_listen() took the common case first.
  if (ctx_ && !lws_get_vhost_by_name(ctx_, "default")) {
    // On a foreign loop, destroying takes two calls around loop runs (as
    // at the end of run()).
    // Only when the address was taken after check_listen() looked (a race):
    // the half-made context is left to the exit.
    ctx_ = nullptr;
  }
  if (!ctx_) {
    uv_loop_close(&loop_);
    const std::string where = opts_.host + ":" + std::to_string(opts_.port);
    return Status::Unavailable("cannot listen on " + where + " (in use, or not an address here?)");
  }
  inbox_.set_context(ctx_);
  fprintf(stderr, "relay-ws: listening on %s://%s:%d\n", tls ? "https" : "http", opts_.host.c_str(),
          opts_.port);
  for (size_t i = 0; i < consumers_.size(); ++i) {
    threads_.emplace_back(
        [this, i] { run_stream_source(*consumers_[i], opts_.streams[i], hub_, inbox_); });
  }
  if (opts_.read_stdin) threads_.emplace_back([this] { run_stdin_source(opts_, hub_, inbox_); });

  uv_poll_init(&loop_, &stop_poll_, stop_fd());
  stop_poll_.data = this;
  uv_poll_start(&stop_poll_, UV_READABLE, on_stop_signal);
  uv_timer_init(&loop_, &shutdown_timer_);
  shutdown_timer_.data = this;
  uv_timer_init(&loop_, &sse_sweep_);
  sse_sweep_.data = this;
  uv_timer_start(&sse_sweep_, on_sse_sweep, 1000, 1000);
  if (stop_requested()) begin_shutdown(Status::Ok());

  uv_run(&loop_, UV_RUN_DEFAULT);

  stop_sources();
  for (std::thread& t : threads_) t.join();
  for (Client* c : clients_) hub_.unsubscribe_all(c);  // stops catch-up readers
  // On a foreign loop lws finishes destroying the context only after its
  // handles closed on the loop; a second call then frees the rest.
  lws_context_destroy(ctx_);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_poll_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sse_sweep_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (ctx_) lws_context_destroy(ctx_);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  for (Client* c : clients_) delete c;
  return result_;
}

}  // namespace

Status run_relay(const RelayOptions& opts) {
  Server server(opts);
  return server.run();
}

}  // namespace sluice::relay
