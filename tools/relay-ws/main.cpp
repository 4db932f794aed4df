// relay-ws: streams to WebSocket clients. Parses flags and wires libsluice
// objects together; the server is sluice::relay::run_relay (sluice/relay.h).
#include <sys/resource.h>

#include <charconv>
#include <cstdio>
#include <memory>

#include "common/cli.h"
#include "relay-ws/flags.h"
#include "sluice/env.h"
#include "sluice/jwt.h"
#include "sluice/relay.h"
#include "sluice/signals.h"
#include "sluice/units.h"
#include "sluice/uri.h"

using namespace sluice;

namespace {

// Thousands of clients need thousands of descriptors: take what the hard
// limit allows.
void raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      perror("relay-ws: warning: cannot raise the open files limit");
    }
  }
}

// The whole file that FLAG names; its error names the flag and the file.
Result<std::string> read_flag_file(const cli::Args& a, const char* flag) {
  const std::string path = a.value(flag);
  auto text = Env::Default()->read_file(path);
  if (!text.ok()) return text.status().With(std::string("--") + flag + " '" + path + "'");
  return text;
}

// A whole number of 1 or more, from the flag or its table default.
bool positive(const cli::Args& a, const char* name, int64_t* out, int* rc) {
  const std::string v = a.value(name);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  if (ec != std::errc() || end != v.data() + v.size() || *out < 1) {
    *rc = cli::usage_error(std::string("--") + name + " '" + v +
                           "': expected a whole number, 1 or more");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("relay-ws");
  cli::Args a;
  if (int rc = a.parse(tools::relay_ws::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;
  relay::RelayOptions o;

  const std::string listen = a.value("listen");
  const size_t colon = listen.rfind(':');
  int64_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port).ptr !=
          listen.data() + listen.size() ||
      port < 1 || port > 65535) {
    return cli::usage_error("--listen '" + listen +
                            "': expected HOST:PORT, such as 127.0.0.1:8080");
  }
  o.host = listen.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);
  }
  o.port = static_cast<int>(port);

  for (const std::string& src : a.positionals()) {
    if (src == "-") {
      if (o.read_stdin) return cli::usage_error("- (stdin) given twice");
      o.read_stdin = true;
      continue;
    }
    auto uri = parse_stream_uri(src);
    if (!uri.ok()) return cli::fail(uri.status());
    if (uri->scheme == Scheme::kStdio) {
      return cli::usage_error("'" + src + "': stdio: is not a source here; give - for stdin lines");
    }
    o.streams.push_back(std::move(*uri));
  }
  o.stdin_topic = a.value("topic");
  o.envelope = a.has("envelope");
  if ((o.envelope || a.has("topic")) && !o.read_stdin) {
    return cli::usage_error(std::string(o.envelope ? "--envelope" : "--topic") +
                            " needs - (stdin) among the sources");
  }
  int64_t history = 0, queue = 0;
  if (!positive(a, "history", &history, &rc) || !positive(a, "client-queue", &queue, &rc)) {
    return rc;
  }
  auto max_message = parse_size(a.value("max-message"));
  if (!max_message.ok()) return cli::fail(max_message.status().With("--max-message"));
  if (*max_message < 16) return cli::usage_error("--max-message: expected 16 bytes or more");
  if (queue > history) {
    return cli::usage_error("--client-queue " + std::to_string(queue) + " is more than --history " +
                            std::to_string(history));
  }
  o.history = static_cast<size_t>(history);
  o.client_queue = static_cast<size_t>(queue);
  o.max_message = static_cast<size_t>(*max_message);
  std::string slow;
  if (!a.choice("slow-client", &slow, &rc)) return rc;
  o.slow = slow == "close"         ? relay::SlowClient::kClose
           : slow == "drop-oldest" ? relay::SlowClient::kDropOldest
                                   : relay::SlowClient::kCatchUp;
  auto ping = parse_duration_ms(a.value("ping-interval"));
  if (!ping.ok()) return cli::fail(ping.status().With("--ping-interval"));
  if (*ping < 1000 || *ping > 3600 * 1000) {
    return cli::usage_error("--ping-interval '" + a.value("ping-interval") +
                            "': expected 1s to 1h");
  }
  o.ping_interval_s = static_cast<int>(*ping / 1000);
  auto timeout = parse_duration_ms(a.value("timeout"));
  if (!timeout.ok()) return cli::fail(timeout.status().With("--timeout"));
  o.timeout = Millis(*timeout);
  o.allow_origins = a.values("allow-origin");
  o.compress = a.has("compress");
  const std::string maxc = a.value("max-connections");
  int64_t max_connections = 0;
  if (auto [end, ec] = std::from_chars(maxc.data(), maxc.data() + maxc.size(), max_connections);
      ec != std::errc() || end != maxc.data() + maxc.size() || max_connections < 0) {
    return cli::usage_error("--max-connections '" + maxc + "': expected a whole number, 0 or more");
  }
  o.max_connections = static_cast<size_t>(max_connections);
  if (a.has("cert") != a.has("key")) {
    return cli::usage_error(a.has("cert") ? "--cert needs --key" : "--key needs --cert");
  }
  if (a.has("cert")) {
    for (const char* flag : {"cert", "key"}) {
      if (auto pem = read_flag_file(a, flag); !pem.ok()) return cli::fail(pem.status());
    }
    o.cert_file = a.value("cert");
    o.key_file = a.value("key");
  }

  if (a.has("jwt-secret-file") || a.has("jwt-public-key")) {
    auto jwt = std::make_shared<JwtVerifier>();
    if (a.has("jwt-secret-file")) {
      auto read = read_flag_file(a, "jwt-secret-file");
      if (!read.ok()) return cli::fail(read.status());
      std::string secret = std::move(*read);
      if (!secret.empty() && secret.back() == '\n') secret.pop_back();
      if (secret.empty()) {
        return cli::fail(Status::Config("--jwt-secret-file '" + a.value("jwt-secret-file") +
                                        "': the secret is empty"));
      }
      jwt->set_hs256_secret(std::move(secret));
    }
    if (a.has("jwt-public-key")) {
      auto pem = read_flag_file(a, "jwt-public-key");
      if (!pem.ok()) return cli::fail(pem.status());
      Status st = jwt->set_rs256_public_key(*pem);
      if (!st.ok()) {
        return cli::fail(Status::Config(st.message())
                             .With("--jwt-public-key '" + a.value("jwt-public-key") + "'"));
      }
    }
    if (a.has("topics-claim")) jwt->set_topics_claim(a.value("topics-claim"));
    if (a.has("jwt-audience")) jwt->set_audience(a.value("jwt-audience"));
    if (a.has("jwt-issuer")) jwt->set_issuer(a.value("jwt-issuer"));
    o.jwt = std::move(jwt);
  } else {
    for (const char* flag : {"topics-claim", "jwt-audience", "jwt-issuer", "auth-timeout"}) {
      if (a.has(flag)) {
        return cli::usage_error(std::string("--") + flag +
                                " needs --jwt-secret-file or --jwt-public-key");
      }
    }
  }
  auto auth_timeout = parse_duration_ms(a.value("auth-timeout"));
  if (!auth_timeout.ok()) return cli::fail(auth_timeout.status().With("--auth-timeout"));
  if (*auth_timeout < 1000 || *auth_timeout > 3600 * 1000) {
    return cli::usage_error("--auth-timeout '" + a.value("auth-timeout") + "': expected 1s to 1h");
  }
  o.auth_timeout_s = static_cast<int>(*auth_timeout / 1000);

  raise_open_files_limit();
  install_stop_handlers();
  Status st = relay::run_relay(o);
  if (!st.ok()) return cli::fail(st);
  return 0;
}
