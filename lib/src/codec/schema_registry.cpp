// The schema registry client (libcurl) and the Avro record codecs.
#include "sluice/schema_registry.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <cstdlib>
#include <mutex>

#include "sluice/env.h"
#include "sluice/envelope.h"

namespace sluice {

namespace {

constexpr long kConnectTimeoutMs = 5000;
constexpr long kRequestTimeoutMs = 15000;

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Userinfo is percent-encoded in a URL (a password may hold '@' or ':').
std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The registry's error body: {"error_code":40403,"message":"Schema not found"}.
std::string registry_message(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view msg;
  if (!parser.parse(body).get(doc) && !doc["message"].get(msg)) return std::string(msg);
  std::string text = body.substr(0, 200);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

}  // namespace

Result<std::unique_ptr<SchemaRegistry>> SchemaRegistry::Open(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const std::string_view scheme =
      scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("schema registry URL '" + std::string(url.substr(0, 80)) +
                                   "': expected http://HOST[:PORT] or https://HOST[:PORT]");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t authority_end = std::min(rest.find('/'), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = rest.substr(authority_end);
  std::unique_ptr<SchemaRegistry> r(new SchemaRegistry());
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    r->user_ = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) r->password_ = percent_decode(userinfo.substr(colon + 1));
  }
  if (authority.empty()) {
    return Status::InvalidArgument("schema registry URL '" + std::string(scheme) +
                                   "://...': no host");
  }
  if (r->user_.empty()) {
    if (const char* u = std::getenv("SLUICE_REGISTRY_USER")) r->user_ = u;
    if (const char* p = std::getenv("SLUICE_REGISTRY_PASSWORD")) r->password_ = p;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  r->base_ = std::string(scheme) + "://" + std::string(authority) + std::string(path);
  r->display_url_ = r->base_;

  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  r->curl_ = curl_easy_init();
  if (!r->curl_) return Status::Internal("cannot start libcurl");
  return r;
}

SchemaRegistry::~SchemaRegistry() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Status SchemaRegistry::call(const std::string& path, const std::string* post_body,
                            long* http_status, std::string* body) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);  // keeps the connection: requests reuse it
  const std::string url = base_ + path;
  char errbuf[CURL_ERROR_SIZE] = {};
  body->clear();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kRequestTimeoutMs);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  if (!user_.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, user_.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password_.c_str());
  }
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/vnd.schemaregistry.v1+json");
  if (post_body) {
    headers = curl_slist_append(headers, "Content-Type: application/vnd.schemaregistry.v1+json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return Status::Unavailable("cannot reach the schema registry '" + display_url_ + "': " + why +
                               " (is it running?)");
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
  return Status::Ok();
}

Status SchemaRegistry::http_error(long http_status, const std::string& body,
                                  const std::string& what) const {
  std::string msg = "schema registry '" + display_url_ + "': " + what + ": HTTP " +
                    std::to_string(http_status) + " " + registry_message(body);
  if (http_status == 401 || http_status == 403) {
    return Status::PermissionDenied(msg + " (check the credentials in the URL or " +
                                    "SLUICE_REGISTRY_USER/SLUICE_REGISTRY_PASSWORD)");
  }
  if (http_status == 404) return Status::NotFound(msg);
  if (http_status == 409 || http_status == 422) return Status::BadData(msg);
  return Status::Unavailable(msg);
}

Result<const AvroSchema*> SchemaRegistry::schema_by_id(int32_t id) {
  if (auto it = cache_.find(id); it != cache_.end()) {
    if (!it->second.ok()) return it->second.status();
    return &*it->second;
  }
  long http = 0;
  std::string body;
  SLUICE_RETURN_IF_ERROR(call("/schemas/ids/" + std::to_string(id), nullptr, &http, &body));
  if (http == 404) {
    Status st = Status::BadData("schema id " + std::to_string(id) +
                                " is not known to the schema registry '" + display_url_ + "'");
    cache_.emplace(id, st);
    return st;
  }
  if (http != 200) return http_error(http, body, "schema id " + std::to_string(id));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view text;
  if (parser.parse(body).get(doc) || doc["schema"].get(text)) {
    return Status::Unavailable("schema registry '" + display_url_ + "': schema id " +
                               std::to_string(id) + ": the answer has no \"schema\" string");
  }
  auto schema = AvroSchema::Parse(text);
  if (!schema.ok()) {
    Status st =
        Status::BadData("schema id " + std::to_string(id) + ": " + schema.status().message());
    cache_.emplace(id, st);
    return st;
  }
  auto [it, inserted] = cache_.emplace(id, std::move(*schema));
  return &*it->second;
}

Result<int32_t> SchemaRegistry::register_schema(std::string_view subject, std::string_view schema) {
  std::string post = "{\"schema\":";
  append_json_string(schema, post);
  post += "}";
  long http = 0;
  std::string body;
  SLUICE_RETURN_IF_ERROR(
      call("/subjects/" + std::string(subject) + "/versions", &post, &http, &body));
  const std::string what = "registering the schema under subject '" + std::string(subject) + "'";
  if (http != 200) {
    Status st = http_error(http, body, what);
    return st.is(StatusCode::kBadData) ? Status::Config(st.message()) : st;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  int64_t id = 0;
  if (parser.parse(body).get(doc) || doc["id"].get(id)) {
    return Status::Unavailable("schema registry '" + display_url_ + "': " + what +
                               ": the answer has no \"id\"");
  }
  return static_cast<int32_t>(id);
}

Result<std::pair<int32_t, std::string>> SchemaRegistry::latest(std::string_view subject) {
  long http = 0;
  std::string body;
  SLUICE_RETURN_IF_ERROR(
      call("/subjects/" + std::string(subject) + "/versions/latest", nullptr, &http, &body));
  const std::string what = "subject '" + std::string(subject) + "'";
  if (http == 404) {
    return Status::NotFound("schema registry '" + display_url_ + "': " + what +
                            " has no schema (register one: --schema FILE)");
  }
  if (http != 200) return http_error(http, body, what);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  int64_t id = 0;
  std::string_view text;
  if (parser.parse(body).get(doc) || doc["id"].get(id) || doc["schema"].get(text)) {
    return Status::Unavailable("schema registry '" + display_url_ + "': " + what +
                               ": the answer has no \"id\" and \"schema\"");
  }
  return std::make_pair(static_cast<int32_t>(id), std::string(text));
}

// ------------------------------------------------------------ record codecs

Result<AvroSchema> read_avro_schema(const std::string& path) {
  auto text = Env::Default()->read_file(path);
  if (!text.ok()) return text.status();
  auto schema = AvroSchema::Parse(*text);
  if (!schema.ok()) return Status::Config(path + ": " + schema.status().message());
  return schema;
}

AvroRecordDecoder::AvroRecordDecoder(SchemaRegistry* registry,
                                     std::optional<AvroSchema> plain_schema, bool values, bool keys)
    : registry_(registry), plain_(std::move(plain_schema)), values_(values), keys_(keys) {}

Status AvroRecordDecoder::decode_one(std::string_view framed, std::string& out, const char* what) {
  out.clear();
  if (plain_ && std::string_view(what) == "value") {
    Status st = plain_->to_json(framed, out);
    return st.ok() ? st : st.With(what);
  }
  auto id = parse_confluent_header(framed);
  if (!id.ok()) return id.status().With(what);
  auto schema = registry_->schema_by_id(*id);
  if (!schema.ok()) {
    return schema.status().is(StatusCode::kBadData) ? schema.status().With(what) : schema.status();
  }
  Status st = (*schema)->to_json(framed.substr(kConfluentHeaderBytes), out);
  return st.ok() ? st : st.With(std::string(what) + " (schema id " + std::to_string(*id) + ")");
}

Status AvroRecordDecoder::decode(const Message& in, Message& out) {
  out = in;
  if (values_ && in.payload) {
    SLUICE_RETURN_IF_ERROR(decode_one(*in.payload, value_buf_, "value"));
    out.payload = value_buf_;
  }
  if (keys_ && in.key) {
    SLUICE_RETURN_IF_ERROR(decode_one(*in.key, key_buf_, "key"));
    out.key = key_buf_;
  }
  return Status::Ok();
}

AvroRecordEncoder::AvroRecordEncoder(AvroSchema schema, std::optional<int32_t> schema_id)
    : schema_(std::move(schema)), id_(schema_id) {}

Status AvroRecordEncoder::encode(std::string_view json, std::string& out) {
  if (id_) append_confluent_header(*id_, out);
  return schema_.from_json(json, out);
}

}  // namespace sluice
