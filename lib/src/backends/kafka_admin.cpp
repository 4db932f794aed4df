// Kafka Admin::describe: topics and partitions from metadata, bounds from
// watermarks, and consumer groups with their committed offsets and lag where
// the cluster can list groups (librdkafka's mock cluster cannot: then only
// the groups named with watch_groups() are described).
#include <algorithm>
#include <chrono>

#include "backends/kafka_backend.h"

extern char** environ;

namespace sluice {
namespace {

using namespace kafka;

constexpr Millis kTimeout{10000};

struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

class KafkaAdmin final : public Admin {
 public:
  KafkaAdmin(const StreamUri& uri, std::vector<std::string> secrets)
      : ctx_(uri, std::move(secrets)), uri_(uri) {}
  KafkaAdmin(const KafkaAdmin&) = delete;
  KafkaAdmin& operator=(const KafkaAdmin&) = delete;
  ~KafkaAdmin() override { rk_.reset(); }

  Status open() {
    ctx_.set_quiet(true);
    Properties props = build_properties(uri_, Role::kAdmin, env_properties(environ), {});
    auto rk = make_handle(RD_KAFKA_PRODUCER, props, &ctx_, nullptr, nullptr);
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);
    auto md = wait_for_metadata(rk_.get(), ctx_, nullptr, false, kTimeout);
    if (!md.ok()) return md.status();
    ctx_.set_quiet(false);
    return Status::Ok();
  }

  Result<std::vector<StreamInfo>> describe(const std::vector<std::string>& only_arg) override {
    const std::vector<std::string>& only = only_arg.empty() ? uri_.streams : only_arg;
    auto md = wait_for_metadata(rk_.get(), ctx_, nullptr, true, kTimeout);
    if (!md.ok()) return md.status();
    std::vector<StreamInfo> out;
    const rd_kafka_metadata_t* m = md->get();
    for (int t = 0; t < m->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& mt = m->topics[t];
      std::string_view name = mt.topic;
      if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
      if (only.empty() && name.substr(0, 2) == "__") continue;  // internal topics
      StreamInfo info;
      info.name = mt.topic;
      for (int p = 0; p < mt.partition_cnt; ++p) {
        ShardInfo s;
        s.shard = mt.partitions[p].id;
        int64_t low = 0, high = 0;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            rk_.get(), mt.topic, s.shard, &low, &high, static_cast<int>(kTimeout.count()));
        if (err) {
          return status_from(err, "cannot read the bounds of kafka topic '" + info.name +
                                      "' partition " + std::to_string(s.shard));
        }
        if (high > low) {
          s.first_seq = low;
          s.last_seq = high - 1;
          info.messages += high - low;
        }
        info.shards.push_back(s);
      }
      std::sort(info.shards.begin(), info.shards.end(),
                [](const ShardInfo& a, const ShardInfo& b) { return a.shard < b.shard; });
      out.push_back(std::move(info));
    }
    for (const std::string& want : only) {
      bool found =
          std::any_of(out.begin(), out.end(), [&](const StreamInfo& s) { return s.name == want; });
      if (!found) {
        return Status::NotFound("kafka topic '" + want + "' does not exist on '" + ctx_.brokers() +
                                "'");
      }
    }
    add_groups(out);
    return out;
  }

  void watch_groups(const std::vector<std::string>& names) override { watched_ = names; }

 private:
  // Best effort: a cluster that cannot list groups (or deny us) still gets
  // its topics described.
  void add_groups(std::vector<StreamInfo>& streams) {
    const struct rd_kafka_group_list* groups = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_list_groups(rk_.get(), nullptr, &groups, static_cast<int>(kTimeout.count()));
    if (err || groups == nullptr) {
      if (!groups_warned_) {
        groups_warned_ = true;
        warn("kafka: cannot list consumer groups on '" + ctx_.brokers() +
             "': " + rd_kafka_err2str(err) +
             (watched_.empty() ? " (groups are not shown)" : " (only the groups named are shown)"));
      }
      for (const std::string& g : watched_) add_group(g, streams);
      return;
    }
    std::vector<std::string> names = watched_;
    for (int i = 0; i < groups->group_cnt; ++i) {
      const rd_kafka_group_info& g = groups->groups[i];
      if (g.protocol_type == nullptr || std::string_view(g.protocol_type) == "consumer" ||
          std::string_view(g.protocol_type).empty()) {
        names.emplace_back(g.group);
      }
    }
    rd_kafka_group_list_destroy(groups);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const std::string& g : names) add_group(g, streams);
  }

  void add_group(const std::string& group, std::vector<StreamInfo>& streams) {
    QueuePtr q(rd_kafka_queue_new(rk_.get()));
    // The partitions asked for by name: a cluster may answer "all of them"
    // (no list) with none at all, as librdkafka's mock cluster does.
    rd_kafka_topic_partition_list_t* want = rd_kafka_topic_partition_list_new(0);
    for (const StreamInfo& s : streams) {
      for (const ShardInfo& sh : s.shards) {
        rd_kafka_topic_partition_list_add(want, s.name.c_str(), sh.shard);
      }
    }
    rd_kafka_ListConsumerGroupOffsets_t* req[1] = {
        rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), want)};
    rd_kafka_topic_partition_list_destroy(want);
    rd_kafka_ListConsumerGroupOffsets(rk_.get(), req, 1, nullptr, q.get());
    rd_kafka_ListConsumerGroupOffsets_destroy(req[0]);
    EventPtr ev(rd_kafka_queue_poll(q.get(), static_cast<int>(kTimeout.count())));
    if (!ev || rd_kafka_event_error(ev.get())) return;
    const rd_kafka_ListConsumerGroupOffsets_result_t* res =
        rd_kafka_event_ListConsumerGroupOffsets_result(ev.get());
    if (res == nullptr) return;
    size_t cnt = 0;
    const rd_kafka_group_result_t** gres =
        rd_kafka_ListConsumerGroupOffsets_result_groups(res, &cnt);
    for (size_t i = 0; i < cnt; ++i) {
      if (rd_kafka_group_result_error(gres[i])) continue;
      const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(gres[i]);
      if (parts == nullptr) continue;
      for (StreamInfo& s : streams) {
        GroupInfo gi;
        gi.name = group;
        bool any = false;
        for (int k = 0; k < parts->cnt; ++k) {
          const rd_kafka_topic_partition_t& e = parts->elems[k];
          if (s.name != e.topic || e.partition < 0) continue;
          if (gi.committed.size() <= static_cast<size_t>(e.partition)) {
            gi.committed.resize(e.partition + 1, -1);
          }
          gi.committed[e.partition] = e.offset >= 0 ? e.offset : -1;
          any = any || e.offset >= 0;
        }
        if (!any) continue;
        gi.committed.resize(std::max(gi.committed.size(), s.shards.size()), -1);
        for (const ShardInfo& sh : s.shards) {
          const int64_t end = sh.last_seq + 1;
          const int64_t c = gi.committed[sh.shard];
          // Nothing committed: the whole retained partition is lag.
          const int64_t start = c >= 0 ? c : (sh.first_seq >= 0 ? sh.first_seq : end);
          if (sh.last_seq >= 0 && end > start) gi.lag += end - start;
        }
        s.groups.push_back(std::move(gi));
      }
    }
  }

  KafkaContext ctx_;
  StreamUri uri_;
  HandlePtr rk_;
  bool groups_warned_ = false;
  std::vector<std::string> watched_;  // groups named by the caller
};

}  // namespace

Result<std::unique_ptr<Admin>> open_kafka_admin(const StreamUri& cluster) {
  Properties props = build_properties(cluster, Role::kAdmin, env_properties(environ), {});
  auto a = std::make_unique<KafkaAdmin>(cluster, secret_values(props));
  SLUICE_RETURN_IF_ERROR(a->open());
  return std::unique_ptr<Admin>(std::move(a));
}

}  // namespace sluice
