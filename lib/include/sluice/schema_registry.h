// A client of a Confluent-compatible schema registry (its REST API, over
// libcurl), and the Avro record codecs flux and tap build on it.
//
// The registry URL is http(s)://[USER:PASSWORD@]HOST[:PORT][/PATH]; the
// credentials may also come from SLUICE_REGISTRY_USER and
// SLUICE_REGISTRY_PASSWORD (the URL's win). They go to libcurl as HTTP basic
// auth, never into the URL it logs, and no message prints them: messages
// name display_url(), the URL without its userinfo.
//
// Errors: a schema id the registry does not know, or a record that does not
// decode, is kBadData (a bad record: --on-error applies); a registry that
// cannot be reached is kUnavailable, refused credentials kPermissionDenied:
// those end the run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/avro.h"
#include "sluice/consume.h"
#include "sluice/ingest.h"
#include "sluice/status.h"

namespace sluice {

class SchemaRegistry {
 public:
  static Result<std::unique_ptr<SchemaRegistry>> Open(std::string_view url);
  ~SchemaRegistry();
  SchemaRegistry(const SchemaRegistry&) = delete;
  SchemaRegistry& operator=(const SchemaRegistry&) = delete;

  // GET /schemas/ids/ID, once per id: later calls (and failures of the
  // kBadData kind) come from the cache.
  Result<const AvroSchema*> schema_by_id(int32_t id);
  // POST /subjects/SUBJECT/versions: the id of `schema` under `subject`,
  // registering it if it is new there.
  Result<int32_t> register_schema(std::string_view subject, std::string_view schema);
  // GET /subjects/SUBJECT/versions/latest: its id and schema text.
  Result<std::pair<int32_t, std::string>> latest(std::string_view subject);

  const std::string& display_url() const { return display_url_; }

 private:
  SchemaRegistry() = default;
  // Sends a request; *http_status and *body are set when the server answered.
  Status call(const std::string& path, const std::string* post_body, long* http_status,
              std::string* body);
  Status http_error(long http_status, const std::string& body, const std::string& what) const;

  std::string base_;         // scheme://host[:port][/path], no trailing slash
  std::string display_url_;  // the same, as messages show it
  std::string user_, password_;
  void* curl_ = nullptr;
  std::map<int32_t, Result<AvroSchema>> cache_;
};

// Reads and parses the Avro schema (JSON) in a file; errors name the file.
Result<AvroSchema> read_avro_schema(const std::string& path);

// tap --decode avro / --key-decode avro: the value and/or the key of each
// record, in the registry framing, become their Avro JSON form. With a
// plain schema (tap --schema FILE), the value is a bare Avro datum instead.
class AvroRecordDecoder : public MessageDecoder {
 public:
  AvroRecordDecoder(SchemaRegistry* registry, std::optional<AvroSchema> plain_schema, bool values,
                    bool keys);
  Status decode(const Message& in, Message& out) override;

 private:
  Status decode_one(std::string_view framed, std::string& out, const char* what);
  SchemaRegistry* registry_;  // not owned; null with a plain schema
  std::optional<AvroSchema> plain_;
  bool values_, keys_;
  std::string value_buf_, key_buf_;
};

// flux --encode avro: each JSON record becomes an Avro datum, framed with
// the schema id when the schema came from a registry.
class AvroRecordEncoder : public PayloadEncoder {
 public:
  AvroRecordEncoder(AvroSchema schema, std::optional<int32_t> schema_id);
  Status encode(std::string_view json, std::string& out) override;

 private:
  AvroSchema schema_;
  std::optional<int32_t> id_;
};

}  // namespace sluice
