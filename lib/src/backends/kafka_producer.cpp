// The Kafka Producer: rd_kafka_producev with copied bytes, tickets carried
// in each message's opaque, delivery reports folded into a TicketWatermark.
#include <chrono>
#include <cstring>
#include <map>

#include "backends/kafka_backend.h"

extern char** environ;

namespace sluice {
namespace {

using namespace kafka;
using Clock = std::chrono::steady_clock;

class KafkaProducer final : public Producer {
 public:
  KafkaProducer(const StreamUri& uri, const ProducerOptions& opts, std::vector<std::string> secrets)
      : ctx_(uri, std::move(secrets)), uri_(uri), opts_(opts) {
    ctx_.set_owner(this);
  }

  ~KafkaProducer() override {
    // Whatever flush() did not deliver is abandoned (the tool already
    // reported it); do not block in a destructor.
    if (rk_) {
      ctx_.set_quiet(true);
      rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(rk_.get(), 0);
    }
    topics_.clear();
    default_topic_.reset();
    rk_.reset();
  }

  Status open() {
    ctx_.set_quiet(true);
    Properties props = build_properties(uri_, Role::kProducer, env_properties(environ), {});
    auto rk = make_handle(RD_KAFKA_PRODUCER, props, &ctx_, &KafkaProducer::customize, this);
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);
    const std::string& first = uri_.streams.front();
    if (is_valid_topic_name(first)) {
      default_topic_ = new_topic(first);
      if (!default_topic_) {
        return Status::InvalidArgument("invalid kafka topic '" + first + "'");
      }
    }
    // Connect now: a wrong address should fail here, clearly, not after the
    // input was read.
    auto md = wait_for_metadata(rk_.get(), ctx_, nullptr, false, opts_.timeout);
    if (!md.ok()) return md.status();
    ctx_.set_quiet(false);
    return Status::Ok();
  }

  Status produce(const Message& m, uint64_t* ticket) override {
    rd_kafka_topic_t* rkt = topic_for(m.stream);
    if (rkt == nullptr) {
      std::string name(m.stream.empty() ? std::string_view(uri_.streams.front()) : m.stream);
      return Status::InvalidArgument("invalid kafka topic name '" + name +
                                     "' (kafka allows letters, digits, '.', '_' and '-')");
    }
    rd_kafka_headers_t* hdrs = nullptr;
    if (!m.headers.empty()) {
      hdrs = rd_kafka_headers_new(m.headers.size());
      for (const Header& h : m.headers) {
        rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()),
                            h.value.data(), static_cast<ssize_t>(h.value.size()));
      }
    }
    // A tombstone is a NULL value; an empty payload is a zero-length one.
    static const char kEmpty = 0;
    void* value = nullptr;
    size_t value_len = 0;
    if (m.payload) {
      value = const_cast<char*>(m.payload->empty() ? &kEmpty : m.payload->data());
      value_len = m.payload->size();
    }
    void* key = m.key ? const_cast<char*>(m.key->empty() ? &kEmpty : m.key->data()) : nullptr;
    size_t key_len = m.key ? m.key->size() : 0;
    const int32_t partition = m.shard >= 0 ? m.shard : RD_KAFKA_PARTITION_UA;
    const int64_t ts_ms = m.ts_us > 0 ? m.ts_us / 1000 : 0;
    const uint64_t t = watermark_.last_issued() + 1;

    Clock::time_point blocked_since{};
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value, value_len),
          RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_TIMESTAMP(ts_ms),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(t))), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;  // headers now owned by the message
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        // Never drop: serve delivery reports until there is room, bounded
        // by the timeout so a dead cluster cannot hang us forever.
        auto now = Clock::now();
        if (blocked_since == Clock::time_point{}) blocked_since = now;
        if (now - blocked_since > opts_.timeout) {
          if (hdrs) rd_kafka_headers_destroy(hdrs);
          std::string why = ctx_.last_error();
          return Status::Unavailable("kafka producer queue stayed full for " +
                                     std::to_string(opts_.timeout.count()) + " ms: brokers '" +
                                     ctx_.brokers() + "' do not take records" +
                                     (why.empty() ? "" : " (" + why + ")"));
        }
        rd_kafka_poll(rk_.get(), 10);
        deliver_failures();
        continue;
      }
      if (hdrs) rd_kafka_headers_destroy(hdrs);
      std::string where =
          "cannot produce to kafka topic '" + std::string(rd_kafka_topic_name(rkt)) + "'";
      if (partition >= 0) where += " partition " + std::to_string(partition);
      if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        return Status::BadData(where + ": record of " + std::to_string(value_len + key_len) +
                               " bytes is larger than message.max.bytes");
      }
      if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk_.get(), buf, sizeof buf);
        return Status::Unavailable(where + ": " + ctx_.mask(buf));
      }
      return status_from(err, where);
    }
    uint64_t issued = watermark_.issue();
    (void)issued;  // == t: tickets are issued only here, in order
    if (ticket) *ticket = t;
    return Status::Ok();
  }

  Status poll(Millis timeout) override {
    rd_kafka_poll(rk_.get(), static_cast<int>(timeout.count()));
    deliver_failures();
    return Status::Ok();
  }

  Status flush(Millis timeout) override {
    const auto deadline = Clock::now() + timeout;
    while (watermark_.outstanding() > 0) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) break;
      // rd_kafka_flush serves delivery reports itself; slices keep the
      // failure listener prompt.
      rd_kafka_flush(rk_.get(), static_cast<int>(std::min<int64_t>(left.count(), 200)));
      deliver_failures();
    }
    deliver_failures();
    if (watermark_.outstanding() == 0) return Status::Ok();
    std::string n = std::to_string(watermark_.outstanding());
    if (rd_kafka_outq_len(rk_.get()) > 0 && ctx_.all_brokers_down()) {
      return ctx_.unreachable(ctx_.last_error() + " (" + n + " records undelivered)");
    }
    return Status::TimedOut(n + " records not yet acknowledged by kafka '" + ctx_.brokers() + "'" +
                            (ctx_.last_error().empty() ? "" : ": " + ctx_.last_error()));
  }

  uint64_t acknowledged() const override { return watermark_.acknowledged(); }
  uint64_t failed() const override { return failed_; }

 private:
  static void customize(rd_kafka_conf_t* conf, void*) {
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::on_delivery);
  }

  // Runs on the polling thread (rd_kafka_poll/flush). Never throws.
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void*) {
    auto* p = static_cast<KafkaProducer*>(static_cast<KafkaContext*>(rd_kafka_opaque(rk))->owner());
    try {
      p->delivered(m);
    } catch (...) {
    }
  }

  void delivered(const rd_kafka_message_t* m) {
    const uint64_t t = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->_private));
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Remembered, reported after the poll returns: the listener is user
      // code and must not run inside librdkafka.
      std::string where = "record " + std::to_string(t) + " to kafka topic '" +
                          (m->rkt ? rd_kafka_topic_name(m->rkt) : "?") + "'";
      if (m->partition >= 0) where += " partition " + std::to_string(m->partition);
      where += " was not delivered";
      Status st = status_from(m->err, where);
      failures_.emplace_back(
          t, Status(st.code() == StatusCode::kTimedOut ? Status::Unavailable(st.message()) : st));
      ++failed_;
    }
    watermark_.finish(t);
  }

  void deliver_failures() {
    if (failures_.empty()) return;
    std::vector<std::pair<uint64_t, Status>> batch;
    batch.swap(failures_);
    for (const auto& [t, st] : batch) {
      if (listener_) listener_(t, st);
    }
  }

  TopicPtr new_topic(const std::string& name) {
    return TopicPtr(rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr));
  }

  rd_kafka_topic_t* topic_for(std::string_view stream) {
    if (stream.empty() || stream == uri_.streams.front()) return default_topic_.get();
    auto it = topics_.find(stream);
    if (it != topics_.end()) return it->second.get();
    std::string name(stream);
    if (!is_valid_topic_name(name)) return nullptr;
    TopicPtr t = new_topic(name);
    if (!t) return nullptr;
    rd_kafka_topic_t* raw = t.get();
    topics_.emplace(std::move(name), std::move(t));
    return raw;
  }

  KafkaContext ctx_;  // librdkafka's opaque; outlives rk_
  StreamUri uri_;
  ProducerOptions opts_;
  HandlePtr rk_;
  TopicPtr default_topic_;
  std::map<std::string, TopicPtr, std::less<>> topics_;  // per-table routing
  TicketWatermark watermark_;
  uint64_t failed_ = 0;
  std::vector<std::pair<uint64_t, Status>> failures_;
};

}  // namespace

Result<std::unique_ptr<Producer>> open_kafka_producer(const StreamUri& uri,
                                                      const ProducerOptions& o) {
  if (uri.streams.empty()) {
    return Status::InvalidArgument("no kafka topic in '" + uri.redacted() +
                                   "' (expected kafka://HOST:PORT/TOPIC)");
  }
  Properties props = build_properties(uri, Role::kProducer, env_properties(environ), {});
  auto p = std::make_unique<KafkaProducer>(uri, o, secret_values(props));
  SLUICE_RETURN_IF_ERROR(p->open());
  return std::unique_ptr<Producer>(std::move(p));
}

}  // namespace sluice
