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
