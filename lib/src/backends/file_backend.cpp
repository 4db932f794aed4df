// FileProducer and FileConsumer: backend.h over the embedded log (FileAdmin
// is in file_admin.cpp).

#include "backends/file_backend.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/partition.h"
#include "filelog/filelog.h"

namespace sluice {

Status check_file_stream_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid stream name '" + std::string(name) +
                                   "' (it must not be empty or contain '/')");
  }
  return Status::Ok();
}

std::string file_cluster_dir(const StreamUri& uri) {
  return uri.dir.empty() ? std::string(".") : uri.dir;
}

namespace {

using filelog::ChangeWaiter;
using filelog::ConsumerGroup;
using filelog::GroupMembership;
using filelog::LogReader;
using filelog::LogWriter;
using filelog::StreamSettings;

// Past this many buffered bytes a produce() writes the batch first.
constexpr size_t kBatchBytes = 256 << 10;

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
    const int32_t shards = static_cast<int32_t>(t->shards.size());
    int32_t k = t->keyless_shard;
    if (m.shard >= 0) {
      if (m.shard >= shards) {
        return Status::InvalidArgument("stream '" + t->name + "' has no shard " +
                                       std::to_string(m.shard) + " (it has " +
                                       std::to_string(shards) + ")");
      }
      k = m.shard;
    } else if (m.key && shards > 1) {
      k = shard_for_key(*m.key, shards);
    }
    Shard& s = t->shards[k];
    // Segments roll between batches, so a batch is kept well under the
    // segment size: a small --segment-bytes stays (nearly) exact.
    const size_t limit = std::min<size_t>(
        kBatchBytes,
        static_cast<size_t>(std::max<int64_t>(4096, s.writer->settings().segment_bytes / 4)));
    if (s.writer->batch_bytes() >= limit) {
      // Write before accepting, so an error here means "not accepted".
      SLUICE_RETURN_IF_ERROR(write_pending());
    }
    SLUICE_RETURN_IF_ERROR(s.writer->add(m));
    s.tickets.push_back(++last_ticket_);
    ++t->unwritten;
    if (ticket) *ticket = last_ticket_;
    return Status::Ok();
  }

  Status poll(Millis) override {
    Status st = write_pending();
    for (auto& t : targets_) {
      for (Shard& s : t->shards) {
        Status ss = s.writer->maybe_sync();
        if (st.ok() && !ss.ok()) st = ss;
      }
    }
    return st;
  }

  Status flush(Millis timeout) override { return poll(timeout); }

  uint64_t acknowledged() const override { return acked_; }
  uint64_t failed() const override { return failed_; }

  void discard_if_unused() override {
    for (auto& t : targets_) {
      // The first shard's writer removes the whole stream, every shard,
      // when none holds a record.
      if (t->unwritten == 0) t->shards.front().writer->remove_if_unused();
    }
  }

 private:
  struct Shard {
    std::unique_ptr<LogWriter> writer;
    std::vector<uint64_t> tickets;  // of the records in the writer's batch
  };
  struct Target {
    std::string name;
    std::vector<Shard> shards;
    int32_t keyless_shard = 0;  // where keyless records go, batch by batch
    size_t unwritten = 0;       // records accepted since the last write
  };

  Result<Target*> target(std::string_view name) {
    for (auto& t : targets_) {
      if (t->name == name) return t.get();
    }
    SLUICE_RETURN_IF_ERROR(check_file_stream_name(name));
    filelog::WriterOptions wo;
    wo.env = env_;
    wo.fsync = opts_.fsync;
    wo.fsync_interval = opts_.fsync_interval;
    wo.create_settings.shards = opts_.shards > 0 ? opts_.shards : 1;
    wo.require_shards = opts_.shards > 0;
    wo.create_settings.segment_bytes = opts_.segment_bytes;
    wo.create_settings.retention_bytes = opts_.retention_bytes;
    wo.create_settings.retention_ms = opts_.retention_ms;
    wo.change_segment_bytes = opts_.change_segment_bytes;
    wo.change_retention = opts_.change_retention;
    auto t = std::make_unique<Target>();
    t->name = std::string(name);
    const std::string dir = uri_.stream_path(name);
    for (int32_t k = 0;; ++k) {
      wo.shard = k;
      Result<std::unique_ptr<LogWriter>> w = LogWriter::Open(dir, wo);
      if (!w.ok()) return w.status();
      Shard s;
      s.writer = std::move(*w);
      s.tickets.reserve(k == 0 ? 4096 : 256);
      const int32_t shards = s.writer->settings().shards;
      t->shards.push_back(std::move(s));
      if (k + 1 >= shards) break;
      // The stream exists now: the other shards only open it.
      wo.change_segment_bytes = wo.change_retention = false;
    }
    targets_.push_back(std::move(t));
    return targets_.back().get();
  }

  // Writes every target's batches; afterwards every ticket so far is
  // finished (written or failed and reported).
  Status write_pending() {
    Status first_error;
    for (auto& t : targets_) {
      if (t->unwritten == 0) continue;
      for (Shard& s : t->shards) {
        if (s.tickets.empty()) continue;
        Status st = s.writer->write_batch();
        if (!st.ok()) {
          failed_ += s.tickets.size();
          if (listener_) {
            for (uint64_t tk : s.tickets) listener_(tk, st);
          }
          if (first_error.ok()) first_error = st;
        }
        s.tickets.clear();
      }
      t->unwritten = 0;
      // Keyless records spread over the shards a batch at a time.
      t->keyless_shard = (t->keyless_shard + 1) % static_cast<int32_t>(t->shards.size());
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
      : uri_(std::move(uri)), opts_(opts), env_(env) {
    // Dead members are found by looking; joins also show as directory
    // changes, which wake a waiting member at once.
    const Millis session =
        opts_.session_timeout > Millis(0) ? opts_.session_timeout : Millis(10000);
    check_interval_ = std::clamp<Millis>(session / 4, Millis(10), Millis(1000));
  }

  ~FileConsumer() override {
    // Shards are released by closing their groups (the caller committed
    // what it took); the membership file goes last.
    for (auto& c : cursors_) c->shards.clear();
  }

  Status init() {
    if (uri_.streams.empty()) {
      return Status::InvalidArgument("'" + uri_.redacted() + "' names no stream");
    }
    Result<std::unique_ptr<ChangeWaiter>> w = ChangeWaiter::Create();
    if (!w.ok()) return w.status();
    waiter_ = std::move(*w);
    for (const std::string& name : uri_.streams) {
      SLUICE_RETURN_IF_ERROR(check_file_stream_name(name));
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
    auto deadline = Clock::now() + timeout;
    for (;;) {
      bool all_at_end = true;
      bool missing = false;
      Clock::time_point next_check = deadline;
      for (auto& c : cursors_) {
        if (!c->started) {
          Status st = try_start(*c);
          if (st.is(StatusCode::kNotFound)) {
            missing = true;
            continue;
          }
          SLUICE_RETURN_IF_ERROR(st);
        }
        if (c->member) {
          SLUICE_RETURN_IF_ERROR(maintain_group(*c));
          next_check = std::min(next_check, c->next_check);
          if (!group_at_end(*c)) all_at_end = false;
        }
      }
      // Shards take turns at the first place in a batch, so that a busy
      // shard does not starve the others.
      const size_t first = rotate_++;
      for (auto& c : cursors_) {
        const size_t n = c->shards.size();
        for (size_t i = 0; i < n; ++i) {
          Shard& s = c->shards[(first + i) % n];
          if (!s.reader || s.releasing) continue;
          if (batch.size() >= opts_.max_batch) {
            all_at_end = false;
            break;
          }
          const size_t before = batch.size();
          bool at_end = false;
          Status st = s.reader->read(&batch.messages, opts_.max_batch - batch.size(), &at_end);
          if (batch.size() > before) {
            s.delivered = batch.messages.back().seq + 1;
            delivered_any_ = true;
          }
          s.at_end = at_end;
          if (!st.ok()) {
            // Hand out what the other shards gave first; the error ends the
            // next poll.
            if (batch.empty()) return st;
            pending_ = st;
            return Status::Ok();
          }
          if (!at_end) all_at_end = false;
        }
      }
      if (!batch.empty()) return Status::Ok();
      if (opts_.exit_at_end && all_at_end && !missing) {
        say_nothing_left();
        return Status::EndOfStream();
      }
      auto now = Clock::now();
      if (now >= deadline) return Status::Ok();
      auto until = std::min(deadline, next_check);
      auto left =
          until > now ? std::chrono::duration_cast<Millis>(until - now) + Millis(1) : Millis(0);
      // A missing stream directory cannot be watched: look again soon. A
      // shard waiting to be handed over waits for the caller to mark what
      // its output took: return soon, so that it can.
      if ((missing || handing_over()) && left > Millis(10)) left = Millis(10);
      ChangeWaiter::Event ev = waiter_->wait(left);
      if (ev == ChangeWaiter::Event::kWoken) return Status::Ok();
      if (ev == ChangeWaiter::Event::kChanged) {
        // Perhaps a member joined or left: look at the group again soon
        // (a change of data would trigger this too, hence not at once).
        for (auto& c : cursors_) {
          if (c->member) {
            c->next_check = std::min(c->next_check, c->last_check + Millis(10));
          }
        }
      }
    }
  }

  void mark_taken(const Message& m) override {
    for (auto& c : cursors_) {
      if (c->name == m.stream || cursors_.size() == 1) {
        if (m.shard < 0 || static_cast<size_t>(m.shard) >= c->shards.size()) return;
        Shard& s = c->shards[m.shard];
        if (m.seq + 1 > s.taken) s.taken = m.seq + 1;
        return;
      }
    }
  }

  Status commit() override {
    for (auto& c : cursors_) {
      for (Shard& s : c->shards) SLUICE_RETURN_IF_ERROR(commit_shard(*c, s));
    }
    return Status::Ok();
  }

  void wake() override { waiter_->wake(); }

  uint64_t skipped() const override {
    uint64_t n = skipped_before_;
    for (const auto& c : cursors_) {
      for (const Shard& s : c->shards) {
        if (s.reader) n += static_cast<uint64_t>(s.reader->skipped_records());
      }
    }
    return n;
  }

 private:
  using Clock = std::chrono::steady_clock;
  using ReaderOptions = filelog::ReaderOptions;
  static constexpr Millis kPeekInterval{50};

  struct Shard {
    int32_t shard = 0;
    std::string dir;
    std::unique_ptr<LogReader> reader;     // while this member reads it
    std::unique_ptr<ConsumerGroup> group;  // held: this member owns it
    bool releasing = false;                // owned by another now: hand over
    bool at_end = false;                   // the last read found no more
    int64_t taken = -1;                    // next seq to commit
    int64_t committed = -1;                // what the group file holds
    int64_t delivered = -1;                // next seq after the last handed out
  };
  struct Cursor {
    std::string name;
    std::string dir;
    bool started = false;
    std::vector<Shard> shards;
    // With a group:
    std::unique_ptr<GroupMembership> member;
    std::vector<bool> owned;  // by the latest assignment
    size_t members = 0;
    Clock::time_point last_check;
    Clock::time_point next_check;  // the next look for dead members
    Clock::time_point next_peek;   // the next look for joins and leaves
    bool said_waiting = false;
  };

  // Reads the stream's shard count and sets up its shards: every one read
  // at once without a group, else the member joins and takes its share.
  // kNotFound while the stream does not exist.
  Status try_start(Cursor& c) {
    Result<StreamSettings> settings = filelog::find_stream(env_, c.dir, c.name);
    if (!settings.ok()) return settings.status();
    const int32_t n = settings->shards;
    c.shards.resize(n);
    for (int32_t k = 0; k < n; ++k) {
      c.shards[k].shard = k;
      c.shards[k].dir = filelog::shard_dir(c.dir, n, k);
      waiter_->watch(c.shards[k].dir);
    }
    if (opts_.group.empty()) {
      for (Shard& s : c.shards) SLUICE_RETURN_IF_ERROR(open_reader(c, s, -1));
    } else {
      Result<std::unique_ptr<GroupMembership>> m = GroupMembership::Join(env_, c.dir, opts_.group);
      if (!m.ok()) return m.status();
      c.member = std::move(*m);
      waiter_->watch(c.member->dir());
      c.owned.assign(n, false);
      c.next_check = Clock::now();
      SLUICE_RETURN_IF_ERROR(maintain_group(c));
    }
    c.started = true;
    return Status::Ok();
  }

  // Opens shard `s` and positions it at `committed` (>= 0) or at --from.
  Status open_reader(Cursor& c, Shard& s, int64_t committed) {
    ReaderOptions ro;
    ro.env = env_;
    ro.on_corrupt = opts_.skip_corrupt ? filelog::OnCorrupt::kSkip : filelog::OnCorrupt::kFail;
    ro.shard = s.shard;
    Result<std::unique_ptr<LogReader>> r = LogReader::Open(s.dir, c.name, ro);
    if (!r.ok()) return r.status();
    std::unique_ptr<LogReader> reader = std::move(*r);
    if (committed >= 0) {
      int64_t lost = 0;
      SLUICE_RETURN_IF_ERROR(reader->seek_to_seq(committed, &lost));
      if (lost > 0) {
        warn("group '" + opts_.group + "' of stream '" + c.name + "'" + shard_suffix(c, s) + ": " +
             std::to_string(lost) + " records lost to retention (committed seq " +
             std::to_string(committed) + ", oldest retained seq " +
             std::to_string(committed + lost) + ")");
      }
    } else {
      SLUICE_RETURN_IF_ERROR(reader->seek(opts_.from));
    }
    s.reader = std::move(reader);
    s.at_end = false;
    s.delivered = -1;
    return Status::Ok();
  }

  static std::string shard_suffix(const Cursor& c, const Shard& s) {
    return c.shards.size() > 1 ? " shard " + std::to_string(s.shard) : std::string();
  }

  // The group's periodic work: see who is alive, hand over the shards that
  // are now another member's once what was read from them is taken, and
  // take the shards that are now this member's once they are free.
  Status maintain_group(Cursor& c) {
    const auto now = Clock::now();
    bool waiting_for_shard = false;
    bool check = now >= c.next_check;
    if (!check && now >= c.next_peek) {
      // A busy member never waits for a change event: look for joins and
      // leaves often (one directory listing), for dead members less often.
      c.next_peek = now + kPeekInterval;
      check = c.member->changed();
    }
    if (check) {
      Result<std::vector<std::string>> members = c.member->members();
      if (!members.ok()) return members.status();
      const auto self = std::find(members->begin(), members->end(), c.member->id());
      const size_t index = static_cast<size_t>(self - members->begin());
      c.members = members->size();
      const int32_t n = static_cast<int32_t>(c.shards.size());
      std::vector<int32_t> mine = GroupMembership::assign(n, index, members->size());
      c.owned.assign(n, false);
      for (int32_t k : mine) c.owned[k] = true;
      if (mine.empty() && !c.said_waiting) {
        c.said_waiting = true;
        warn("group '" + opts_.group + "' of stream '" + c.name +
             "': " + std::to_string(members->size()) + " members for " + std::to_string(n) +
             (n == 1 ? " shard" : " shards") +
             (opts_.exit_at_end ? "; this one has none and stops"
                                : "; this one waits until a shard is free for it"));
      }
      c.last_check = now;
      c.next_check = now + check_interval_;
      c.next_peek = now + kPeekInterval;
    }
    for (Shard& s : c.shards) {
      const bool owned = c.owned[s.shard];
      if (s.group && !owned) s.releasing = true;
      if (s.group && owned) s.releasing = false;
      if (s.releasing) {
        // Hand over only what the output has taken: commit it, then let go.
        if (s.delivered >= 0 && s.taken < s.delivered) continue;
        SLUICE_RETURN_IF_ERROR(commit_shard(c, s));
        release(s);
      } else if (owned && !s.group && check) {
        Result<std::unique_ptr<ConsumerGroup>> g =
            ConsumerGroup::Join(env_, s.dir, c.name, opts_.group);
        if (!g.ok()) {
          if (!g.status().is(StatusCode::kTryAgain)) return g.status();
          waiting_for_shard = true;  // its last owner is still handing it over
          continue;
        }
        Result<int64_t> committed = (*g)->load();
        if (!committed.ok()) return committed.status();
        s.group = std::move(*g);
        s.committed = s.taken = *committed;
        SLUICE_RETURN_IF_ERROR(open_reader(c, s, *committed));
      }
    }
    if (waiting_for_shard) c.next_check = std::min(c.next_check, now + Millis(20));
    return Status::Ok();
  }

  bool handing_over() const {
    for (const auto& c : cursors_) {
      for (const Shard& s : c->shards) {
        if (s.releasing) return true;
      }
    }
    return false;
  }

  // With a group, whether this member has nothing more to read for now:
  // every shard it owns is held and read to its end (or it owns none).
  bool group_at_end(const Cursor& c) const {
    for (const Shard& s : c.shards) {
      if (c.owned[s.shard] && (!s.group || !s.at_end)) return false;
      if (s.releasing) return false;
    }
    return true;
  }

  void say_nothing_left() {
    for (auto& c : cursors_) {
      if (!c->member || c->members < 2 || said_nothing_left_) continue;
      bool owns = std::find(c->owned.begin(), c->owned.end(), true) != c->owned.end();
      if (!owns) continue;  // said already: it has no shard
      if (!delivered_any_) {
        said_nothing_left_ = true;
        warn("group '" + opts_.group + "' of stream '" + c->name +
             "': every shard of this member is read to its end; nothing left to read");
      }
    }
  }

  Status commit_shard(Cursor& c, Shard& s) {
    if (!s.group || s.taken < 0 || s.taken == s.committed) return Status::Ok();
    SLUICE_RETURN_IF_ERROR(s.group->store(s.taken).With("group '" + opts_.group + "' of stream '" +
                                                        c.name + "'" + shard_suffix(c, s)));
    s.committed = s.taken;
    return Status::Ok();
  }

  void release(Shard& s) {
    if (s.reader) skipped_before_ += static_cast<uint64_t>(s.reader->skipped_records());
    s.reader.reset();
    s.group.reset();
    s.releasing = false;
    s.at_end = false;
    s.delivered = -1;
    s.taken = s.committed = -1;
  }

  StreamUri uri_;
  ConsumerOptions opts_;
  Env* env_;
  Millis check_interval_;
  std::unique_ptr<ChangeWaiter> waiter_;
  std::vector<std::unique_ptr<Cursor>> cursors_;
  size_t rotate_ = 0;
  uint64_t skipped_before_ = 0;  // by readers since closed
  bool said_nothing_left_ = false;
  bool delivered_any_ = false;  // this member handed out a message
  Status pending_;              // an error that waits for the batch before it
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

Result<std::unique_ptr<Producer>> open_file_producer(const StreamUri& uri,
                                                     const ProducerOptions& opts) {
  return open_file_producer(uri, opts, Env::Default());
}

Result<std::unique_ptr<Consumer>> open_file_consumer(const StreamUri& uri,
                                                     const ConsumerOptions& opts) {
  return open_file_consumer(uri, opts, Env::Default());
}

}  // namespace sluice
