// WebhookClient: one libcurl easy handle, run by a WebhookTransport (a
// multi handle) that the lanes of a rule share (see sluice/webhook.h).
#include "sluice/webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstring>
#include <ctime>
#include <mutex>

#include "core/civil_time.h"
#include "sluice/envelope.h"
#include "trigger/webhook_transport.h"

namespace sluice {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

int64_t now_seconds() {
  return static_cast<int64_t>(std::time(nullptr));
}

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

}  // namespace

struct WebhookClient::Impl {
  WebhookOptions opts;
  std::string key;  // decoded secret
  // The multi handle, shared by the lanes of a rule; it outlives the
  // requests of this client (each waits for its end).
  std::shared_ptr<WebhookTransport> transport;
  std::unique_ptr<CURL, CurlDeleter> curl;
  std::string retry_after;  // the last response's Retry-After value
  std::string error_buf = std::string(CURL_ERROR_SIZE, '\0');

  static size_t on_header(char* data, size_t size, size_t n, void* self) {
    auto* impl = static_cast<Impl*>(self);
    std::string_view line(data, size * n);
    if (iequals_prefix(line, "retry-after:")) {
      line.remove_prefix(12);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
        line.remove_prefix(1);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
        line.remove_suffix(1);
      impl->retry_after.assign(line);
    }
    return size * n;
  }
};

Result<std::string> decode_webhook_secret(std::string_view secret) {
  if (secret.substr(0, 6) != "whsec_") {
    return Status::InvalidArgument("expected a secret of the form whsec_BASE64");
  }
  std::string key;
  if (!decode_base64(secret.substr(6), key) || key.empty()) {
    return Status::InvalidArgument("the part after whsec_ is not base64");
  }
  return key;
}

std::string webhook_signature(std::string_view key, std::string_view id, int64_t timestamp_s,
                              std::string_view body) {
  std::string content(id);
  content += '.';
  content += std::to_string(timestamp_s);
  content += '.';
  content += body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  std::string out = "v1,";
  append_base64(std::string_view(reinterpret_cast<const char*>(mac), len), out);
  return out;
}

std::chrono::milliseconds parse_retry_after(std::string_view v, int64_t now_s) {
  using std::chrono::milliseconds;
  if (v.empty()) return milliseconds(-1);
  if (v.find_first_not_of("0123456789") == std::string_view::npos && v.size() < 10) {
    return milliseconds(std::stoll(std::string(v)) * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char mon[4] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  const std::string s(v);
  if (std::sscanf(s.c_str(), "%*3s, %d %3s %d %d:%d:%d GMT", &day, mon, &year, &hh, &mm, &ss) !=
      6) {
    return milliseconds(-1);
  }
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (std::strcmp(mon, kMonths[i]) == 0) month = i + 1;
  }
  if (month == 0 || day < 1 || day > 31) return milliseconds(-1);
  const int64_t at =
      days_from_civil(year, month, static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
  return milliseconds(std::max<int64_t>(0, at - now_s) * 1000);
}

Result<std::unique_ptr<WebhookClient>> WebhookClient::Create(WebhookOptions options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("'" + options.url + "': expected an http:// or https:// URL");
  }
  auto impl = std::make_unique<Impl>();
  if (!options.secret.empty()) {
    auto key = decode_webhook_secret(options.secret);
    if (!key.ok()) return key.status();
    impl->key = std::move(*key);
  }
  impl->transport = std::make_shared<WebhookTransport>();
  impl->curl.reset(curl_easy_init());
  if (!impl->curl || !impl->transport->ok()) return Status::Internal("curl_easy_init failed");
  impl->opts = std::move(options);
  return std::unique_ptr<WebhookClient>(new WebhookClient(std::move(impl)));
}

WebhookClient::WebhookClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookClient::~WebhookClient() = default;

void WebhookClient::share_connections_with(const WebhookClient& other) {
  impl_->transport = other.impl_->transport;
}

WebhookResult WebhookClient::send(std::string_view id, std::string_view body) {
  return send_at(id, now_seconds(), body);
}

WebhookResult WebhookClient::send_at(std::string_view id, int64_t ts, std::string_view body) {
  Impl& m = *impl_;
  CURL* c = m.curl.get();
  curl_easy_reset(c);  // keeps the connection cache: keep-alive survives
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add("content-type: application/json");
  add("webhook-id: " + std::string(id));
  add("webhook-timestamp: " + std::to_string(ts));
  if (!m.key.empty()) add("webhook-signature: " + webhook_signature(m.key, id, ts, body));
  add("Expect:");  // no 100-continue round trip
  for (const std::string& h : m.opts.headers) add(h);
  m.retry_after.clear();
  m.error_buf.assign(CURL_ERROR_SIZE, '\0');
  curl_easy_setopt(c, CURLOPT_URL, m.opts.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.opts.method.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(m.opts.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Impl::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &m);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m.error_buf.data());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice-trigger/" SLUICE_VERSION);
  WebhookResult r;
  const CURLcode rc = m.transport->perform(c, m.opts.stop);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    r.kind = WebhookResult::Kind::kStopped;
    r.error = "aborted by a stop";
    return r;
  }
  if (rc != CURLE_OK) {
    r.kind = WebhookResult::Kind::kRetry;
    r.error = m.error_buf.c_str()[0] ? std::string(m.error_buf.c_str()) : curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.error = "HTTP " + std::to_string(r.status);
  r.retry_after = parse_retry_after(m.retry_after, now_seconds());
  if (r.status >= 200 && r.status < 300) {
    r.kind = WebhookResult::Kind::kDelivered;
  } else if (r.status == 410) {
    r.kind = WebhookResult::Kind::kGone;
  } else if (r.status >= 500 || r.status == 429 || r.status == 408) {
    r.kind = WebhookResult::Kind::kRetry;
  } else {
    r.kind = WebhookResult::Kind::kRejected;
  }
  return r;
}

}  // namespace sluice
