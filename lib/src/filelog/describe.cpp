// describe_stream(): the bounds and size of each shard of a stream, and its
// consumer groups with their committed seq per shard.

#include <fcntl.h>

#include <algorithm>

#include "filelog/codec.h"
#include "filelog/filelog.h"

namespace sluice::filelog {

namespace {

// Bounds and size of the shard in `dir`; adds its segment bytes to *bytes
// too and sets *end to the seq its next record gets.
Status describe_shard(Env* env, const std::string& dir, ShardInfo* shard, int64_t* bytes,
                      int64_t* end) {
  Result<std::vector<int64_t>> bases = list_segments(env, dir);
  if (!bases.ok()) {
    if (bases.status().is(StatusCode::kNotFound)) return Status::Ok();  // no record yet
    return bases.status();
  }
  *end = 0;
  for (size_t i = 0; i < bases->size(); ++i) {
    std::string path = segment_path(dir, (*bases)[i]);
    Result<UniqueFd> fd = env->open(path, O_RDONLY);
    if (!fd.ok()) {
      if (fd.status().is(StatusCode::kNotFound)) continue;  // retention raced us
      return fd.status();
    }
    Result<int64_t> size = env->file_size(fd->get());
    if (size.ok()) {
      *bytes += *size;
      shard->bytes = std::max<int64_t>(shard->bytes, 0) + *size;
    }
    bool newest = i + 1 == bases->size();
    if (!newest && shard->first_seq >= 0) continue;
    // The oldest segment gives the first record, the newest the last one;
    // only the newest is scanned to its end.
    char rec[kSegmentHeaderBytes + kRecordHeaderBytes];
    Result<size_t> n = env->pread(fd->get(), rec, sizeof rec, 0);
    if (n.ok() && *n == sizeof rec && shard->first_seq < 0) {
      shard->first_seq = (*bases)[i];
      shard->first_ts_us = static_cast<int64_t>(load_u64(rec + kSegmentHeaderBytes + 16));
    }
    if (newest) {
      SegmentScan scan;
      SLUICE_RETURN_IF_ERROR(
          scan_segment(env, fd->get(), path, kSegmentHeaderBytes, (*bases)[i], &scan)
              .With("cannot read '" + path + "'"));
      *end = scan.next_seq;
      if (scan.next_seq > (*bases)[i]) {
        shard->last_seq = scan.next_seq - 1;
        shard->last_ts_us = scan.last_ts;
      } else if (i > 0) {
        shard->last_seq = (*bases)[i] - 1;  // just rolled: last is in the previous
      }
    }
  }
  if (shard->first_seq < 0 || shard->last_seq < shard->first_seq) {
    shard->first_seq = shard->last_seq = -1;
  }
  return Status::Ok();
}

}  // namespace

Result<StreamInfo> describe_stream(Env* env, const std::string& stream_dir, std::string_view name) {
  Result<StreamSettings> settings = find_stream(env, stream_dir, name);
  if (!settings.ok()) return settings.status();
  const int32_t shards = settings->shards;
  StreamInfo info;
  info.name = std::string(name);
  info.bytes = 0;
  info.retention_ms = settings->retention_ms;
  info.retention_bytes = settings->retention_bytes;
  std::vector<int64_t> ends(shards, 0);
  std::vector<std::string> group_names;
  for (int32_t k = 0; k < shards; ++k) {
    const std::string dir = shard_dir(stream_dir, shards, k);
    ShardInfo shard;
    shard.shard = k;
    SLUICE_RETURN_IF_ERROR(describe_shard(env, dir, &shard, &info.bytes, &ends[k]));
    if (shard.first_seq >= 0) info.messages += shard.last_seq - shard.first_seq + 1;
    info.shards.push_back(shard);
    Result<std::vector<std::string>> groups = ConsumerGroup::List(env, dir);
    if (!groups.ok()) return groups.status();
    group_names.insert(group_names.end(), groups->begin(), groups->end());
  }
  std::sort(group_names.begin(), group_names.end());
  group_names.erase(std::unique(group_names.begin(), group_names.end()), group_names.end());
  for (const std::string& g : group_names) {
    GroupInfo gi;
    gi.name = g;
    bool any = false;
    for (int32_t k = 0; k < shards; ++k) {
      const std::string sdir = shard_dir(stream_dir, shards, k);
      Result<int64_t> committed = ConsumerGroup::ReadCommitted(env, sdir, g);
      Result<int64_t> mtime = env->mtime_us(sdir + "/groups/" + g);
      if (mtime.ok() && *mtime > gi.last_commit_us) gi.last_commit_us = *mtime;
      int64_t c = committed.ok() ? *committed : -1;  // not ok: a foreign file
      any = any || committed.ok();
      gi.committed.push_back(c);
      int64_t from = c >= 0 ? c : std::max<int64_t>(info.shards[k].first_seq, 0);
      gi.lag += ends[k] > from ? ends[k] - from : 0;
    }
    if (!any) continue;
    Result<std::vector<std::string>> live = live_group_members(env, stream_dir, g);
    if (live.ok()) {
      for (std::string& id : *live) gi.members.push_back(MemberInfo{std::move(id)});
    }
    info.groups.push_back(std::move(gi));
  }
  return info;
}

}  // namespace sluice::filelog
