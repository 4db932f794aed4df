// Sending one event to an HTTP endpoint (trigger --webhook), the Standard
// Webhooks way: every request carries `webhook-id` (stable across retries,
// so receivers can deduplicate), `webhook-timestamp` (seconds since the
// epoch) and, with a secret, `webhook-signature: v1,<base64 HMAC-SHA256 of
// "id.timestamp.body">` keyed by the base64-decoded part after `whsec_`.
// The body goes with a Content-Length (never chunked).
//
// A WebhookClient keeps one libcurl easy handle, run by a curl multi handle.
// Clients may share one multi handle (the lanes of a trigger rule: it runs
// all their requests at once, over one pool of kept-alive connections); a
// request in flight is aborted at once when its caller stops
// (WebhookOptions::stop). A client only sends and classifies the answer; retrying is the caller's
// (it knows the backoff and the dead-letter stream). Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice {

struct WebhookOptions {
  std::string url;
  std::string method = "POST";
  std::vector<std::string> headers;          // "Name: value", added to every request
  std::string secret;                        // "whsec_BASE64" or empty: no signature
  std::chrono::milliseconds timeout{30000};  // per request, connect included
  // Asked while a request runs (every 20 ms): true aborts it
  // (Kind::kStopped). Called on the sending thread.
  std::function<bool()> stop;
};

struct WebhookResult {
  enum class Kind {
    kDelivered,  // 2xx
    kRetry,      // 5xx, 429, 408, or a network error/timeout: try again later
    kRejected,   // any other status: retrying will not help
    kGone,       // 410: the endpoint is gone for good
    kStopped,    // aborted by WebhookOptions::stop: not known to be delivered
  };
  Kind kind = Kind::kRetry;
  long status = 0;                            // HTTP status, 0 on a network error
  std::string error;                          // "HTTP 503" or curl's message
  std::chrono::milliseconds retry_after{-1};  // from Retry-After, -1: none
};

class WebhookClient {
 public:
  // Checks the options (URL scheme, secret) and sets up the handle;
  // kInvalidArgument naming what is wrong.
  static Result<std::unique_ptr<WebhookClient>> Create(WebhookOptions options);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // Sends `body` with webhook-id `id` and the current time.
  WebhookResult send(std::string_view id, std::string_view body);
  // The same at a given timestamp (seconds), for tests.
  WebhookResult send_at(std::string_view id, int64_t timestamp_s, std::string_view body);
  // From now on this client's requests run in `other`'s transport (one
  // multi handle, one connection pool). Not while a request runs.
  void share_connections_with(const WebhookClient& other);

 private:
  struct Impl;
  explicit WebhookClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>".
std::string webhook_signature(std::string_view key, std::string_view id, int64_t timestamp_s,
                              std::string_view body);
// The key of a "whsec_BASE64" secret; kInvalidArgument when malformed.
Result<std::string> decode_webhook_secret(std::string_view secret);
// Retry-After as seconds ("120") or an HTTP date ("Wed, 21 Oct 2026
// 07:28:00 GMT"), relative to `now_s`; -1 ms when it cannot be read.
std::chrono::milliseconds parse_retry_after(std::string_view value, int64_t now_s);

}  // namespace sluice
