// CdcSink implementations: stdout (OutputSink) and stream producers with
// per-table routing (see sluice/cdc.h).
#include <unistd.h>

#include <set>

#include "sluice/cdc.h"
#include "sluice/envelope.h"
#include "sluice/sink.h"
#include "sluice/uri.h"

namespace sluice {

namespace {

constexpr size_t kFlushBytes = 1u << 20;

class StdoutCdcSink final : public CdcSink {
 public:
  explicit StdoutCdcSink(bool with_key) : out_(1, false), with_key_(with_key) {}

  Status emit(const CdcRoute&, std::optional<std::string_view> key,
              std::optional<std::string_view> value, uint64_t* ticket) override {
    std::string& b = out_.buffer();
    std::string_view v = value ? *value : std::string_view("null");
    if (with_key_) {
      b.append("{\"key\":");
      if (key)
        b.append(*key);
      else
        b.append("null");
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
    Status st = out_.drain(timeout);
    if (st.is(StatusCode::kTimedOut))
      return Status::TimedOut("the reader of stdout has not taken every event");
    return st;
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

  Status emit(const CdcRoute& route, std::optional<std::string_view> key,
              std::optional<std::string_view> value, uint64_t* ticket) override {
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

  Status poll(Millis timeout) override {
    return producer_ ? producer_->poll(timeout) : Status::Ok();
  }
  Status flush(Millis timeout) override {
    return producer_ ? producer_->flush(timeout) : Status::Ok();
  }
  uint64_t acknowledged() override { return producer_ ? producer_->acknowledged() : 0; }
  Status error() const override { return error_; }
  bool keyed_stream() const override { return true; }

 private:
  void expand(const CdcRoute& route) {
    if (route.transaction) {
      // Debezium's transaction topic: <prefix>.transaction, where the
      // prefix is the template up to its first placeholder.
      std::string prefix = template_.substr(0, template_.find('{'));
      while (!prefix.empty() &&
             (prefix.back() == '.' || prefix.back() == '_' || prefix.back() == '-')) {
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
          if (name == "db") {
            append_stream_name_part(route.db, stream_);
            i = end + 1;
            continue;
          }
          if (name == "schema") {
            append_stream_name_part(route.schema, stream_);
            i = end + 1;
            continue;
          }
          if (name == "table") {
            append_stream_name_part(route.table, stream_);
            i = end + 1;
            continue;
          }
        }
      }
      stream_.push_back(template_[i++]);
    }
    if (stream_ == "." || stream_ == "..") stream_.assign(stream_.size(), '_');
    if (!route.schema.empty()) warn_renamed(route);
  }

  // Once per table whose name had to change to make its stream's.
  void warn_renamed(const CdcRoute& route) {
    if (route.schema == last_schema_ && route.table == last_table_) return;  // no lookup per event
    last_schema_.assign(route.schema);
    last_table_.assign(route.table);
    std::string raw;
    raw.reserve(route.schema.size() + 1 + route.table.size());
    raw.append(route.schema).append(".").append(route.table);
    if (!renamed_.insert(raw).second) return;
    std::string plain;
    append_stream_name_part(raw, plain);
    if (plain == raw) return;
    warn("table '" + raw + "' goes to stream '" + stream_ +
         "' (characters other than letters, digits, '.', '_' and '-' become '_' in stream names)");
  }

  StreamUri uri_;
  ProducerOptions opts_;
  bool routed_ = false;
  std::string template_;
  std::string stream_;
  std::set<std::string> renamed_;  // schema.table seen by warn_renamed
  std::string last_schema_, last_table_;
  std::unique_ptr<Producer> producer_;
  Status error_;
};

}  // namespace

void append_stream_name_part(std::string_view value, std::string& out) {
  bool in_utf8 = false;  // inside a multi-byte character already replaced
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      in_utf8 = false;
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      out.push_back(ok ? static_cast<char>(c) : '_');
    } else if (c >= 0xC0 || !in_utf8) {  // a lead byte (or a stray one): one '_' per character
      in_utf8 = true;
      out.push_back('_');
    }
  }
}

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
