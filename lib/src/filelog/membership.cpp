// GroupMembership: who is in a consumer group of the file log, and which
// shards each member owns (see filelog.h).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "filelog/filelog.h"

namespace sluice::filelog {

namespace {

constexpr std::string_view kMemberPrefix = "m-";

}  // namespace

Result<std::unique_ptr<GroupMembership>> GroupMembership::Join(Env* env,
                                                               const std::string& stream_dir,
                                                               std::string_view group) {
  SLUICE_RETURN_IF_ERROR(check_group_name(group));
  std::string dir = stream_dir + "/groups/." + std::string(group) + ".members";
  SLUICE_RETURN_IF_ERROR(env->mkdirs(dir));
  std::unique_ptr<GroupMembership> m(new GroupMembership(env, dir));
  // Named by join time, so that the sorted list is the join order and a
  // newcomer goes last; pid and a counter keep names unique.
  static std::atomic<uint32_t> counter{0};
  char name[64];
  std::snprintf(name, sizeof name, "m-%020lld-%d-%u", static_cast<long long>(env->now_us()),
                static_cast<int>(getpid()), counter.fetch_add(1));
  m->id_ = name;
  // Locked before it gets its real name: a member file without a lock is
  // a dead member's, and the others remove it. The temporary name is
  // outside the members directory, where nobody looks (a process that dies
  // in this instant leaves a small file in groups/ behind).
  std::string temp = stream_dir + "/groups/." + std::string(group) + ".join-" + m->id_;
  Result<UniqueFd> fd = env->open(temp, O_RDWR | O_CREAT | O_TRUNC);
  if (!fd.ok()) return fd.status();
  SLUICE_RETURN_IF_ERROR(env->lock(fd->get(), /*nonblocking=*/true).With("'" + temp + "'"));
  std::string info = "pid=" + std::to_string(getpid()) + "\n";
  SLUICE_RETURN_IF_ERROR(env->write_all(fd->get(), info.data(), info.size(), 0));
  SLUICE_RETURN_IF_ERROR(env->rename(temp, dir + "/" + m->id_));
  m->fd_ = std::move(*fd);
  return m;
}

GroupMembership::~GroupMembership() {
  if (fd_.valid()) (void)env_->unlink(dir_ + "/" + id_);
}

namespace {

std::vector<std::string> member_files(std::vector<std::string> names) {
  std::vector<std::string> out;
  for (std::string& n : names) {
    if (n.compare(0, kMemberPrefix.size(), kMemberPrefix) == 0) out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool GroupMembership::changed() {
  Result<std::vector<std::string>> names = env_->list_dir(dir_);
  return !names.ok() || member_files(std::move(*names)) != seen_;
}

Result<std::vector<std::string>> probe_group_members(Env* env, const std::string& members_dir,
                                                     std::string_view self, bool remove_dead) {
  Result<std::vector<std::string>> names = env->list_dir(members_dir);
  if (!names.ok()) return names.status();
  std::vector<std::string> live;
  for (const std::string& n : member_files(std::move(*names))) {
    if (n == self) continue;
    std::string path = members_dir + "/" + n;
    Result<UniqueFd> fd = env->open(path, O_RDWR);
    if (!fd.ok()) continue;  // left meanwhile
    Status st = env->lock(fd->get(), /*nonblocking=*/true);
    if (st.is(StatusCode::kTryAgain)) {
      live.push_back(n);
      continue;
    }
    if (!st.ok()) return st.With("'" + path + "'");
    // Nobody holds it: its member died. Remove it while we hold the lock.
    if (remove_dead) (void)env->unlink(path);
  }
  return live;  // sorted: member_files() sorts
}

Result<std::vector<std::string>> GroupMembership::members() {
  Result<std::vector<std::string>> live = probe_group_members(env_, dir_, id_, true);
  if (!live.ok()) return live.status();
  live->insert(std::upper_bound(live->begin(), live->end(), id_), id_);
  seen_ = *live;
  return live;
}

std::vector<int32_t> GroupMembership::assign(int32_t shards, size_t index, size_t count) {
  std::vector<int32_t> out;
  if (count == 0) return out;
  for (int32_t k = 0; k < shards; ++k) {
    if (static_cast<size_t>(k) % count == index) out.push_back(k);
  }
  return out;
}

}  // namespace sluice::filelog
