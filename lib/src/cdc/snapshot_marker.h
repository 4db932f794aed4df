// The snapshot marker of cdc-pg: a file that exists from before the
// replication slot is created until the sink took every snapshot row. A run
// that finds the slot and the marker knows the snapshot was cut short (kill
// -9, a lost server), drops the slot and snapshots again.
//
// The marker lives in the state directory: $SLUICE_STATE_DIR, else
// $XDG_STATE_HOME/sluice, else ~/.local/state/sluice (configuration read
// from the environment, as XDG says). Its file and directory calls go
// through an Env; its creation is made durable (file and directory synced)
// before the slot exists. Errors name the marker's path. Not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "sluice/env.h"
#include "sluice/status.h"

namespace sluice::pg {

class SnapshotMarker {
 public:
  // `server` (host and port) and `slot` name the marker. `env` must outlive
  // the marker.
  SnapshotMarker(Env* env, std::string_view server, std::string_view slot);
  // As above, in directory `dir` (tests).
  SnapshotMarker(Env* env, std::string dir, std::string_view server, std::string_view slot);

  const std::string& path() const { return path_; }
  bool exists() const;
  // Creates the state directory when missing, then the marker, and syncs
  // both. On failure no marker is left.
  Status write(std::string_view slot);
  // Removes the marker (ok when it is gone already) and syncs its
  // directory.
  Status remove();

 private:
  Env* env_;
  std::string dir_;
  std::string path_;
};

}  // namespace sluice::pg
