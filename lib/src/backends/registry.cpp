// Dispatch from a StreamUri's scheme to the backend that serves it. This is
// the only place that knows the list of backends.
#include "backends/file_backend.h"
#include "backends/kafka_backend.h"
#include "backends/redis_backend.h"
#include "backends/stdio_backend.h"
#include "sluice/backend.h"

namespace sluice {
namespace {
Status not_built(const StreamUri& uri) {
  return Status::Unavailable("the " + std::string(scheme_name(uri.scheme)) +
                             ":// backend is not part of this build yet ('" + uri.redacted() +
                             "')");
}
}  // namespace

Result<std::unique_ptr<Producer>> open_producer(const StreamUri& uri, const ProducerOptions& opts) {
  switch (uri.scheme) {
    case Scheme::kFile:
      return open_file_producer(uri, opts);
    case Scheme::kKafka:
      return open_kafka_producer(uri, opts);
    case Scheme::kStdio:
      return open_stdio_producer(uri, opts);
    case Scheme::kRedis:
    case Scheme::kRediss:
      return open_redis_producer(uri, opts);
    default:
      return not_built(uri);
  }
}

Result<std::unique_ptr<Consumer>> open_consumer(const StreamUri& uri, const ConsumerOptions& opts) {
  const bool redis = uri.scheme == Scheme::kRedis || uri.scheme == Scheme::kRediss;
  if (!opts.from.id.empty() && !redis) {
    return Status::InvalidArgument(
        "start position '" + opts.from.id + "' is a redis entry id (MS-N), but '" + uri.redacted() +
        "' is not a redis stream: give a sequence number there (as %o prints)");
  }
  switch (uri.scheme) {
    case Scheme::kFile:
      return open_file_consumer(uri, opts);
    case Scheme::kKafka:
      return open_kafka_consumer(uri, opts);
    case Scheme::kStdio:
      return open_stdio_consumer(uri, opts);
    case Scheme::kRedis:
    case Scheme::kRediss:
      return open_redis_consumer(uri, opts);
    default:
      return not_built(uri);
  }
}

// What a backend without the operation answers.
Status Admin::create(const std::string&, const CreateOptions&) {
  return Status::InvalidArgument("creating streams is not available on this backend yet");
}
Status Admin::remove(const std::string&) {
  return Status::InvalidArgument("removing streams is not available on this backend yet");
}
Result<std::vector<ShardReset>> Admin::reset_group(const std::string&, const std::string&,
                                                   const StartPosition&, bool, bool) {
  return Status::InvalidArgument("resetting groups is not available on this backend yet");
}
Result<CheckReport> Admin::check(const std::string&) {
  return Status::InvalidArgument(
      "checking records is a file: log operation (brokers check their own storage)");
}
Result<std::vector<ShardTrim>> Admin::trim(const std::string&, const StartPosition&) {
  return Status::InvalidArgument("trimming streams is not available on this backend");
}
Status Admin::configure(const std::string&, const RetentionChange&) {
  return Status::InvalidArgument("changing the retention is not available on this backend");
}

Result<std::unique_ptr<Admin>> open_admin(const StreamUri& cluster) {
  switch (cluster.scheme) {
    case Scheme::kFile:
      return open_file_admin(cluster);
    case Scheme::kKafka:
      return open_kafka_admin(cluster);
    case Scheme::kRedis:
    case Scheme::kRediss:
      return open_redis_admin(cluster);
    default:
      return not_built(cluster);
  }
}

}  // namespace sluice
