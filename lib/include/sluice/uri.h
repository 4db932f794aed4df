// Stream and cluster URIs: one grammar for every tool (DESIGN.md section 2).
//
//   file:PATH  file:///abs/PATH         embedded log; PATH = CLUSTER_DIR/STREAM
//   kafka://H1:P1,H2:P2/T1[,T2...][?librdkafka.prop=value&...]
//   redis://[USER:PASS@]HOST[:PORT]/S1[,S2...][?db=N&...]   (rediss:// = TLS)
//   -  or  stdio:                      NDJSON envelopes on stdin/stdout
//
// A bare word with no scheme (`news`, `data/news`) is a file: URI. A cluster
// URI is the same without the stream part (`file:DIR`, `kafka://h:9092`).
// Stream names may hold `{db}`, `{schema}`, `{table}` placeholders, expanded
// by the tools that route per table. Parsing is pure (no I/O) and total: every
// malformed input yields kInvalidArgument with a message that names the part
// that is wrong.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/status.h"

namespace sluice {

enum class Scheme { kFile, kKafka, kRedis, kRediss, kStdio };

std::string_view scheme_name(Scheme s);  // "file", "kafka", ...

struct StreamUri {
  Scheme scheme = Scheme::kFile;
  // file: the cluster directory (parent of the stream directories), as given
  // (relative paths stay relative). Empty means the current directory.
  std::string dir;
  // kafka/redis: "host:port" entries, in the order given. Redis defaults
  // the port to 6379; Kafka requires one.
  std::vector<std::string> hosts;
  std::string user;
  std::string password;  // never printed: use redacted()
  // Stream (topic) names; empty for a cluster URI.
  std::vector<std::string> streams;
  // Query parameters in order; those sluice does not understand are passed
  // to the client library (librdkafka properties).
  std::vector<std::pair<std::string, std::string>> params;

  // The URI as text with any password replaced by "***".
  std::string redacted() const;
  // Value of query parameter `name`, or nullptr.
  const std::string* param(std::string_view name) const;
  // file: the directory of stream `name` (dir + "/" + name).
  std::string stream_path(std::string_view name) const;
};

enum class UriKind {
  kStream,   // at least one stream name is required
  kCluster,  // no stream part (a trailing stream part is an error)
  kAny,      // streams optional
};

Result<StreamUri> parse_stream_uri(std::string_view text, UriKind kind = UriKind::kStream);

}  // namespace sluice
