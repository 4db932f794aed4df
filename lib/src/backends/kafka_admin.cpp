// Kafka Admin: describe (topics and partitions from metadata, bounds from
// batched ListOffsets (earliest, latest), and consumer groups with their
// committed offsets, lag and members where the cluster can list and
// describe groups; librdkafka's mock cluster cannot: then only the groups
// named with watch_groups() are described, without members); for the
// streams tool, read_details() adds the retention (DescribeConfigs) and the
// times of each partition's first and last record; and create,
// remove, reset_group, trim and configure over the Admin API
// (kafka_admin_ops.h).
#include <algorithm>
#include <chrono>
#include <map>

#include "backends/kafka_admin_ops.h"
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
  ~KafkaAdmin() override {
    if (reader_) rd_kafka_consumer_close(reader_.get());
    reader_.reset();
    rk_.reset();
  }

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
    if (m->broker_cnt > 0) broker_id_ = m->brokers[0].id;
    for (int t = 0; t < m->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& mt = m->topics[t];
      std::string_view name = mt.topic;
      if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
      if (only.empty() && name.substr(0, 2) == "__") continue;  // internal topics
      StreamInfo info;
      info.name = mt.topic;
      info.retention_known = false;
      for (int p = 0; p < mt.partition_cnt; ++p) {
        ShardInfo sh;
        sh.shard = mt.partitions[p].id;
        info.shards.push_back(sh);
      }
      std::sort(info.shards.begin(), info.shards.end(),
                [](const ShardInfo& a, const ShardInfo& b) { return a.shard < b.shard; });
      out.push_back(std::move(info));
    }
    SLUICE_RETURN_IF_ERROR(add_bounds(out));
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

  Status create(const std::string& stream, const CreateOptions& o) override {
    return create_topic(target(), stream, o);
  }

  Status remove(const std::string& stream) override {
    SLUICE_RETURN_IF_ERROR(bounds(stream).status());
    return delete_topic(target(), stream);
  }

  Result<std::vector<ShardReset>> reset_group(const std::string& group, const std::string& stream,
                                              const StartPosition& to, bool dry_run,
                                              bool force) override {
    Result<std::vector<Bounds>> b = bounds(stream);
    if (!b.ok()) return b.status();
    const auto n = static_cast<int32_t>(b->size());
    Result<std::vector<int64_t>> before = committed_offsets(target(), group, stream, n);
    if (!before.ok()) return before.status();
    Result<std::vector<int64_t>> after = positions(stream, *b, to);
    if (!after.ok()) return after.status();
    Result<std::optional<GroupDescription>> desc = describe_group(target(), group);
    if (!desc.ok()) return desc.status();
    const bool committed =
        std::any_of(before->begin(), before->end(), [](int64_t v) { return v >= 0; });
    const GroupDescription* d = *desc ? &**desc : nullptr;
    // Without DescribeGroups (the mock), a group is known by its commits.
    if (!committed && (d == nullptr || d->dead)) {
      return Status::NotFound("kafka consumer group '" + group +
                              "' has no committed offsets on topic '" + stream + "'");
    }
    if (d != nullptr && !d->members.empty() && !force) {
      return Status::TryAgain("kafka consumer group '" + group + "' of topic '" + stream +
                              "' has " + std::to_string(d->members.size()) + " live member(s) (" +
                              d->members.front().name + "): stop them first");
    }
    std::vector<ShardReset> out;
    for (int32_t p = 0; p < n; ++p) {
      out.push_back({p, (*before)[static_cast<size_t>(p)], (*after)[static_cast<size_t>(p)]});
    }
    if (dry_run) return out;
    SLUICE_RETURN_IF_ERROR(alter_group_offsets(target(), group, stream, *after));
    return out;
  }

  Result<std::vector<ShardTrim>> trim(const std::string& stream,
                                      const StartPosition& keep_from) override {
    Result<std::vector<Bounds>> b = bounds(stream);
    if (!b.ok()) return b.status();
    Result<std::vector<int64_t>> cut = positions(stream, *b, keep_from);
    if (!cut.ok()) return cut.status();
    for (size_t p = 0; p < cut->size(); ++p) {
      if ((*cut)[p] <= (*b)[p].low) (*cut)[p] = -1;  // nothing to drop there
    }
    Result<std::vector<int64_t>> low = delete_records(target(), stream, *cut);
    if (!low.ok()) return low.status();
    std::vector<ShardTrim> out;
    for (size_t p = 0; p < b->size(); ++p) {
      const Bounds& bp = (*b)[p];
      ShardTrim t;
      t.shard = static_cast<int32_t>(p);
      t.first_before = bp.high > bp.low ? bp.low : -1;
      const int64_t lo = (*low)[p] >= 0 ? (*low)[p] : bp.low;
      t.first_after = bp.high > lo ? lo : -1;
      t.dropped = lo - bp.low;
      out.push_back(t);
    }
    return out;
  }

  Status configure(const std::string& stream, const RetentionChange& change) override {
    SLUICE_RETURN_IF_ERROR(bounds(stream).status());
    return alter_retention(target(), stream, change);
  }

  Status read_details(std::vector<StreamInfo>& streams, Millis budget) override {
    const Clock::time_point deadline = Clock::now() + budget;
    Status warning = Status::Ok();
    std::vector<std::string> topics;
    for (const StreamInfo& s : streams) topics.push_back(s.name);
    AdminTarget t = target();
    t.timeout = std::min(t.timeout, budget);
    Result<std::vector<TopicRetention>> r = describe_retention(t, topics);
    if (r.ok()) {
      for (size_t i = 0; i < streams.size(); ++i) {
        streams[i].retention_known = true;
        streams[i].retention_ms = (*r)[i].ms;
        streams[i].retention_bytes = (*r)[i].bytes;
      }
    } else {
      warning = r.status();
    }
    read_first_times(streams, deadline);
    const auto rest = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (rest.count() > 0) read_latest_times(streams, rest);
    return warning;
  }

  // One assignment per group of every partition it lags on, at its
  // position; the first message of each partition gives its timestamp.
  void read_oldest_unconsumed(std::vector<StreamInfo>& streams, Millis budget) override {
    const Clock::time_point deadline = Clock::now() + budget;
    if (!open_reader()) return;
    for (StreamInfo& s : streams) {
      for (GroupInfo& g : s.groups) {
        if (g.lag == 0 || g.oldest_unconsumed_ts_us > 0) continue;
        PartitionListPtr want(rd_kafka_topic_partition_list_new(0));
        for (const ShardInfo& sh : s.shards) {
          const size_t i = static_cast<size_t>(sh.shard);
          const int64_t c = i < g.committed.size() ? g.committed[i] : -1;
          const int64_t at = std::max(c, sh.first_seq);
          if (sh.last_seq < 0 || at > sh.last_seq) continue;
          rd_kafka_topic_partition_list_add(want.get(), s.name.c_str(), sh.shard)->offset = at;
        }
        if (want->cnt == 0) continue;
        int64_t oldest = 0;
        const bool all = read_first(want.get(), deadline, [&](const rd_kafka_message_t* m) {
          const int64_t ts = rd_kafka_message_timestamp(m, nullptr);
          if (ts > 0 && (oldest == 0 || ts * 1000 < oldest)) oldest = ts * 1000;
        });
        if (all && oldest > 0) g.oldest_unconsumed_ts_us = oldest;
        if (Clock::now() >= deadline) return;
      }
    }
  }

  // One assignment of every partition whose latest message (at high - 1)
  // was not read yet; a topic gets its times only once every partition
  // with a message has one (a partial set would overstate its age).
  void read_latest_times(std::vector<StreamInfo>& streams, Millis budget) override {
    const Clock::time_point deadline = Clock::now() + budget;
    if (!open_reader()) return;
    PartitionListPtr want(rd_kafka_topic_partition_list_new(0));
    for (const StreamInfo& s : streams) {
      for (const ShardInfo& sh : s.shards) {
        if (sh.last_seq < 0 || sh.last_ts_us > 0) continue;
        auto it = latest_.find({s.name, sh.shard});
        if (it != latest_.end() && it->second.first == sh.last_seq) continue;
        rd_kafka_topic_partition_list_add(want.get(), s.name.c_str(), sh.shard)->offset =
            sh.last_seq;
      }
    }
    if (want->cnt > 0) {
      read_first(want.get(), deadline, [&](const rd_kafka_message_t* m) {
        const int64_t ts = rd_kafka_message_timestamp(m, nullptr);
        if (ts > 0) latest_[{rd_kafka_topic_name(m->rkt), m->partition}] = {m->offset, ts * 1000};
      });
    }
    for (StreamInfo& s : streams) {
      bool all = true;
      for (const ShardInfo& sh : s.shards) {
        if (sh.last_seq < 0 || sh.last_ts_us > 0) continue;
        auto it = latest_.find({s.name, sh.shard});
        if (it == latest_.end() || it->second.first != sh.last_seq) all = false;
      }
      if (!all) continue;
      for (ShardInfo& sh : s.shards) {
        if (sh.last_seq >= 0 && sh.last_ts_us == 0)
          sh.last_ts_us = latest_[{s.name, sh.shard}].second;
      }
    }
  }

 private:
  using Clock = std::chrono::steady_clock;

  // The consumer that reads single messages for times; made on first use.
  bool open_reader() {
    if (reader_ != nullptr) return true;
    StreamUri u = uri_;
    u.streams.clear();
    ConsumerOptions co;
    Properties extra = consumer_identity(co);
    extra.emplace_back("enable.auto.commit", "false");
    extra.emplace_back("enable.partition.eof", "true");
    Properties props = build_properties(u, Role::kConsumer, env_properties(environ), extra);
    auto rk = make_handle(RD_KAFKA_CONSUMER, props, &ctx_, nullptr, nullptr);
    if (!rk.ok()) return false;
    reader_ = std::move(*rk);
    rd_kafka_poll_set_consumer(reader_.get());
    return true;
  }

  // Assigns `want` (topic, partition, offset) and hands `on` the first
  // message read from each partition, until each gave one or its end, or
  // `deadline`; then unassigns. True when every partition was done.
  template <typename F>
  bool read_first(rd_kafka_topic_partition_list_t* want, Clock::time_point deadline, F&& on) {
    if (rd_kafka_assign(reader_.get(), want)) return false;
    int left = want->cnt;
    while (left > 0 && Clock::now() < deadline) {
      const auto wait = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      rd_kafka_message_t* m = rd_kafka_consumer_poll(
          reader_.get(), static_cast<int>(std::max<int64_t>(1, wait.count())));
      if (m == nullptr) continue;
      rd_kafka_topic_partition_t* p = m->rkt ? rd_kafka_topic_partition_list_find(
                                                   want, rd_kafka_topic_name(m->rkt), m->partition)
                                             : nullptr;
      if (p != nullptr && p->offset != RD_KAFKA_OFFSET_INVALID &&
          (m->err == 0 || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
        if (m->err == 0) on(m);
        p->offset = RD_KAFKA_OFFSET_INVALID;  // done with this partition
        --left;
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(reader_.get(), nullptr);
    return left == 0;
  }

  // One assignment of every partition with messages whose first time is
  // not known; each gets the time of its oldest retained message.
  void read_first_times(std::vector<StreamInfo>& streams, Clock::time_point deadline) {
    if (!open_reader()) return;
    PartitionListPtr want(rd_kafka_topic_partition_list_new(0));
    for (const StreamInfo& s : streams) {
      for (const ShardInfo& sh : s.shards) {
        if (sh.first_seq < 0 || sh.first_ts_us > 0) continue;
        rd_kafka_topic_partition_list_add(want.get(), s.name.c_str(), sh.shard)->offset =
            sh.first_seq;
      }
    }
    if (want->cnt == 0) return;
    std::map<std::pair<std::string, int32_t>, int64_t> first;
    read_first(want.get(), deadline, [&](const rd_kafka_message_t* m) {
      const int64_t ts = rd_kafka_message_timestamp(m, nullptr);
      if (ts > 0) first[{rd_kafka_topic_name(m->rkt), m->partition}] = ts * 1000;
    });
    for (StreamInfo& s : streams) {
      for (ShardInfo& sh : s.shards) {
        auto it = first.find({s.name, sh.shard});
        if (it != first.end() && sh.first_ts_us == 0) sh.first_ts_us = it->second;
      }
    }
  }

  struct Bounds {
    int64_t low = 0;
    int64_t high = 0;  // the next offset
  };

  // Admin requests wait kTimeout, or socket.timeout.ms when the URI sets it.
  AdminTarget target() const {
    Millis timeout = kTimeout;
    if (const std::string* v = uri_.param("socket.timeout.ms")) {
      const long long ms = std::strtoll(v->c_str(), nullptr, 10);
      if (ms > 0) timeout = Millis(ms);
    }
    return {rk_.get(), ctx_.brokers(), timeout, broker_id_};
  }

  // The low and high watermark of each partition of `topic`; kNotFound
  // when the cluster does not list it (asked for among all topics: a
  // Metadata request naming it would create it on a cluster that
  // auto-creates topics).
  Result<std::vector<Bounds>> bounds(const std::string& topic) {
    auto md = wait_for_metadata(rk_.get(), ctx_, nullptr, true, kTimeout);
    if (!md.ok()) return md.status();
    const rd_kafka_metadata_t* m = md->get();
    if (m->broker_cnt > 0) broker_id_ = m->brokers[0].id;
    for (int t = 0; t < m->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& mt = m->topics[t];
      if (topic != mt.topic || mt.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
      std::vector<Bounds> out(static_cast<size_t>(mt.partition_cnt));
      for (int32_t p = 0; p < mt.partition_cnt; ++p) {
        Bounds& b = out[static_cast<size_t>(p)];
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            rk_.get(), topic.c_str(), p, &b.low, &b.high, static_cast<int>(kTimeout.count()));
        if (err) {
          return status_from(err, "cannot read the bounds of kafka topic '" + topic +
                                      "' partition " + std::to_string(p));
        }
      }
      return out;
    }
    return Status::NotFound("kafka topic '" + topic + "' does not exist on '" + ctx_.brokers() +
                            "'");
  }

  // Where `to` is on each partition of `topic`, clamped to its bounds.
  Result<std::vector<int64_t>> positions(const std::string& topic, const std::vector<Bounds>& b,
                                         const StartPosition& to) {
    std::vector<int64_t> at_time;
    if (to.kind == StartPosition::Kind::kTime) {
      Result<std::vector<int64_t>> r =
          offsets_for_time(target(), topic, static_cast<int32_t>(b.size()), to.value / 1000);
      if (!r.ok()) return r.status();
      at_time = std::move(*r);
    }
    std::vector<int64_t> out;
    for (size_t p = 0; p < b.size(); ++p) {
      int64_t v = b[p].high;
      switch (to.kind) {
        case StartPosition::Kind::kBeginning:
          v = b[p].low;
          break;
        case StartPosition::Kind::kEnd:
          break;
        case StartPosition::Kind::kSeq:
          v = to.value;
          break;
        case StartPosition::Kind::kFromEnd:
          v = b[p].high - to.value;
          break;
        case StartPosition::Kind::kTime:
          // No record at or after the time: the end.
          if (at_time[p] >= 0) v = at_time[p];
          break;
      }
      out.push_back(std::clamp(v, b[p].low, b[p].high));
    }
    return out;
  }

  // The bounds of every partition: two batched ListOffsets requests (the
  // earliest and the latest offsets, one request per broker each) instead
  // of a watermark round trip per partition; per partition if the cluster
  // refuses the batch.
  Status add_bounds(std::vector<StreamInfo>& streams) {
    using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                    decltype(&rd_kafka_topic_partition_list_destroy)>;
    auto query = [&](int64_t which) -> ListPtr {
      ListPtr l(rd_kafka_topic_partition_list_new(0), rd_kafka_topic_partition_list_destroy);
      for (const StreamInfo& s : streams) {
        for (const ShardInfo& sh : s.shards) {
          rd_kafka_topic_partition_list_add(l.get(), s.name.c_str(), sh.shard)->offset = which;
        }
      }
      if (l->cnt == 0) return l;
      if (rd_kafka_offsets_for_times(rk_.get(), l.get(), static_cast<int>(kTimeout.count()))) {
        return ListPtr(nullptr, rd_kafka_topic_partition_list_destroy);
      }
      return l;
    };
    ListPtr low = query(RD_KAFKA_OFFSET_BEGINNING);
    ListPtr high = low ? query(RD_KAFKA_OFFSET_END) : ListPtr(nullptr, nullptr);
    for (StreamInfo& s : streams) {
      for (ShardInfo& sh : s.shards) {
        int64_t lo = -1, hi = -1;
        const rd_kafka_topic_partition_t* l =
            low ? rd_kafka_topic_partition_list_find(low.get(), s.name.c_str(), sh.shard) : nullptr;
        const rd_kafka_topic_partition_t* h =
            high ? rd_kafka_topic_partition_list_find(high.get(), s.name.c_str(), sh.shard)
                 : nullptr;
        if (l && h && l->err == 0 && h->err == 0 && l->offset >= 0 && h->offset >= 0) {
          lo = l->offset;
          hi = h->offset;
        } else {
          rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
              rk_.get(), s.name.c_str(), sh.shard, &lo, &hi, static_cast<int>(kTimeout.count()));
          if (err) {
            return status_from(err, "cannot read the bounds of kafka topic '" + s.name +
                                        "' partition " + std::to_string(sh.shard));
          }
        }
        if (hi > lo) {
          sh.first_seq = lo;
          sh.last_seq = hi - 1;
          s.messages += hi - lo;
        }
      }
    }
    return Status::Ok();
  }

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
    // The listing describes each group too: its members come with it.
    std::vector<std::pair<std::string, std::vector<MemberInfo>>> members;
    for (int i = 0; i < groups->group_cnt; ++i) {
      const rd_kafka_group_info& g = groups->groups[i];
      if (g.protocol_type == nullptr || std::string_view(g.protocol_type) == "consumer" ||
          std::string_view(g.protocol_type).empty()) {
        names.emplace_back(g.group);
        members.emplace_back(g.group, group_description(g).members);
      }
    }
    rd_kafka_group_list_destroy(groups);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const std::string& g : names) add_group(g, streams);
    for (StreamInfo& s : streams) {
      for (GroupInfo& g : s.groups) {
        for (auto& [name, m] : members) {
          if (name == g.name) g.members = m;
        }
      }
    }
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
  HandlePtr reader_;  // reads single messages for times; made on first use
  // (topic, partition) -> (offset, timestamp us) of the latest message read.
  std::map<std::pair<std::string, int32_t>, std::pair<int64_t, int64_t>> latest_;
  bool groups_warned_ = false;
  std::vector<std::string> watched_;  // groups named by the caller
  int32_t broker_id_ = -1;            // a broker of the last metadata, for DescribeConfigs
};

}  // namespace

Result<std::unique_ptr<Admin>> open_kafka_admin(const StreamUri& cluster) {
  Properties props = build_properties(cluster, Role::kAdmin, env_properties(environ), {});
  auto a = std::make_unique<KafkaAdmin>(cluster, secret_values(props));
  SLUICE_RETURN_IF_ERROR(a->open());
  return std::unique_ptr<Admin>(std::move(a));
}

}  // namespace sluice
