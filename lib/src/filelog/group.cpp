// Consumer group offsets of the file log, one file per group and shard.

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include "filelog/codec.h"
#include "filelog/filelog.h"

namespace sluice::filelog {

Status check_group_name(std::string_view group) {
  if (group.empty() || group[0] == '.' || group.find('/') != std::string_view::npos ||
      group.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid group name '" + std::string(group) +
                                   "' (it must not be empty, contain '/' or "
                                   "start with '.')");
  }
  return Status::Ok();
}

namespace {

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

}  // namespace sluice::filelog
