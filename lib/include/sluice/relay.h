// relay-ws: a WebSocket gateway that relays streams to many clients
// (DESIGN.md section 4; the protocol is in sluice/relay_protocol.h).
//
// One libwebsockets service thread on a libuv loop owns every client, topic
// ring and subscription. Source threads (one per SOURCE) and catch-up
// readers (one per subscription that reads the backend log) hand messages
// to it only through a locked queue and lws_cancel_service().
//
// run_relay() returns after a stop signal (SIGINT/SIGTERM, installed with
// install_stop_handlers()): every client gets a close frame with code 1001
// first. It returns an error when the server cannot start (the port is
// taken: kUnavailable) or a source fails for good.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/backend.h"
#include "sluice/jwt.h"
#include "sluice/status.h"

namespace sluice::relay {

enum class SlowClient { kCatchUp, kDropOldest, kClose };

// Close codes the relay sends (documented in sluice-relay-ws(1)).
enum CloseCode : int {
  kCloseGoingAway = 1001,        // server shutting down
  kClosePolicy = 1008,           // slow client under --slow-client close
  kCloseTooBig = 1009,           // a client message above --max-message
  kCloseAuthMissing = 4401,      // no token where one is needed
  kCloseAuthMalformed = 4400,    // token is not a JWT
  kCloseAuthAlgorithm = 4405,    // alg none or not configured
  kCloseAuthSignature = 4402,    // signature does not verify
  kCloseAuthExpired = 4408,      // exp past
  kCloseAuthNotYetValid = 4409,  // nbf in the future
  kCloseAuthClaim = 4410,        // the topics claim is not a list
  kCloseForbiddenTopic = 4403,   // subscribe to a topic the token does not allow
  kCloseAuthAudience = 4406,     // aud does not name --jwt-audience
  kCloseAuthIssuer = 4407,       // iss is not --jwt-issuer
  kCloseAuthTimeout = 4411,      // no token within --auth-timeout
};

// Close codes of the graphql-transport-ws protocol (subprotocol
// graphql-transport-ws), sent to GraphQL clients instead of the above.
enum GraphqlCloseCode : int {
  kCloseGraphqlBadMessage = 4400,        // a message the protocol does not allow
  kCloseGraphqlUnauthorized = 4401,      // subscribe before connection_ack
  kCloseGraphqlForbidden = 4403,         // a refused or missing token
  kCloseGraphqlInitTimeout = 4408,       // no connection_init in time
  kCloseGraphqlSubscriberExists = 4409,  // subscribe with an id in use
  kCloseGraphqlTooManyInits = 4429,      // a second connection_init
};

// Seconds a GraphQL client has to send connection_init.
constexpr int kGraphqlInitTimeoutS = 10;

struct RelayOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<StreamUri> streams;  // sources with a backend log
  bool read_stdin = false;         // "-" was given
  std::string stdin_topic = "stdin";
  bool envelope = false;  // stdin lines are envelopes, each on its stream
  size_t history = 10000;
  size_t client_queue = 1000;
  SlowClient slow = SlowClient::kCatchUp;
  int ping_interval_s = 30;  // idle this long: ping; twice as long: hang up
  size_t max_message = 65536;
  std::vector<std::string> allow_origins;  // empty: any
  std::shared_ptr<const JwtVerifier> jwt;  // null: no auth
  Millis timeout{30000};                   // reaching a backend
  std::string cert_file;                   // TLS: PEM certificate chain (empty: plain)
  std::string key_file;                    // TLS: its PEM private key
  bool compress = false;                   // offer permessage-deflate
  size_t max_connections = 0;              // WebSocket clients at once (0: no limit)
  int auth_timeout_s = 10;                 // with jwt: a token within this long
};

Status run_relay(const RelayOptions& opts);

}  // namespace sluice::relay
