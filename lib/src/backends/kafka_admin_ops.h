// Synchronous wrappers over librdkafka's Admin API for KafkaAdmin (streams
// create, rm, reset, trim, config and the members in show): each sends one
// request, waits for its result and turns broker errors into Status values
// that name the topic or group.
//
// A cluster without the request (librdkafka's mock cluster lacks
// CreateTopics, DeleteTopics, DeleteRecords, DescribeConfigs, AlterConfigs
// ListGroups and DescribeGroups) gets kInvalidArgument "kafka cluster 'H:P' cannot
// ...: the broker does not support REQUEST", never a made-up result.
//
// Thread safety: as the rd_kafka_t handle passed in (librdkafka's admin
// calls are thread-safe); each call uses a queue of its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backends/kafka_backend.h"

namespace sluice::kafka {

// What the ops need of the admin client: the handle and the brokers as the
// user wrote them (for messages).
struct AdminTarget {
  rd_kafka_t* rk = nullptr;
  std::string brokers;
  Millis timeout{10000};
  // A broker to send DescribeConfigs to (any broker answers it for topics;
  // naming one spares the wait for a controller, which librdkafka's mock
  // cluster never names); -1 = let librdkafka choose.
  int32_t broker_id = -1;
};

// CreateTopics: `topic` with opts.shards partitions, the replication factor
// (-1: broker default) and retention.ms / retention.bytes / segment.bytes
// where set. kInvalidArgument when it exists.
Status create_topic(const AdminTarget& t, const std::string& topic, const CreateOptions& opts);

// DeleteTopics: `topic`; kNotFound when it does not exist.
Status delete_topic(const AdminTarget& t, const std::string& topic);

// A consumer group as DescribeGroups tells it.
struct GroupDescription {
  std::string state;                // "Stable", "Empty", "Dead", ...
  bool dead = false;                // no such group (the broker describes it as Dead)
  std::vector<MemberInfo> members;  // name: "client.id@host (member id)"
};

// The members and state of one listed group.
GroupDescription group_description(const rd_kafka_group_info& g);

// DescribeGroups of `group` (rd_kafka_list_groups: librdkafka 2.0's
// DescribeConsumerGroups hangs rd_kafka_destroy() after a cluster refused
// it, as the mock does); std::nullopt when the cluster cannot describe
// groups.
Result<std::optional<GroupDescription>> describe_group(const AdminTarget& t,
                                                       const std::string& group);

// ListConsumerGroupOffsets: `group`'s committed offset of each of the
// `partitions` partitions of `topic` (index = partition), -1 = none.
Result<std::vector<int64_t>> committed_offsets(const AdminTarget& t, const std::string& group,
                                               const std::string& topic, int32_t partitions);

// AlterConsumerGroupOffsets: `group` commits offsets[p] on partition p of
// `topic`. kTryAgain when the broker refuses because the group has members
// (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, or
// "group subscribed to topic"): Kafka alters only inactive groups.
Status alter_group_offsets(const AdminTarget& t, const std::string& group, const std::string& topic,
                           const std::vector<int64_t>& offsets);

// DeleteRecords: drops the records of partition p of `topic` below
// before[p] (skipped when -1). Returns each partition's low watermark after
// (-1 for the skipped ones).
Result<std::vector<int64_t>> delete_records(const AdminTarget& t, const std::string& topic,
                                            const std::vector<int64_t>& before);

// DescribeConfigs then AlterConfigs of `topic`: the other dynamic topic
// configs are sent back unchanged (AlterConfigs replaces the whole set).
Status alter_retention(const AdminTarget& t, const std::string& topic,
                       const RetentionChange& change);

// A topic's retention as DescribeConfigs tells it; -1 = unlimited.
struct TopicRetention {
  int64_t ms = -1;
  int64_t bytes = -1;
};

// DescribeConfigs of `topics` in one request: each topic's retention.ms
// and retention.bytes, in the order of `topics`.
Result<std::vector<TopicRetention>> describe_retention(const AdminTarget& t,
                                                       const std::vector<std::string>& topics);

// The offset of the first record at or after `ts_ms` of each of the
// `partitions` partitions of `topic` (ListOffsets by time); -1 where there
// is none.
Result<std::vector<int64_t>> offsets_for_time(const AdminTarget& t, const std::string& topic,
                                              int32_t partitions, int64_t ts_ms);

}  // namespace sluice::kafka
