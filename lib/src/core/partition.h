// Key -> shard, as the Java Kafka client's default partitioner does it, so a
// key lands on the same shard number of a file: stream as on a Kafka topic
// with as many partitions (librdkafka's "murmur2_random", which flux's Kafka
// producer uses, is the same function).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

// Kafka's murmur2 (MurmurHash2, seed 0x9747b28c, as Utils.murmur2 in the
// Java client) of `key`.
uint32_t kafka_murmur2(std::string_view key);

// The shard of `shards` (> 0) that a record with `key` goes to:
// (murmur2(key) & 0x7fffffff) % shards.
int32_t shard_for_key(std::string_view key, int32_t shards);

}  // namespace sluice
