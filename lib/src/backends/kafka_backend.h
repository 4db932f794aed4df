// The Kafka backend (`kafka://H1:P1,H2:P2/T1[,T2...]?prop=value`), built on
// librdkafka. Query parameters and SLUICE_KAFKA_* environment variables are
// librdkafka properties, so SASL, TLS, compression and acks are all reachable;
// secrets among them never reach a message or a log line.
//
// Producer: acks=all + idempotence, throughput batching and the
// Java-compatible murmur2 partitioner by default (each overridable). Tickets
// map to delivery reports; acknowledged() is the watermark of contiguous
// finished tickets, since reports arrive out of order across partitions.
//
// Consumer: several topics, a start position per partition, an optional
// consumer group committing only what the sink marked taken, and end-of-stream
// detection over every assigned partition (also with a group).
//
// Thread safety: as backend.h (one thread at a time). librdkafka's internal
// threads only touch the small, synchronised KafkaContext (log masking and
// the last connection error); every other callback runs on the polling thread.
//
// The kafka namespace holds the pure pieces (watermark, property building,
// masking, start offsets) so unit tests reach them without a broker.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/backend.h"

namespace sluice {

Result<std::unique_ptr<Producer>> open_kafka_producer(const StreamUri& uri,
                                                      const ProducerOptions& o);
Result<std::unique_ptr<Consumer>> open_kafka_consumer(const StreamUri& uri,
                                                      const ConsumerOptions& o);
// `cluster` may name topics (describe then defaults to them) or none.
Result<std::unique_ptr<Admin>> open_kafka_admin(const StreamUri& cluster);

namespace kafka {

// ----------------------------------------------------------------- tickets

// Tickets 1, 2, 3... are issued in order and finished in any order;
// acknowledged() is the highest T with every ticket <= T finished. Memory is
// one byte per outstanding ticket (a ring that grows), nothing per finished
// one. Not thread-safe.
class TicketWatermark {
 public:
  uint64_t issue();  // the next ticket
  // Marks `ticket` finished; false if it was never issued or already done.
  bool finish(uint64_t ticket);
  uint64_t acknowledged() const { return acked_; }
  uint64_t last_issued() const { return next_ - 1; }
  uint64_t outstanding() const { return next_ - 1 - acked_; }

 private:
  void grow();
  std::vector<uint8_t> ring_;  // done flags of tickets acked_+1 .. next_-1
  size_t head_ = 0;            // ring index of ticket acked_+1
  uint64_t acked_ = 0;
  uint64_t next_ = 1;
};

// ------------------------------------------------------------- properties

enum class Role { kProducer, kConsumer, kAdmin };

using Properties = std::vector<std::pair<std::string, std::string>>;

// sluice's defaults for `role` (before the environment and the URI).
Properties default_properties(Role role);

// SLUICE_KAFKA_SASL_PASSWORD=x -> {"sasl.password", "x"}: every variable of
// `envp` (a NULL-terminated environ array) named SLUICE_KAFKA_<PROP>, with
// the property lowercased and '_' turned into '.'.
Properties env_properties(const char* const* envp);

// The full property list for `role`, later entries winning: defaults, then
// the environment, then the URI's query parameters; bootstrap.servers comes
// from the URI's hosts. `extra` (the tool's options, e.g. group.id) go last.
Properties build_properties(const StreamUri& uri, Role role, const Properties& env,
                            const Properties& extra);

// A consumer's identity, for build_properties()' `extra`: group.id (the
// group, or a name private to this process without one: librdkafka's
// assign() needs a group handle) and, for --consumer NAME, client.id (what
// kafka-consumer-groups --describe shows as CLIENT-ID; not static
// membership, which is ?group.instance.id=).
Properties consumer_identity(const ConsumerOptions& o);

// True for property names whose values are secrets (anything containing
// "password" or "secret", and sasl.oauthbearer.config / ssl key material).
bool is_secret_property(std::string_view name);

// `text` with every secret value of `props` replaced by "***".
std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets);
std::vector<std::string> secret_values(const Properties& props);

// ------------------------------------------------------- start positions

// The first offset to read in a partition whose retained messages are
// [low, high) for `from` (kTime: `time_offset` is the broker's answer to
// offsets-for-times, -1 = no message that new, so start at the end).
int64_t start_offset(const StartPosition& from, int64_t low, int64_t high,
                     int64_t time_offset = -1);
// auto.offset.reset for a consumer starting at `from` when an offset is
// missing or out of range.
const char* auto_offset_reset(const StartPosition& from);

// ------------------------------------------------------------ C handles

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

// State shared with librdkafka's threads through the handle's opaque: the
// secrets to mask in log lines and the last connection-level error. Owned
// by the backend object and outlives its rd_kafka_t. Thread-safe.
class KafkaContext {
 public:
  KafkaContext(const StreamUri& uri, std::vector<std::string> secrets)
      : uri_(uri), secrets_(std::move(secrets)) {}
  KafkaContext(const KafkaContext&) = delete;
  KafkaContext& operator=(const KafkaContext&) = delete;

  // Library log lines go to sluice::warn() unless quiet (while opening, when
  // the open step reports the failure itself in one clear message).
  void set_quiet(bool quiet) { quiet_ = quiet; }
  std::string mask(std::string_view text) const { return mask_secrets(text, secrets_); }
  void on_log(int level, const char* fac, const char* buf);
  void on_error(int err, const char* reason);

  // The backend object this context belongs to, for callbacks that need it
  // (delivery reports, rebalances); they run on the polling thread.
  void set_owner(void* owner) { owner_ = owner; }
  void* owner() const { return owner_; }

  // The brokers as the user wrote them ("h1:9092,h2:9092").
  std::string brokers() const;
  bool all_brokers_down() const { return all_down_; }
  std::string last_error() const;
  // "cannot reach kafka broker(s) 'h:p': <why> (is it running?)", or,
  // when the brokers answered but refused the login (SASL), kPermission
  // naming the credentials to check.
  Status unreachable(std::string_view why) const;

 private:
  StreamUri uri_;
  std::vector<std::string> secrets_;
  void* owner_ = nullptr;
  std::atomic<bool> quiet_{false};
  std::atomic<bool> all_down_{false};
  std::atomic<bool> auth_failed_{false};
  mutable std::mutex mu_;
  std::string last_error_;  // guarded by mu_
};

// Builds a handle of `type` from `props`, wiring log and error callbacks to
// `ctx`. `customize` (may be null) adds role callbacks to the conf before
// the handle is made. Unknown or invalid properties are kConfig naming the
// property; secrets are masked in every message.
Result<HandlePtr> make_handle(rd_kafka_type_t type, const Properties& props, KafkaContext* ctx,
                              void (*customize)(rd_kafka_conf_t*, void*), void* customize_arg);

// Waits up to `timeout` for broker metadata (topics `topics`, or just the
// brokers when empty) and fails fast with kUnavailable once every broker is
// known to be down. Serves the handle's callbacks with rd_kafka_poll, so call
// it before redirecting the main queue to a consumer queue.
Result<MetadataPtr> wait_for_metadata(rd_kafka_t* rk, KafkaContext& ctx,
                                      rd_kafka_topic_t* only_topic, bool all_topics,
                                      Millis timeout);

// Maps a librdkafka error to a Status code and a lowercase message.
Status status_from(rd_kafka_resp_err_t err, std::string_view context);

// True for topic names the broker could accept (sluice routes per table with
// `{...}` placeholders; those are expanded before they reach this backend).
bool is_valid_topic_name(std::string_view name);

}  // namespace kafka
}  // namespace sluice
