// Administration of file log streams: who is in a group, where a position
// lands, and deleting a stream (the streams tool, through FileAdmin).

#include <fcntl.h>

#include <algorithm>

#include "filelog/filelog.h"

namespace sluice::filelog {

Result<std::vector<std::string>> live_group_members(Env* env, const std::string& stream_dir,
                                                    std::string_view group) {
  Result<std::vector<std::string>> live = probe_group_members(
      env, stream_dir + "/groups/." + std::string(group) + ".members", {}, false);
  if (!live.ok() && live.status().is(StatusCode::kNotFound)) return std::vector<std::string>{};
  return live;
}

Result<int64_t> resolve_position(Env* env, const std::string& dir, std::string_view name,
                                 const StartPosition& pos) {
  ReaderOptions ro;
  ro.env = env;
  ro.on_corrupt = OnCorrupt::kSkip;  // a position, not the records, is wanted
  Result<std::unique_ptr<LogReader>> r = LogReader::Open(dir, std::string(name), ro);
  if (!r.ok()) return r.status();
  LogReader& reader = **r;
  int64_t first = 0;
  int64_t end = 0;
  SLUICE_RETURN_IF_ERROR(reader.bounds(&first, &end));
  switch (pos.kind) {
    case StartPosition::Kind::kBeginning:
      return first;
    case StartPosition::Kind::kEnd:
      return end;
    case StartPosition::Kind::kSeq:
      return std::clamp(pos.value, first, std::max(first, end));
    case StartPosition::Kind::kFromEnd:
      return std::max(first, end - pos.value);
    case StartPosition::Kind::kTime: {
      SLUICE_RETURN_IF_ERROR(reader.seek(pos));
      std::vector<Message> one;
      bool at_end = false;
      SLUICE_RETURN_IF_ERROR(reader.read(&one, 1, &at_end));
      return one.empty() ? end : one.front().seq;
    }
  }
  return Status::Internal("unknown position kind");
}

namespace {

// Holds the writer lock of the shard in `dir` (blocking until the writer
// between batches lets go); nothing held when there is no lock file yet.
Result<UniqueFd> lock_writer(Env* env, const std::string& dir) {
  Result<UniqueFd> fd = env->open(dir + "/.lock", O_RDWR);
  if (!fd.ok()) {
    if (fd.status().is(StatusCode::kNotFound)) return UniqueFd();
    return fd.status();
  }
  SLUICE_RETURN_IF_ERROR(env->lock(fd->get(), /*nonblocking=*/false));
  return std::move(*fd);
}

// The oldest retained seq of the shard in `dir`, -1 when it holds nothing;
// `*end` gets the seq of the next record.
Result<int64_t> first_retained(Env* env, const std::string& dir, std::string_view name,
                               int64_t* end) {
  StartPosition beginning;
  beginning.kind = StartPosition::Kind::kBeginning;
  Result<int64_t> first = resolve_position(env, dir, name, beginning);
  if (!first.ok()) return first.status();
  StartPosition at_end;
  at_end.kind = StartPosition::Kind::kEnd;
  Result<int64_t> last = resolve_position(env, dir, name, at_end);
  if (!last.ok()) return last.status();
  *end = *last;
  return *last > *first ? *first : -1;
}

}  // namespace

Result<ShardTrimReport> trim_shard(Env* env, const std::string& dir, std::string_view name,
                                   const StartPosition& keep_from) {
  Result<UniqueFd> lock = lock_writer(env, dir);
  if (!lock.ok()) return lock.status();
  ShardTrimReport report;
  Result<int64_t> first = first_retained(env, dir, name, &report.end);
  if (!first.ok()) return first.status();
  report.first_before = report.first_after = *first;
  if (keep_from.kind == StartPosition::Kind::kBeginning) return report;
  Result<int64_t> cut = resolve_position(env, dir, name, keep_from);
  if (!cut.ok()) return cut.status();
  Result<std::vector<int64_t>> bases = list_segments(env, dir);
  if (!bases.ok()) return bases.status();
  // Segment i holds seqs below the base of segment i + 1.
  for (size_t i = 0; i + 1 < bases->size() && (*bases)[i + 1] <= *cut; ++i) {
    const std::string path = segment_path(dir, (*bases)[i]);
    Result<int64_t> size = env->path_size(path);
    Status st = env->unlink(path);
    if (!st.ok() && !st.is(StatusCode::kNotFound)) return st.With("cannot trim '" + dir + "'");
    report.segments += 1;
    report.bytes += size.ok() ? *size : 0;
  }
  if (report.segments > 0) {
    first = first_retained(env, dir, name, &report.end);
    if (!first.ok()) return first.status();
    report.first_after = *first;
  }
  return report;
}

Status set_retention(Env* env, const std::string& stream_dir, bool set_ms, int64_t retention_ms,
                     bool set_bytes, int64_t retention_bytes) {
  Result<UniqueFd> lock = lock_writer(env, stream_dir);
  if (!lock.ok()) return lock.status();
  Result<StreamSettings> settings = read_settings(env, stream_dir);
  if (!settings.ok()) return settings.status();
  if (set_ms) settings->retention_ms = retention_ms;
  if (set_bytes) settings->retention_bytes = retention_bytes;
  return env->write_file_atomic(stream_dir + "/meta", settings->encode())
      .With("cannot change the retention of '" + stream_dir + "'");
}

namespace {

// Removes `path` and everything below it; a missing path is fine.
Status remove_tree(Env* env, const std::string& path) {
  Env::FileType type = env->file_type(path, /*follow=*/false);
  if (type == Env::FileType::kMissing) return Status::Ok();
  if (type != Env::FileType::kDirectory) {
    Status st = env->unlink(path);
    return st.is(StatusCode::kNotFound) ? Status::Ok() : st;
  }
  Result<std::vector<std::string>> names = env->list_dir(path);
  if (!names.ok()) return names.status();
  for (const std::string& n : *names) SLUICE_RETURN_IF_ERROR(remove_tree(env, path + "/" + n));
  Status st = env->rmdir(path);
  return st.is(StatusCode::kNotFound) ? Status::Ok() : st;
}

}  // namespace

Status remove_stream(Env* env, const std::string& stream_dir) {
  Result<StreamSettings> settings = read_settings(env, stream_dir);
  if (!settings.ok()) return settings.status();
  // Hold every writer lock while the files go, so that no writer is left
  // appending to a half-deleted shard; writers that come later create a
  // new stream.
  std::vector<UniqueFd> locks;
  auto take = [&](const std::string& dir) -> Status {
    Result<UniqueFd> fd = env->open(dir + "/.lock", O_RDWR);
    if (!fd.ok()) return fd.status().is(StatusCode::kNotFound) ? Status::Ok() : fd.status();
    SLUICE_RETURN_IF_ERROR(env->lock(fd->get(), /*nonblocking=*/false));
    locks.push_back(std::move(*fd));
    return Status::Ok();
  };
  SLUICE_RETURN_IF_ERROR(take(stream_dir));
  if (settings->shards > 1) {
    for (int32_t k = 0; k < settings->shards; ++k) {
      SLUICE_RETURN_IF_ERROR(take(shard_dir(stream_dir, settings->shards, k)));
    }
  }
  return remove_tree(env, stream_dir).With("cannot remove '" + stream_dir + "'");
}

}  // namespace sluice::filelog
