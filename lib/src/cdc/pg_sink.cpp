// CdcSink implementations: stdout (OutputSink) and stream producers with
// per-table routing (see sluice/cdc_pg.h).
#include <unistd.h>

#include <chrono>
#include <thread>

#include "sluice/cdc_pg.h"
#include "sluice/envelope.h"
#include "sluice/sink.h"
#include "sluice/uri.h"

namespace sluice {

namespace {

constexpr size_t kFlushBytes = 1u << 20;

class StdoutCdcSink final : public CdcSink {
 public:
  explicit StdoutCdcSink(bool with_key) : out_(1, false), with_key_(with_key) {}

  Status emit(const CdcRoute&, std::optional<std::string_view> key, std::optional<std::string_view> value,
              uint64_t* ticket) override {
    std::string& b = out_.buffer();
    std::string_view v = value ? *value : std::string_view("null");
    if (with_key_) {
      b.append("{\"key\":");
      if (key) b.append(*key); else b.append("null");
      b.append(",\"value\":");
      b.append(v);
      b.append("}\n");
    } else {
      b.append(v);
      b.push_back('\n');
    }
    out_.end_record();
    *ticket = out_.records();
    if (b.size() >= kFlushBytes) return out_.flush();
    return Status::Ok();
  }

  Status poll(Millis) override {
    if (!out_.pending()) return Status::Ok();
    return out_.flush();
  }

  Status flush(Millis timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      Status st = out_.flush();
      if (!st.ok()) return st;
      if (out_.taken() >= out_.records()) return Status::Ok();
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::TimedOut("the reader of stdout has not taken every event");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  uint64_t acknowledged() override { return out_.taken(); }
  Status error() const override { return Status::Ok(); }
  bool keyed_stream() const override { return false; }

 private:
  OutputSink out_;
  bool with_key_;
};

class ProducerCdcSink final : public CdcSink {
 public:
  ProducerCdcSink(StreamUri uri, const ProducerOptions& opts) : uri_(std::move(uri)), opts_(opts) {
    const std::string& s = uri_.streams.empty() ? std::string() : uri_.streams[0];
    routed_ = s.find('{') != std::string::npos;
    template_ = s;
  }

  Status emit(const CdcRoute& route, std::optional<std::string_view> key, std::optional<std::string_view> value,
              uint64_t* ticket) override {
    stream_.clear();
    if (routed_) expand(route);
    if (!producer_) {
      StreamUri u = uri_;
      if (routed_ && !u.streams.empty()) u.streams[0] = stream_;
      auto p = open_producer(u, opts_);
      if (!p.ok()) return p.status();
      producer_ = std::move(*p);
      producer_->set_delivery_listener([this](uint64_t, const Status& st) {
        if (error_.ok()) error_ = st;
      });
    }
    Message m;
    m.stream = stream_;
    m.key = key;
    m.payload = value;
    return producer_->produce(m, ticket);
  }

  Status poll(Millis timeout) override { return producer_ ? producer_->poll(timeout) : Status::Ok(); }
  Status flush(Millis timeout) override { return producer_ ? producer_->flush(timeout) : Status::Ok(); }
  uint64_t acknowledged() override { return producer_ ? producer_->acknowledged() : 0; }
  Status error() const override { return error_; }
  bool keyed_stream() const override { return true; }

 private:
  void expand(const CdcRoute& route) {
    if (route.transaction) {
      // Debezium's transaction topic: <prefix>.transaction, where the
      // prefix is the template up to its first placeholder.
      std::string prefix = template_.substr(0, template_.find('{'));
      while (!prefix.empty() && (prefix.back() == '.' || prefix.back() == '_' || prefix.back() == '-')) {
        prefix.pop_back();
      }
      stream_ = (prefix.empty() ? std::string(route.db) : prefix) + ".transaction";
      return;
    }
    for (size_t i = 0; i < template_.size();) {
      if (template_[i] == '{') {
        size_t end = template_.find('}', i);
        if (end != std::string::npos) {
          std::string_view name(template_.data() + i + 1, end - i - 1);
          if (name == "db") { stream_.append(route.db); i = end + 1; continue; }
          if (name == "schema") { stream_.append(route.schema); i = end + 1; continue; }
          if (name == "table") { stream_.append(route.table); i = end + 1; continue; }
        }
      }
      stream_.push_back(template_[i++]);
    }
  }

  StreamUri uri_;
  ProducerOptions opts_;
  bool routed_ = false;
  std::string template_;
  std::string stream_;
  std::unique_ptr<Producer> producer_;
  Status error_;
};

}  // namespace

Result<std::unique_ptr<CdcSink>> open_cdc_sink(std::string_view destination, bool with_key,
                                               const ProducerOptions& opts) {
  if (destination == "-" || destination == "stdio:") {
    return std::unique_ptr<CdcSink>(new StdoutCdcSink(with_key));
  }
  auto uri = parse_stream_uri(destination);
  if (!uri.ok()) return uri.status();
  if (uri->scheme == Scheme::kStdio) return std::unique_ptr<CdcSink>(new StdoutCdcSink(with_key));
  return std::unique_ptr<CdcSink>(new ProducerCdcSink(std::move(*uri), opts));
}

}  // namespace sluice
