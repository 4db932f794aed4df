// FileAdmin: Admin (backend.h) over the embedded log: describe, create,
// remove, reset a group, check, trim and configure, one stream directory at
// a time.

#include <algorithm>

#include "backends/file_backend.h"
#include "filelog/filelog.h"

namespace sluice {

namespace {

using filelog::ConsumerGroup;
using filelog::LogWriter;
using filelog::StreamSettings;

class FileAdmin final : public Admin {
 public:
  FileAdmin(StreamUri uri, Env* env) : uri_(std::move(uri)), env_(env) {}

  Result<std::vector<StreamInfo>> describe(const std::vector<std::string>& only) override {
    std::vector<std::string> names = only;
    const bool listing = names.empty();
    if (listing) {
      Result<std::vector<std::string>> entries = env_->list_dir(file_cluster_dir(uri_));
      if (!entries.ok()) return entries.status();
      for (std::string& e : *entries) {
        if (!e.empty() && e[0] != '.') names.push_back(std::move(e));
      }
      std::sort(names.begin(), names.end());
    }
    std::vector<StreamInfo> out;
    for (const std::string& n : names) {
      if (!listing) SLUICE_RETURN_IF_ERROR(check_file_stream_name(n));
      // Listing: describe_stream() itself tells a stream from any other
      // entry (kNotFound), so each is looked at once (B13: 10,000 streams).
      Result<StreamInfo> info = filelog::describe_stream(env_, uri_.stream_path(n), n);
      if (!info.ok()) {
        if (listing && (info.status().is(StatusCode::kNotFound) ||
                        !filelog::find_stream(env_, uri_.stream_path(n), n).ok())) {
          continue;  // not a stream (a file, a directory being created)
        }
        if (info.status().is(StatusCode::kNotFound)) {
          return Status::NotFound("stream '" + n + "' does not exist in '" +
                                  file_cluster_dir(uri_) + "'");
        }
        return info.status();
      }
      out.push_back(std::move(*info));
    }
    return out;
  }

  Status create(const std::string& stream, const CreateOptions& o) override {
    SLUICE_RETURN_IF_ERROR(check_file_stream_name(stream));
    const std::string dir = uri_.stream_path(stream);
    if (filelog::find_stream(env_, dir, stream).ok()) {
      return Status::InvalidArgument("stream '" + stream + "' already exists in '" +
                                     file_cluster_dir(uri_) + "'");
    }
    filelog::WriterOptions wo;
    wo.env = env_;
    wo.create_settings.shards = o.shards;
    wo.require_shards = true;
    if (o.segment_bytes > 0) wo.create_settings.segment_bytes = o.segment_bytes;
    wo.create_settings.retention_ms = o.retention_ms;
    wo.create_settings.retention_bytes = o.retention_bytes;
    for (int32_t k = 0; k < o.shards; ++k) {
      wo.shard = k;
      Result<std::unique_ptr<LogWriter>> w = LogWriter::Open(dir, wo);
      if (!w.ok()) return w.status();
      SLUICE_RETURN_IF_ERROR((*w)->sync());
    }
    return Status::Ok();
  }

  Status remove(const std::string& stream) override {
    SLUICE_RETURN_IF_ERROR(existing(stream).status());
    return filelog::remove_stream(env_, uri_.stream_path(stream));
  }

  Result<std::vector<ShardReset>> reset_group(const std::string& group, const std::string& stream,
                                              const StartPosition& to, bool dry_run,
                                              bool force) override {
    Result<StreamSettings> settings = existing(stream);
    if (!settings.ok()) return settings.status();
    const std::string dir = uri_.stream_path(stream);
    const int32_t n = settings->shards;
    Result<std::vector<std::string>> live = filelog::live_group_members(env_, dir, group);
    if (!live.ok()) return live.status();
    std::vector<std::unique_ptr<ConsumerGroup>> held;
    std::vector<ShardReset> out;
    bool known = false;
    for (int32_t k = 0; k < n; ++k) {
      const std::string sdir = filelog::shard_dir(dir, n, k);
      ShardReset r;
      r.shard = k;
      Result<int64_t> before = ConsumerGroup::ReadCommitted(env_, sdir, group);
      if (!before.ok()) return before.status();
      r.before = *before;
      known = known || env_->exists(sdir + "/groups/" + group);
      Result<int64_t> after = filelog::resolve_position(env_, sdir, stream, to);
      if (!after.ok()) return after.status();
      r.after = *after;
      out.push_back(r);
    }
    if (!known && live->empty()) {
      return Status::NotFound("group '" + group + "' of stream '" + stream + "' does not exist");
    }
    if (!force && !live->empty()) {
      return Status::TryAgain("group '" + group + "' of stream '" + stream + "' has " +
                              std::to_string(live->size()) + " live member(s) (" + live->front() +
                              "): stop them first, or --force");
    }
    if (dry_run) return out;
    for (const ShardReset& r : out) {
      const std::string sdir = filelog::shard_dir(dir, n, r.shard);
      // Without --force this also waits for no one: a member that owns the
      // shard holds this lock, and we checked there is none.
      Result<std::unique_ptr<ConsumerGroup>> g = ConsumerGroup::Join(env_, sdir, stream, group);
      if (!g.ok() && !(force && g.status().is(StatusCode::kTryAgain))) return g.status();
      if (g.ok()) {
        SLUICE_RETURN_IF_ERROR((*g)->store(r.after));
      } else {
        SLUICE_RETURN_IF_ERROR(
            env_->write_file_atomic(sdir + "/groups/" + group, std::to_string(r.after) + "\n"));
      }
    }
    return out;
  }

  Result<CheckReport> check(const std::string& stream) override {
    Result<StreamSettings> settings = existing(stream);
    if (!settings.ok()) return settings.status();
    const std::string dir = uri_.stream_path(stream);
    CheckReport report;
    for (int32_t k = 0; k < settings->shards; ++k) {
      Result<filelog::StreamCheck> c =
          filelog::check_stream(env_, filelog::shard_dir(dir, settings->shards, k));
      if (!c.ok()) {
        if (c.status().is(StatusCode::kNotFound)) continue;  // a shard with no segment yet
        return c.status();
      }
      report.segments += c->segments;
      report.records += c->records;
      report.bytes += c->bytes;
      report.torn_bytes += c->torn_bytes;
      for (const filelog::BadRange& b : c->bad) {
        report.lost += b.lost();
        report.bad.push_back(b.describe());
      }
    }
    return report;
  }

  Result<std::vector<ShardTrim>> trim(const std::string& stream,
                                      const StartPosition& keep_from) override {
    Result<StreamSettings> settings = existing(stream);
    if (!settings.ok()) return settings.status();
    const std::string dir = uri_.stream_path(stream);
    std::vector<ShardTrim> out;
    for (int32_t k = 0; k < settings->shards; ++k) {
      Result<filelog::ShardTrimReport> r = filelog::trim_shard(
          env_, filelog::shard_dir(dir, settings->shards, k), stream, keep_from);
      if (!r.ok()) return r.status();
      ShardTrim t;
      t.shard = k;
      t.first_before = r->first_before;
      t.first_after = r->first_after;
      // Seqs are dense within a shard, so the seqs dropped count the
      // records dropped (a gap a crash left, see LogWriter, counts too).
      t.dropped =
          r->segments == 0 ? 0 : (r->first_after >= 0 ? r->first_after : r->end) - r->first_before;
      t.bytes_dropped = r->bytes;
      out.push_back(t);
    }
    return out;
  }

  Status configure(const std::string& stream, const RetentionChange& c) override {
    SLUICE_RETURN_IF_ERROR(existing(stream).status());
    return filelog::set_retention(env_, uri_.stream_path(stream), c.set_ms, c.retention_ms,
                                  c.set_bytes, c.retention_bytes);
  }

 private:
  Result<StreamSettings> existing(const std::string& stream) {
    SLUICE_RETURN_IF_ERROR(check_file_stream_name(stream));
    Result<StreamSettings> s = filelog::find_stream(env_, uri_.stream_path(stream), stream);
    if (s.ok() || !s.status().is(StatusCode::kNotFound)) return s;
    return Status::NotFound("stream '" + stream + "' does not exist in '" + file_cluster_dir(uri_) +
                            "'");
  }

  StreamUri uri_;
  Env* env_;
};

}  // namespace

Result<std::unique_ptr<Admin>> open_file_admin(const StreamUri& uri, Env* env) {
  return std::unique_ptr<Admin>(std::make_unique<FileAdmin>(uri, env));
}

Result<std::unique_ptr<Admin>> open_file_admin(const StreamUri& uri) {
  return open_file_admin(uri, Env::Default());
}

}  // namespace sluice
