// Kafka's murmur2 key partitioner (see partition.h).

#include "core/partition.h"

namespace sluice {

uint32_t kafka_murmur2(std::string_view key) {
  const uint32_t seed = 0x9747b28c;
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const size_t length = key.size();
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    uint32_t k = static_cast<uint32_t>(data[i]) | static_cast<uint32_t>(data[i + 1]) << 8 |
                 static_cast<uint32_t>(data[i + 2]) << 16 |
                 static_cast<uint32_t>(data[i + 3]) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (length - i) {
    case 3:
      h ^= static_cast<uint32_t>(data[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(data[i]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

int32_t shard_for_key(std::string_view key, int32_t shards) {
  return static_cast<int32_t>((kafka_murmur2(key) & 0x7fffffff) % static_cast<uint32_t>(shards));
}

}  // namespace sluice
