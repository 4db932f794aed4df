#include "backends/stdio_backend.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "sluice/envelope.h"
#include "sluice/reader.h"
#include "sluice/sink.h"

namespace sluice {
namespace {

constexpr size_t kFlushBytes = 64 * 1024;

// Envelopes on stdout. A record is acknowledged once the reader took it
// (OutputSink::taken: read out of a pipe, or written to a file or a tty),
// the meaning tap's output and the CDC tools' stdout share; when the
// reader goes away, every record it had not taken fails.
class StdioProducer final : public Producer {
 public:
  explicit StdioProducer(int fd) : out_(fd, false) {}
  ~StdioProducer() override { (void)write_out(); }

  Status produce(const Message& m, uint64_t* ticket) override {
    if (!broken_.ok()) return broken_;
    Message copy = m;
    if (copy.ts_us == 0) copy.ts_us = now_us();
    if (copy.seq < 0) copy.seq = static_cast<int64_t>(out_.records());
    if (copy.shard < 0) copy.shard = 0;
    std::string& buf = out_.buffer();
    const size_t mark = buf.size();
    encode_envelope(copy, buf);
    buf += '\n';
    out_.end_record();
    if (ticket) *ticket = out_.records();
    unwritten_ += buf.size() - mark;
    if (unwritten_ >= kFlushBytes) return write_out();
    return Status::Ok();
  }
  Status poll(Millis) override { return write_out(); }
  Status flush(Millis timeout) override {
    if (!broken_.ok()) return Status::Ok();
    Status st = out_.drain(timeout);
    if (st.is(StatusCode::kClosed)) fail_untaken(st);
    return st;
  }
  uint64_t acknowledged() const override { return broken_.ok() ? out_.taken() : out_.records(); }
  uint64_t failed() const override { return failed_; }

 private:
  Status write_out() {
    unwritten_ = 0;
    if (!broken_.ok() || !out_.pending()) return Status::Ok();
    Status st = out_.flush();
    if (st.is(StatusCode::kClosed) || (!st.ok() && !st.is(StatusCode::kTryAgain))) {
      fail_untaken(st);
    }
    return st;
  }
  // Nothing the reader had not taken reached it: fail those tickets.
  void fail_untaken(const Status& st) {
    broken_ = st.is(StatusCode::kClosed) ? Status::Closed("stdout was closed by its reader")
                                         : st.With("cannot write to stdout");
    for (uint64_t t = out_.taken() + 1; t <= out_.records(); ++t) {
      ++failed_;
      if (listener_) listener_(t, st);
    }
  }

  mutable OutputSink out_;  // taken() settles what the reader took
  size_t unwritten_ = 0;    // bytes queued since the last write
  uint64_t failed_ = 0;
  Status broken_;  // why nothing more can be written
};

class StdioConsumer final : public Consumer {
 public:
  StdioConsumer(int fd, bool exit_at_end)
      : fd_(fd), reader_(fd, Framing::Line(), 64u << 20), exit_at_end_(exit_at_end) {
    if (pipe(wake_) != 0) wake_[0] = wake_[1] = -1;
  }
  ~StdioConsumer() override {
    if (wake_[0] >= 0) close(wake_[0]);
    if (wake_[1] >= 0) close(wake_[1]);
  }

  // One message per batch: each view points into the decoder.
  Status poll(MessageBatch& batch, Millis timeout) override {
    batch.clear();
    if (eof_) return Status::EndOfStream();
    for (;;) {
      std::string_view line;
      switch (reader_.next(&line)) {
        case RecordReader::Next::kRecord: {
          if (line.empty()) continue;
          Message m;
          Status st = decoder_.decode(line, m);
          if (!st.ok()) {
            return st.With("stdin line " + std::to_string(reader_.record_number()));
          }
          batch.messages.push_back(m);
          return Status::Ok();
        }
        case RecordReader::Next::kEof:
          eof_ = true;
          // Unlike a log, stdin cannot be followed past its end.
          (void)exit_at_end_;
          return Status::EndOfStream();
        case RecordReader::Next::kWouldBlock: {
          struct pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
          int n = ::poll(p, wake_[0] >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
          if (n <= 0) return Status::Ok();
          if (p[1].revents & POLLIN) {
            char drain[64];
            (void)!::read(wake_[0], drain, sizeof drain);
            return Status::Ok();
          }
          continue;
        }
        case RecordReader::Next::kOversized:
          return Status::BadData("stdin line " + std::to_string(reader_.record_number()) +
                                 ": envelope longer than 64 MiB");
        case RecordReader::Next::kCutShort:  // length-prefixed only; envelopes are lines
          return Status::BadData("stdin record " + std::to_string(reader_.record_number()) + ": " +
                                 reader_.cut_short_reason());
        case RecordReader::Next::kError:
          return reader_.status();
      }
    }
  }
  void mark_taken(const Message&) override {}
  Status commit() override { return Status::Ok(); }
  void wake() override {
    if (wake_[1] >= 0) (void)!::write(wake_[1], "w", 1);
  }

 private:
  int fd_;
  RecordReader reader_;
  EnvelopeDecoder decoder_;
  bool exit_at_end_;
  bool eof_ = false;
  int wake_[2] = {-1, -1};
};

}  // namespace

Result<std::unique_ptr<Producer>> open_stdio_producer(const StreamUri&, const ProducerOptions&,
                                                      int fd) {
  return std::unique_ptr<Producer>(new StdioProducer(fd));
}

Result<std::unique_ptr<Consumer>> open_stdio_consumer(const StreamUri&, const ConsumerOptions& o,
                                                      int fd) {
  if (!o.group.empty()) {
    return Status::InvalidArgument("consumer groups need a stream backend; stdin ('-') has none");
  }
  return std::unique_ptr<Consumer>(new StdioConsumer(fd, o.exit_at_end));
}

}  // namespace sluice
