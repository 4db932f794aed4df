// FileProducer, FileConsumer and FileAdmin: backend.h over the embedded log.

#include "backends/file_backend.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "filelog/filelog.h"

namespace sluice {

namespace {

using filelog::ChangeWaiter;
using filelog::ConsumerGroup;
using filelog::LogReader;
using filelog::LogWriter;

// Past this many buffered bytes a produce() writes the batch first.
constexpr size_t kBatchBytes = 256 << 10;

Status check_stream_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid stream name '" + std::string(name) +
                                   "' (it must not be empty or contain '/')");
  }
  return Status::Ok();
}

std::string cluster_dir(const StreamUri& uri) {
  return uri.dir.empty() ? std::string(".") : uri.dir;
}

// ------------------------------------------------------------------ producer

class FileProducer final : public Producer {
 public:
  FileProducer(StreamUri uri, const ProducerOptions& opts, Env* env)
      : uri_(std::move(uri)), opts_(opts), env_(env) {}

  ~FileProducer() override {
    // Records accepted but never flushed still go to the log; nobody is
    // left to hear about a failure.
    listener_ = nullptr;
    (void)write_pending();
  }

  Status init() {
    if (uri_.streams.empty()) {
      return Status::InvalidArgument("'" + uri_.redacted() + "' names no stream");
    }
    Result<Target*> t = target(uri_.streams[0]);
    return t.ok() ? Status::Ok() : t.status();
  }

  Status produce(const Message& m, uint64_t* ticket) override {
    Target* t = last_;
    std::string_view name = m.stream.empty() ? std::string_view(uri_.streams[0]) : m.stream;
    if (!t || t->name != name) {
      Result<Target*> r = target(name);
      if (!r.ok()) return r.status();
      t = last_ = *r;
    }
    // Segments roll between batches, so a batch is kept well under the
    // segment size: a small --segment-bytes stays (nearly) exact.
    const size_t limit = std::min<size_t>(
        kBatchBytes,
        static_cast<size_t>(std::max<int64_t>(4096, t->writer->settings().segment_bytes / 4)));
    if (t->writer->batch_bytes() >= limit) {
      // Write before accepting, so an error here means "not accepted".
      SLUICE_RETURN_IF_ERROR(write_pending());
    }
    SLUICE_RETURN_IF_ERROR(t->writer->add(m));
    t->tickets.push_back(++last_ticket_);
    if (ticket) *ticket = last_ticket_;
    return Status::Ok();
  }

  Status poll(Millis) override {
    Status st = write_pending();
    for (auto& t : targets_) {
      Status s = t->writer->maybe_sync();
      if (st.ok() && !s.ok()) st = s;
    }
    return st;
  }

  Status flush(Millis timeout) override { return poll(timeout); }

  uint64_t acknowledged() const override { return acked_; }
  uint64_t failed() const override { return failed_; }

  void discard_if_unused() override {
    for (auto& t : targets_) {
      if (t->tickets.empty()) t->writer->remove_if_unused();
    }
  }

 private:
  struct Target {
    std::string name;
    std::unique_ptr<LogWriter> writer;
    std::vector<uint64_t> tickets;  // of the records in the writer's batch
  };

  Result<Target*> target(std::string_view name) {
    for (auto& t : targets_) {
      if (t->name == name) return t.get();
    }
    SLUICE_RETURN_IF_ERROR(check_stream_name(name));
    filelog::WriterOptions wo;
    wo.env = env_;
    wo.fsync = opts_.fsync;
    wo.fsync_interval = opts_.fsync_interval;
    wo.create_settings.segment_bytes = opts_.segment_bytes;
    wo.create_settings.retention_bytes = opts_.retention_bytes;
    wo.create_settings.retention_ms = opts_.retention_ms;
    wo.change_segment_bytes = opts_.change_segment_bytes;
    wo.change_retention = opts_.change_retention;
    Result<std::unique_ptr<LogWriter>> w = LogWriter::Open(uri_.stream_path(name), wo);
    if (!w.ok()) return w.status();
    auto t = std::make_unique<Target>();
    t->name = std::string(name);
    t->writer = std::move(*w);
    t->tickets.reserve(4096);
    targets_.push_back(std::move(t));
    return targets_.back().get();
  }

  // Writes every target's batch; afterwards every ticket so far is
  // finished (written or failed and reported).
  Status write_pending() {
    Status first_error;
    for (auto& t : targets_) {
      if (t->tickets.empty()) continue;
      Status st = t->writer->write_batch();
      if (!st.ok()) {
        failed_ += t->tickets.size();
        if (listener_) {
          for (uint64_t tk : t->tickets) listener_(tk, st);
        }
        if (first_error.ok()) first_error = st;
      }
      t->tickets.clear();
    }
    acked_ = last_ticket_;
    return first_error;
  }

  StreamUri uri_;
  ProducerOptions opts_;
  Env* env_;
  std::vector<std::unique_ptr<Target>> targets_;
  Target* last_ = nullptr;
  uint64_t last_ticket_ = 0;
  uint64_t acked_ = 0;
  uint64_t failed_ = 0;
};

// ------------------------------------------------------------------ consumer

class FileConsumer final : public Consumer {
 public:
  FileConsumer(StreamUri uri, const ConsumerOptions& opts, Env* env)
      : uri_(std::move(uri)), opts_(opts), env_(env) {}

  Status init() {
    if (uri_.streams.empty()) {
      return Status::InvalidArgument("'" + uri_.redacted() + "' names no stream");
    }
    Result<std::unique_ptr<ChangeWaiter>> w = ChangeWaiter::Create();
    if (!w.ok()) return w.status();
    waiter_ = std::move(*w);
    for (const std::string& name : uri_.streams) {
      SLUICE_RETURN_IF_ERROR(check_stream_name(name));
      auto c = std::make_unique<Cursor>();
      c->name = name;
      c->dir = uri_.stream_path(name);
      cursors_.push_back(std::move(c));
    }
    for (auto& c : cursors_) {
      Status st = try_start(*c);
      if (st.is(StatusCode::kNotFound) && !opts_.exit_at_end) {
        // Following a stream that is not there yet is fine (a producer may
        // come later), but a mistyped name must not wait without a word.
        warn(st.message() + ": waiting for it to be created");
        continue;
      }
      SLUICE_RETURN_IF_ERROR(st);
    }
    return Status::Ok();
  }

  Status poll(MessageBatch& batch, Millis timeout) override {
    batch.clear();
    if (!pending_.ok()) return std::exchange(pending_, Status::Ok());
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      bool all_at_end = true;
      bool missing = false;
      for (auto& c : cursors_) {
        if (!c->reader) {
          Status st = try_start(*c);
          if (st.is(StatusCode::kNotFound)) {
            missing = true;
            continue;
          }
          SLUICE_RETURN_IF_ERROR(st);
        }
        if (batch.size() >= opts_.max_batch) {
          all_at_end = false;
          break;
        }
        bool at_end = false;
        Status st = c->reader->read(&batch.messages, opts_.max_batch - batch.size(), &at_end);
        if (!st.ok()) {
          // Hand out what the other streams gave first; the error ends the
          // next poll.
          if (batch.empty()) return st;
          pending_ = st;
          return Status::Ok();
        }
        if (!at_end) all_at_end = false;
      }
      if (!batch.empty()) return Status::Ok();
      if (opts_.exit_at_end && all_at_end) return Status::EndOfStream();
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return Status::Ok();
      auto left = std::chrono::duration_cast<Millis>(deadline - now) + Millis(1);
      // A missing stream directory cannot be watched: look again soon.
      if (missing && left > Millis(10)) left = Millis(10);
      if (waiter_->wait(left) == ChangeWaiter::Event::kWoken) return Status::Ok();
    }
  }

  void mark_taken(const Message& m) override {
    for (auto& c : cursors_) {
      if (c->name == m.stream || cursors_.size() == 1) {
        if (m.seq + 1 > c->taken) c->taken = m.seq + 1;
        return;
      }
    }
  }

  Status commit() override {
    for (auto& c : cursors_) {
      if (!c->group || c->taken < 0 || c->taken == c->committed) continue;
      SLUICE_RETURN_IF_ERROR(c->group->store(c->taken));
      c->committed = c->taken;
    }
    return Status::Ok();
  }

  void wake() override { waiter_->wake(); }

  uint64_t skipped() const override {
    uint64_t n = 0;
    for (const auto& c : cursors_) {
      if (c->reader) n += static_cast<uint64_t>(c->reader->skipped_records());
    }
    return n;
  }

 private:
  struct Cursor {
    std::string name;
    std::string dir;
    std::unique_ptr<LogReader> reader;
    std::unique_ptr<ConsumerGroup> group;
    int64_t taken = -1;      // next seq to commit
    int64_t committed = -1;  // what the group file holds
  };

  // Opens the reader (kNotFound while the stream does not exist), joins the
  // group and positions the reader.
  Status try_start(Cursor& c) {
    ReaderOptions ro;
    ro.env = env_;
    ro.on_corrupt = opts_.skip_corrupt ? filelog::OnCorrupt::kSkip : filelog::OnCorrupt::kFail;
    Result<std::unique_ptr<LogReader>> r = LogReader::Open(c.dir, c.name, ro);
    if (!r.ok()) return r.status();
    std::unique_ptr<LogReader> reader = std::move(*r);
    waiter_->watch(c.dir);
    if (!opts_.group.empty()) {
      Result<std::unique_ptr<ConsumerGroup>> g =
          ConsumerGroup::Join(env_, c.dir, c.name, opts_.group);
      if (!g.ok()) return g.status();
      c.group = std::move(*g);
      Result<int64_t> committed = c.group->load();
      if (!committed.ok()) return committed.status();
      c.committed = *committed;
    }
    if (c.committed >= 0) {
      int64_t lost = 0;
      SLUICE_RETURN_IF_ERROR(reader->seek_to_seq(c.committed, &lost));
      if (lost > 0) {
        warn("group '" + opts_.group + "' of stream '" + c.name + "': " + std::to_string(lost) +
             " records lost to retention (committed seq " + std::to_string(c.committed) +
             ", oldest retained seq " + std::to_string(c.committed + lost) + ")");
      }
    } else {
      SLUICE_RETURN_IF_ERROR(reader->seek(opts_.from));
    }
    c.reader = std::move(reader);
    return Status::Ok();
  }

  using ReaderOptions = filelog::ReaderOptions;
  StreamUri uri_;
  ConsumerOptions opts_;
  Env* env_;
  std::unique_ptr<ChangeWaiter> waiter_;
  std::vector<std::unique_ptr<Cursor>> cursors_;
  Status pending_;  // an error that waits for the batch before it
};

// --------------------------------------------------------------------- admin

class FileAdmin final : public Admin {
 public:
  FileAdmin(StreamUri uri, Env* env) : uri_(std::move(uri)), env_(env) {}

  Result<std::vector<StreamInfo>> describe(const std::vector<std::string>& only) override {
    std::vector<std::string> names = only;
    if (names.empty()) {
      Result<std::vector<std::string>> entries = env_->list_dir(cluster_dir(uri_));
      if (!entries.ok()) return entries.status();
      for (const std::string& e : *entries) {
        if (e.empty() || e[0] == '.') continue;
        Result<std::vector<int64_t>> segs = filelog::list_segments(env_, uri_.stream_path(e));
        if (segs.ok() && !segs->empty()) names.push_back(e);
      }
      std::sort(names.begin(), names.end());
    }
    std::vector<StreamInfo> out;
    for (const std::string& n : names) {
      SLUICE_RETURN_IF_ERROR(check_stream_name(n));
      Result<StreamInfo> info = filelog::describe_stream(env_, uri_.stream_path(n), n);
      if (!info.ok()) {
        if (info.status().is(StatusCode::kNotFound)) {
          return Status::NotFound("stream '" + n + "' does not exist in '" + cluster_dir(uri_) +
                                  "'");
        }
        return info.status();
      }
      out.push_back(std::move(*info));
    }
    return out;
  }

 private:
  StreamUri uri_;
  Env* env_;
};

}  // namespace

Result<std::unique_ptr<Producer>> open_file_producer(const StreamUri& uri,
                                                     const ProducerOptions& opts, Env* env) {
  auto p = std::make_unique<FileProducer>(uri, opts, env);
  SLUICE_RETURN_IF_ERROR(p->init());
  return std::unique_ptr<Producer>(std::move(p));
}

Result<std::unique_ptr<Consumer>> open_file_consumer(const StreamUri& uri,
                                                     const ConsumerOptions& opts, Env* env) {
  auto c = std::make_unique<FileConsumer>(uri, opts, env);
  SLUICE_RETURN_IF_ERROR(c->init());
  return std::unique_ptr<Consumer>(std::move(c));
}

Result<std::unique_ptr<Admin>> open_file_admin(const StreamUri& uri, Env* env) {
  return std::unique_ptr<Admin>(std::make_unique<FileAdmin>(uri, env));
}

Result<std::unique_ptr<Producer>> open_file_producer(const StreamUri& uri,
                                                     const ProducerOptions& opts) {
  return open_file_producer(uri, opts, Env::Default());
}

Result<std::unique_ptr<Consumer>> open_file_consumer(const StreamUri& uri,
                                                     const ConsumerOptions& opts) {
  return open_file_consumer(uri, opts, Env::Default());
}

Result<std::unique_ptr<Admin>> open_file_admin(const StreamUri& uri) {
  return open_file_admin(uri, Env::Default());
}

}  // namespace sluice
