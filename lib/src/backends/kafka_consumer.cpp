// The Kafka Consumer. Without a group it assigns every partition of the
// URI's topics itself (start offsets computed per partition); with a group it
// subscribes and applies --from only where the group has no committed offset.
//
// A topic that does not exist is an error with --exit (kNotFound, as on every
// backend). A follower says once that it waits for it, reads the other topics
// meanwhile and re-checks the topic's metadata every second from poll(); once
// it is there, its partitions are assigned with --from as if it had existed
// at the start (with a group: the group is joined again so that the
// assignment covers it).
//
// Message views point into rd_kafka_message_t objects held until the next
// poll(). Commits are synchronous and carry an explicit list of what the sink
// marked taken, never librdkafka's idea of what was consumed.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "backends/kafka_backend.h"

extern char** environ;

namespace sluice {
namespace {

using namespace kafka;
using Clock = std::chrono::steady_clock;

// Longest single wait inside poll(): how quickly wake() is noticed. wake()
// only sets a flag because librdkafka's queue functions take locks and are
// not async-signal-safe.
constexpr int kSliceMs = 100;

// How often a follower asks whether a missing topic was created.
constexpr auto kMissingCheckEvery = std::chrono::seconds(1);

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

class KafkaConsumer final : public Consumer {
 public:
  KafkaConsumer(const StreamUri& uri, const ConsumerOptions& opts, std::vector<std::string> secrets)
      : ctx_(uri, std::move(secrets)), uri_(uri), opts_(opts) {
    ctx_.set_owner(this);
  }

  ~KafkaConsumer() override {
    release_held();
    if (rk_) {
      ctx_.set_quiet(true);
      closing_ = true;
      queue_.reset();
      rd_kafka_consumer_close(rk_.get());
    }
    topics_.clear();
    rk_.reset();
  }

  Status open() {
    ctx_.set_quiet(true);
    Properties env = {{"auto.offset.reset", auto_offset_reset(opts_.from)}};
    if (opts_.session_timeout > Millis(0)) {
      // Brokers refuse a group member's session timeout below their
      // group.min.session.timeout.ms (6 s by default), and the consumer
      // then reads nothing without a word: refuse it here, with the way
      // out for brokers configured lower.
      const int64_t ms = opts_.session_timeout.count();
      if (ms < 6000) {
        return Status::InvalidArgument(
            "a kafka group's session timeout must be 6s or more (the brokers' default "
            "group.min.session.timeout.ms); for brokers set lower, put ?session.timeout.ms=" +
            std::to_string(ms) + " in the URI");
      }
      // The heartbeat must come well within the session timeout.
      env.emplace_back("session.timeout.ms", std::to_string(ms));
      env.emplace_back("heartbeat.interval.ms", std::to_string(std::max<int64_t>(1, ms / 3)));
    }
    Properties from_env = env_properties(environ);
    env.insert(env.end(), from_env.begin(), from_env.end());
    grouped_ = !opts_.group.empty();
    Properties props = build_properties(uri_, Role::kConsumer, env, consumer_identity(opts_));
    auto rk = make_handle(RD_KAFKA_CONSUMER, props, &ctx_, &KafkaConsumer::customize, this);
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);

    // Connect, and learn each topic's partitions (a missing topic is an
    // error now rather than silence later).
    std::vector<std::pair<std::string, int>> partitions;
    for (const std::string& name : uri_.streams) {
      TopicPtr t(rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr));
      if (!t) return Status::InvalidArgument("invalid kafka topic '" + name + "'");
      auto md = wait_for_metadata(rk_.get(), ctx_, t.get(), false, opts_.timeout);
      if (!md.ok()) return md.status();
      const rd_kafka_metadata_t* m = md->get();
      if (topic_missing(m)) {
        const std::string missing =
            "stream '" + name + "' does not exist on kafka '" + ctx_.brokers() + "'";
        if (opts_.exit_at_end) {
          return Status::NotFound(missing + " (create the topic first)");
        }
        // Following a topic that is not there yet is fine (a producer may
        // come later), but a mistyped name must not wait without a word.
        warn(missing + ": waiting for it to be created");
        missing_.push_back(Missing{std::move(t), name, Clock::now() + kMissingCheckEvery});
        continue;
      }
      if (m->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return status_from(m->topics[0].err, "kafka topic '" + name + "'");
      }
      partitions.emplace_back(name, m->topics[0].partition_cnt);
      topics_.push_back(std::move(t));
    }

    rd_kafka_poll_set_consumer(rk_.get());
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));

    if (grouped_) {
      SLUICE_RETURN_IF_ERROR(subscribe());
    } else {
      int total = 0;
      for (const auto& p : partitions) total += p.second;
      PartitionListPtr list(rd_kafka_topic_partition_list_new(total));
      for (const auto& [name, count] : partitions) {
        for (int i = 0; i < count; ++i) {
          rd_kafka_topic_partition_list_add(list.get(), name.c_str(), i)->offset =
              RD_KAFKA_OFFSET_INVALID;
        }
      }
      SLUICE_RETURN_IF_ERROR(resolve_start(list.get()));
      rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list.get());
      if (err) return status_from(err, "cannot assign kafka partitions");
      note_assigned(list.get(), true);
    }
    ctx_.set_quiet(false);
    return Status::Ok();
  }

  Status poll(MessageBatch& batch, Millis timeout) override {
    release_held();
    batch.clear();
    if (!pending_error_.ok()) return std::exchange(pending_error_, Status::Ok());
    if (opts_.exit_at_end && at_end()) return Status::EndOfStream();
    const size_t max = std::max<size_t>(1, opts_.max_batch);
    if (raw_.size() < max) raw_.resize(max);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (woken_.exchange(false)) return Status::Ok();
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      if (!missing_.empty()) {
        SLUICE_RETURN_IF_ERROR(check_missing(std::clamp<int64_t>(left, 0, kSliceMs)));
        left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      }
      int slice = static_cast<int>(std::clamp<int64_t>(left, 0, kSliceMs));
      // Wait for one message, then take whatever else is already queued:
      // consume_batch_queue() alone would wait until the batch is full.
      rd_kafka_message_t* first = rd_kafka_consumer_poll(rk_.get(), slice);
      size_t n = 0;
      if (first != nullptr) {
        raw_[0] = first;
        n = 1;
        if (max > 1) {
          ssize_t more = rd_kafka_consume_batch_queue(queue_.get(), 0, raw_.data() + 1, max - 1);
          if (more > 0) n += static_cast<size_t>(more);
        }
      }
      if (n > 0) last_heard_ = Clock::now();
      Status st = take(n, batch);
      if (!st.ok()) return st;
      if (!batch.empty()) return Status::Ok();
      if (opts_.exit_at_end && at_end()) return Status::EndOfStream();
      if (opts_.exit_at_end && n == 0) SLUICE_RETURN_IF_ERROR(check_alive());
      if (!pending_error_.ok()) return std::exchange(pending_error_, Status::Ok());
      if (left <= 0) return Status::Ok();
    }
  }

  void mark_taken(const Message& m) override {
    if (!grouped_) return;
    Part* p = find(m.stream, m.shard);
    if (p == nullptr || !p->assigned) return;  // revoked meanwhile: not ours
    if (m.seq + 1 > p->taken) {
      p->taken = m.seq + 1;
      p->dirty = true;
    }
  }

  Status commit() override {
    if (!grouped_) return Status::Ok();
    return commit_parts([](const Part& p) { return p.assigned; });
  }

  void wake() override { woken_.store(true, std::memory_order_relaxed); }

  // With --exit the run must end: when nothing (no message, no end of
  // partition) came for --timeout, ask the cluster; if no broker answers,
  // that is "unavailable", not a reason to wait forever. A follower keeps
  // waiting (and warning) instead, as a tail -f would.
  Status check_alive() {
    if (Clock::now() - last_heard_ < opts_.timeout) return Status::Ok();
    auto md =
        wait_for_metadata(rk_.get(), ctx_, nullptr, false, std::min(opts_.timeout, Millis(5000)));
    if (!md.ok()) return md.status();
    last_heard_ = Clock::now();
    return Status::Ok();
  }

 private:
  struct Part {
    std::string topic;
    int32_t partition = 0;
    int64_t taken = -1;  // next offset to commit (last taken + 1)
    bool dirty = false;
    bool assigned = false;
    bool eof = false;
  };

  // A topic that did not exist when last asked, followed until it does.
  struct Missing {
    TopicPtr handle;
    std::string name;
    Clock::time_point next_check;
  };

  bool created_since_start(std::string_view topic) const {
    return std::find(created_.begin(), created_.end(), topic) != created_.end();
  }

  static bool topic_missing(const rd_kafka_metadata_t* m) {
    return m->topic_cnt < 1 || m->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
           m->topics[0].partition_cnt == 0;
  }

  // Subscribes the group to the URI's topics that exist (subscribing to a
  // missing one would only bring errors until the next metadata refresh,
  // minutes away by default).
  Status subscribe() {
    PartitionListPtr subs(rd_kafka_topic_partition_list_new(static_cast<int>(uri_.streams.size())));
    for (const std::string& name : uri_.streams) {
      bool absent = std::any_of(missing_.begin(), missing_.end(),
                                [&](const Missing& m) { return m.name == name; });
      if (!absent) {
        rd_kafka_topic_partition_list_add(subs.get(), name.c_str(), RD_KAFKA_PARTITION_UA);
      }
    }
    if (subs->cnt == 0) return Status::Ok();  // nothing to join for yet
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), subs.get());
    if (err) {
      return status_from(err, "cannot join kafka group '" + opts_.group + "'");
    }
    return Status::Ok();
  }

  // Asks about the first missing topic that is due, within `budget_ms` (so
  // poll() never waits longer than asked; a late answer is asked again a
  // second later). A topic that appeared is read from then on.
  Status check_missing(int64_t budget_ms) {
    if (budget_ms < 10) return Status::Ok();
    const auto now = Clock::now();
    auto due = std::find_if(missing_.begin(), missing_.end(),
                            [&](const Missing& m) { return m.next_check <= now; });
    if (due == missing_.end()) return Status::Ok();
    due->next_check = now + kMissingCheckEvery;
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk_.get(), 0, due->handle.get(), &raw, static_cast<int>(budget_ms));
    if (err) return Status::Ok();  // no answer in time: ask again later
    MetadataPtr md(raw);
    if (topic_missing(md.get())) return Status::Ok();
    const rd_kafka_metadata_topic_t& t = md->topics[0];
    if (t.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
      return status_from(t.err, "kafka topic '" + due->name + "'");
    }
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Ok();  // not ready yet (no leader): ask again
    }
    const int count = t.partition_cnt;
    Missing found = std::move(*due);
    missing_.erase(due);
    created_.push_back(found.name);
    topics_.push_back(std::move(found.handle));
    if (grouped_) return subscribe();  // rejoin: the assignment now covers it
    PartitionListPtr list(rd_kafka_topic_partition_list_new(count));
    for (int i = 0; i < count; ++i) {
      rd_kafka_topic_partition_list_add(list.get(), found.name.c_str(), i)->offset =
          RD_KAFKA_OFFSET_INVALID;
    }
    SLUICE_RETURN_IF_ERROR(resolve_start(list.get()));
    rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), list.get());
    if (e) {
      Status st = status_from(rd_kafka_error_code(e),
                              "cannot assign the partitions of kafka topic '" + found.name + "'");
      rd_kafka_error_destroy(e);
      return st;
    }
    note_assigned(list.get(), true);
    return Status::Ok();
  }

  static void customize(rd_kafka_conf_t* conf, void* arg) {
    auto* self = static_cast<KafkaConsumer*>(arg);
    if (!self->opts_.group.empty()) {
      rd_kafka_conf_set_rebalance_cb(conf, &KafkaConsumer::on_rebalance);
    }
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(static_cast<KafkaContext*>(opaque)->owner());
    try {
      self->rebalance(err, parts);
    } catch (...) {
      // Keep the group protocol going whatever happened on our side.
      rd_kafka_assign(rk, nullptr);
    }
  }

  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative =
        std::string_view(rd_kafka_rebalance_protocol(rk_.get())) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (!closing_) {
        Status st = resolve_start(parts);
        if (!st.ok()) warn(st.message());
      }
      if (cooperative) {
        rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), parts);
        if (e) {
          warn(std::string("kafka: cannot take assigned partitions: ") + rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk_.get(), parts);
      }
      note_assigned(parts, true);
      return;
    }
    // Revoked (or lost): make what the sink took durable while the
    // partitions are still ours, then forget them.
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !rd_kafka_assignment_lost(rk_.get())) {
      Status st = commit_parts([&](const Part& p) {
        for (int i = 0; i < parts->cnt; ++i) {
          if (parts->elems[i].partition == p.partition && p.topic == parts->elems[i].topic)
            return true;
        }
        return false;
      });
      if (!st.ok()) warn(st.message());
    }
    note_assigned(parts, false);
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_.get(), parts);
      if (e) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk_.get(), nullptr);
    }
  }

  // Fills in start offsets. In a group only where none is committed (a
  // committed offset wins over --from); beginning/end are left to
  // auto.offset.reset there, which does the same per partition. --from end
  // means the messages written from the start of the run on, which in a
  // topic created since then is all of them: those start at the beginning.
  Status resolve_start(rd_kafka_topic_partition_list_t* parts) {
    const StartPosition& from = opts_.from;
    using K = StartPosition::Kind;
    bool any_created = false;
    for (int i = 0; i < parts->cnt; ++i) {
      any_created = any_created || created_since_start(parts->elems[i].topic);
    }
    if (grouped_) {
      if (from.kind == K::kBeginning || (from.kind == K::kEnd && !any_created)) {
        return Status::Ok();
      }
      rd_kafka_resp_err_t err =
          rd_kafka_committed(rk_.get(), parts, static_cast<int>(opts_.timeout.count()));
      if (err)
        return status_from(err, "cannot read the offsets of kafka group '" + opts_.group + "'");
    }
    std::vector<int> todo;
    for (int i = 0; i < parts->cnt; ++i) {
      if (parts->elems[i].offset < 0) todo.push_back(i);  // no committed offset
    }
    if (todo.empty()) return Status::Ok();
    const int wm_timeout = static_cast<int>(opts_.timeout.count());
    switch (from.kind) {
      case K::kBeginning:
        for (int i : todo) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        return Status::Ok();
      case K::kEnd:
        for (int i : todo) {
          parts->elems[i].offset = created_since_start(parts->elems[i].topic)
                                       ? RD_KAFKA_OFFSET_BEGINNING
                                       : RD_KAFKA_OFFSET_END;
        }
        return Status::Ok();
      case K::kSeq:
      case K::kFromEnd:
        for (int i : todo) {
          rd_kafka_topic_partition_t& e = parts->elems[i];
          int64_t low = 0, high = 0;
          rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
              rk_.get(), e.topic, e.partition, &low, &high, wm_timeout);
          if (err) {
            return status_from(err, "cannot read the bounds of kafka topic '" +
                                        std::string(e.topic) + "' partition " +
                                        std::to_string(e.partition));
          }
          e.offset = start_offset(from, low, high);
        }
        return Status::Ok();
      case K::kTime: {
        PartitionListPtr q(rd_kafka_topic_partition_list_new(static_cast<int>(todo.size())));
        for (int i : todo) {
          rd_kafka_topic_partition_list_add(q.get(), parts->elems[i].topic,
                                            parts->elems[i].partition)
              ->offset = from.value / 1000;  // microseconds -> Kafka's ms
        }
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk_.get(), q.get(), wm_timeout);
        if (err) return status_from(err, "cannot look up kafka offsets by time");
        bool any_missing = false;
        for (size_t k = 0; k < todo.size(); ++k) {
          const rd_kafka_topic_partition_t& r = q->elems[k];
          // -1: no message that new (or a broker that cannot tell, like
          // librdkafka's mock cluster): start at the end.
          if (r.err || r.offset < 0) {
            parts->elems[todo[k]].offset = RD_KAFKA_OFFSET_END;
            any_missing = true;
          } else {
            parts->elems[todo[k]].offset = r.offset;
          }
        }
        if (any_missing && !time_warned_) {
          time_warned_ = true;
          warn(
              "kafka: no message at or after the --from time in some partitions "
              "of '" +
              join_topics() +
              "' (or the broker cannot look up by time): "
              "those start at their end");
        }
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  void note_assigned(const rd_kafka_topic_partition_list_t* parts, bool assigned) {
    for (int i = 0; i < parts->cnt; ++i) {
      Part* p = find(parts->elems[i].topic, parts->elems[i].partition);
      if (p == nullptr) {
        if (!assigned) continue;
        parts_.push_back(Part{parts->elems[i].topic, parts->elems[i].partition});
        p = &parts_.back();
        last_hit_ = parts_.size() - 1;
      }
      p->assigned = assigned;
      p->eof = false;
      if (!assigned) {
        p->dirty = false;
        p->taken = -1;
      }
    }
    if (assigned && parts->cnt > 0) ever_assigned_ = true;
  }

  // True once every assigned partition reported its end.
  bool at_end() const {
    if (!ever_assigned_) return false;
    bool any = false;
    for (const Part& p : parts_) {
      if (!p.assigned) continue;
      any = true;
      if (!p.eof) return false;
    }
    return any || !grouped_;
  }

  Part* find(std::string_view topic, int32_t partition) {
    if (last_hit_ < parts_.size()) {
      Part& p = parts_[last_hit_];
      if (p.partition == partition && p.topic == topic) return &p;
    }
    for (size_t i = 0; i < parts_.size(); ++i) {
      if (parts_[i].partition == partition && parts_[i].topic == topic) {
        last_hit_ = i;
        return &parts_[i];
      }
    }
    return nullptr;
  }

  template <typename Pred>
  Status commit_parts(Pred pred) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(8));
    for (const Part& p : parts_) {
      if (!p.dirty || !pred(p)) continue;
      rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.taken;
    }
    if (list->cnt == 0) return Status::Ok();
    rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list.get(), 0);
    const std::string what = "cannot commit offsets of kafka group '" + opts_.group + "'";
    if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
        err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID) {
      // The group is moving; marks stay dirty and go with the next commit
      // (or are dropped with a revoked partition: its new owner re-reads).
      return Status::Ok();
    }
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) return status_from(err, what);
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& e = list->elems[i];
      if (e.err) {
        return status_from(e.err, what + " (topic '" + e.topic + "' partition " +
                                      std::to_string(e.partition) + ")");
      }
      if (Part* p = find(e.topic, e.partition); p && p->taken == e.offset) p->dirty = false;
    }
    return Status::Ok();
  }

  // Turns `n` raw messages into views; errors and end-of-partition events
  // are consumed here.
  Status take(size_t n, MessageBatch& batch) {
    header_pool_.clear();
    header_ranges_.clear();
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_message_t* rkm = raw_[i];
      if (rkm->err) {
        handle_event(rkm);
        rd_kafka_message_destroy(rkm);
        continue;
      }
      held_.push_back(rkm);
      Message m;
      m.stream = rd_kafka_topic_name(rkm->rkt);
      m.shard = rkm->partition;
      m.seq = rkm->offset;
      rd_kafka_timestamp_type_t tstype;
      int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
      m.ts_us = ts >= 0 ? ts * 1000 : 0;
      if (rkm->key) m.key = std::string_view(static_cast<const char*>(rkm->key), rkm->key_len);
      if (rkm->payload) {
        m.payload = std::string_view(static_cast<const char*>(rkm->payload), rkm->len);
      }
      rd_kafka_headers_t* hdrs = nullptr;
      size_t first = header_pool_.size();
      if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t h = 0;
             rd_kafka_header_get_all(hdrs, h, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++h) {
          header_pool_.push_back(
              {name, value ? std::string_view(static_cast<const char*>(value), size)
                           : std::string_view()});
        }
      }
      header_ranges_.emplace_back(first, header_pool_.size() - first);
      batch.messages.push_back(m);
    }
    // The pool stopped growing: now the spans can point into it.
    for (size_t i = 0; i < batch.messages.size(); ++i) {
      auto [first, count] = header_ranges_[i];
      if (count)
        batch.messages[i].headers = std::span<const Header>(header_pool_.data() + first, count);
    }
    return Status::Ok();
  }

  void handle_event(const rd_kafka_message_t* rkm) {
    const char* topic = rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : nullptr;
    switch (rkm->err) {
      case RD_KAFKA_RESP_ERR__PARTITION_EOF:
        if (topic) {
          if (Part* p = find(topic, rkm->partition)) p->eof = true;
        }
        return;
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR__FATAL: {
        std::string what = topic ? "kafka topic '" + std::string(topic) + "'" : "kafka consumer";
        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
          char buf[512];
          rd_kafka_fatal_error(rk_.get(), buf, sizeof buf);
          pending_error_ = Status::Unavailable(what + ": " + ctx_.mask(buf));
        } else if (pending_error_.ok()) {
          pending_error_ = status_from(rkm->err, what);
        }
        return;
      }
      default: {
        // Transient (a broker restarting, an offset reset): librdkafka
        // recovers by itself; say it once, not per retry.
        std::string text = ctx_.mask(rd_kafka_message_errstr(rkm));
        if (text != last_warning_) {
          last_warning_ = text;
          warn("kafka: " +
               (topic ? "topic '" + std::string(topic) + "' partition " +
                            std::to_string(rkm->partition) + ": "
                      : std::string()) +
               text);
        }
      }
    }
  }

  void release_held() {
    for (rd_kafka_message_t* m : held_) rd_kafka_message_destroy(m);
    held_.clear();
  }

  std::string join_topics() const {
    std::string s;
    for (const std::string& t : uri_.streams) s += (s.empty() ? "" : ",") + t;
    return s;
  }

  KafkaContext ctx_;  // librdkafka's opaque; outlives rk_
  StreamUri uri_;
  ConsumerOptions opts_;
  HandlePtr rk_;
  std::vector<TopicPtr> topics_;
  std::vector<Missing> missing_;      // followed topics not created yet
  std::vector<std::string> created_;  // topics that were missing at the start
  QueuePtr queue_;
  bool grouped_ = false;
  bool ever_assigned_ = false;
  bool closing_ = false;
  bool time_warned_ = false;
  std::atomic<bool> woken_{false};
  Clock::time_point last_heard_ = Clock::now();  // last message or event
  std::vector<Part> parts_;
  size_t last_hit_ = 0;
  std::vector<rd_kafka_message_t*> raw_;
  std::vector<rd_kafka_message_t*> held_;  // behind the last batch's views
  std::vector<Header> header_pool_;
  std::vector<std::pair<size_t, size_t>> header_ranges_;
  Status pending_error_;
  std::string last_warning_;
};

}  // namespace

Result<std::unique_ptr<Consumer>> open_kafka_consumer(const StreamUri& uri,
                                                      const ConsumerOptions& o) {
  if (uri.streams.empty()) {
    return Status::InvalidArgument("no kafka topic in '" + uri.redacted() +
                                   "' (expected kafka://HOST:PORT/TOPIC)");
  }
  Properties props = build_properties(uri, Role::kConsumer, env_properties(environ), {});
  auto c = std::make_unique<KafkaConsumer>(uri, o, secret_values(props));
  SLUICE_RETURN_IF_ERROR(c->open());
  return std::unique_ptr<Consumer>(std::move(c));
}

}  // namespace sluice
