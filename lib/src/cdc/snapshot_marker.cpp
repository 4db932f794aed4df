#include "cdc/snapshot_marker.h"

#include <fcntl.h>

#include <cctype>
#include <cstdlib>

namespace sluice::pg {

namespace {

std::string state_dir() {
  if (const char* d = std::getenv("SLUICE_STATE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/sluice";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/state/sluice";
}

}  // namespace

SnapshotMarker::SnapshotMarker(Env* env, std::string_view server, std::string_view slot)
    : SnapshotMarker(env, state_dir(), server, slot) {}

SnapshotMarker::SnapshotMarker(Env* env, std::string dir, std::string_view server,
                               std::string_view slot)
    : env_(env), dir_(std::move(dir)) {
  std::string name = "cdc-pg-" + std::string(server) + "-" + std::string(slot) + ".snapshot";
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_') ch = '_';
  }
  path_ = dir_ + "/" + name;
}

bool SnapshotMarker::exists() const {
  return env_->exists(path_);
}

Status SnapshotMarker::write(std::string_view slot) {
  Status made = env_->mkdirs(dir_);
  if (!made.ok())
    return made.With("cannot create state directory '" + dir_ + "' (set SLUICE_STATE_DIR)");
  const std::string what = "cannot write snapshot marker '" + path_ + "'";
  Result<UniqueFd> fd = env_->open(path_, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd.ok()) return fd.status().With("snapshot marker");  // names the path
  std::string text = "snapshot of slot " + std::string(slot) + " in progress\n";
  Status st = env_->write_all(fd->get(), text.data(), text.size(), 0);
  if (st.ok()) st = env_->fsync(fd->get());
  fd->reset();
  // The marker must outlive a crash whenever the slot does.
  if (st.ok()) st = env_->sync_dir(dir_);
  if (!st.ok()) {
    (void)env_->unlink(path_);
    return st.With(what);
  }
  return Status::Ok();
}

Status SnapshotMarker::remove() {
  Status st = env_->unlink(path_);
  if (!st.ok() && !st.is(StatusCode::kNotFound))
    return st.With("snapshot marker");  // names the path
  (void)env_->sync_dir(dir_);  // best effort: a marker that comes back only costs a new snapshot
  return Status::Ok();
}

}  // namespace sluice::pg
