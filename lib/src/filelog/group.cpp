// Consumer group offsets of the file log, and describe_stream() which
// reports them with the stream's bounds.

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include "filelog/codec.h"
#include "filelog/filelog.h"

namespace sluice::filelog {

namespace {

Status check_group_name(std::string_view group) {
  if (group.empty() || group[0] == '.' || group.find('/') != std::string_view::npos ||
      group.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid group name '" + std::string(group) +
                                   "' (it must not be empty, contain '/' or "
                                   "start with '.')");
  }
  return Status::Ok();
}

Result<int64_t> parse_committed(Env* env, const std::string& path) {
  Result<std::string> text = env->read_file(path);
  if (!text.ok()) {
    if (text.status().is(StatusCode::kNotFound)) return int64_t{-1};
    return text.status();
  }
  std::string_view s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  int64_t v = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return Status::BadData("group offset file '" + path + "' does not hold a sequence number");
  }
  return v;
}

}  // namespace

Result<std::unique_ptr<ConsumerGroup>> ConsumerGroup::Join(Env* env, const std::string& stream_dir,
                                                           std::string_view stream,
                                                           std::string_view group) {
  SLUICE_RETURN_IF_ERROR(check_group_name(group));
  std::string dir = stream_dir + "/groups";
  bool created = !env->exists(dir);
  SLUICE_RETURN_IF_ERROR(env->mkdir(dir));
  // store() syncs the groups directory; its own entry needs a sync of the
  // stream directory, or a crash can take every committed offset away.
  if (created) SLUICE_RETURN_IF_ERROR(env->sync_dir(stream_dir));
  std::unique_ptr<ConsumerGroup> g(new ConsumerGroup(env, dir + "/" + std::string(group)));
  // The offset file is replaced by rename on every commit, so the lock
  // lives in a separate, stable file.
  Result<UniqueFd> fd = env->open(dir + "/." + std::string(group) + ".lock", O_RDWR | O_CREAT);
  if (!fd.ok()) return fd.status();
  Status st = env->lock(fd->get(), /*nonblocking=*/true);
  if (!st.ok()) {
    if (st.is(StatusCode::kTryAgain)) {
      return Status::TryAgain("group '" + std::string(group) + "' of stream '" +
                              std::string(stream) + "' is in use by another process");
    }
    return st;
  }
  g->lock_fd_ = std::move(*fd);
  return g;
}

ConsumerGroup::~ConsumerGroup() = default;  // closing the fd drops the lock

Result<int64_t> ConsumerGroup::load() {
  return parse_committed(env_, path_);
}

Status ConsumerGroup::store(int64_t next_seq) {
  return env_->write_file_atomic(path_, std::to_string(next_seq) + "\n");
}

Result<int64_t> ConsumerGroup::ReadCommitted(Env* env, const std::string& stream_dir,
                                             std::string_view group) {
  SLUICE_RETURN_IF_ERROR(check_group_name(group));
  return parse_committed(env, stream_dir + "/groups/" + std::string(group));
}

Result<std::vector<std::string>> ConsumerGroup::List(Env* env, const std::string& stream_dir) {
  Result<std::vector<std::string>> names = env->list_dir(stream_dir + "/groups");
  if (!names.ok()) {
    if (names.status().is(StatusCode::kNotFound)) return std::vector<std::string>{};
    return names.status();
  }
  std::vector<std::string> out;
  for (std::string& n : *names) {
    if (!n.empty() && n[0] != '.') out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<StreamInfo> describe_stream(Env* env, const std::string& stream_dir, std::string_view name) {
  StreamInfo info;
  info.name = std::string(name);
  Result<std::vector<int64_t>> bases = list_segments(env, stream_dir);
  if (!bases.ok()) return bases.status();
  ShardInfo shard;
  shard.shard = 0;
  info.bytes = 0;
  int64_t end = 0;
  for (size_t i = 0; i < bases->size(); ++i) {
    std::string path = segment_path(stream_dir, (*bases)[i]);
    Result<UniqueFd> fd = env->open(path, O_RDONLY);
    if (!fd.ok()) {
      if (fd.status().is(StatusCode::kNotFound)) continue;  // retention raced us
      return fd.status();
    }
    Result<int64_t> size = env->file_size(fd->get());
    if (size.ok()) info.bytes += *size;
    bool newest = i + 1 == bases->size();
    if (!newest && shard.first_seq >= 0) continue;
    // The oldest segment gives the first record, the newest the last one;
    // only the newest is scanned to its end.
    char rec[kSegmentHeaderBytes + kRecordHeaderBytes];
    Result<size_t> n = env->pread(fd->get(), rec, sizeof rec, 0);
    if (n.ok() && *n == sizeof rec && shard.first_seq < 0) {
      shard.first_seq = (*bases)[i];
      shard.first_ts_us = static_cast<int64_t>(load_u64(rec + kSegmentHeaderBytes + 16));
    }
    if (newest) {
      SegmentScan scan;
      SLUICE_RETURN_IF_ERROR(
          scan_segment(env, fd->get(), path, kSegmentHeaderBytes, (*bases)[i], &scan)
              .With("cannot read '" + path + "'"));
      end = scan.next_seq;
      if (scan.next_seq > (*bases)[i]) {
        shard.last_seq = scan.next_seq - 1;
        shard.last_ts_us = scan.last_ts;
      } else if (i > 0) {
        shard.last_seq = (*bases)[i] - 1;  // just rolled: last is in the previous
      }
    }
  }
  if (shard.first_seq >= 0 && shard.last_seq >= shard.first_seq) {
    info.messages = shard.last_seq - shard.first_seq + 1;
  } else {
    shard.first_seq = shard.last_seq = -1;
  }
  info.shards.push_back(shard);
  Result<std::vector<std::string>> groups = ConsumerGroup::List(env, stream_dir);
  if (!groups.ok()) return groups.status();
  for (const std::string& g : *groups) {
    Result<int64_t> committed = ConsumerGroup::ReadCommitted(env, stream_dir, g);
    if (!committed.ok()) continue;  // not a group file (foreign name)
    GroupInfo gi;
    gi.name = g;
    gi.committed.push_back(*committed);
    int64_t from = *committed >= 0 ? *committed : 0;
    gi.lag = end > from ? end - from : 0;
    info.groups.push_back(std::move(gi));
  }
  return info;
}

}  // namespace sluice::filelog
