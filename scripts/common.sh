# shellcheck shell=bash
# Shared by scripts/demo, scripts/test and scripts/bench: where things are and
# how to build. Source it; it defines functions only (and SLUICE_ROOT).

SLUICE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SLUICE_ROOT

# sluice_jobs: how many jobs to build and test with.
sluice_jobs() {
  nproc 2>/dev/null || echo 2
}

# sluice_build BUILD_DIR [CMAKE_ARGS...]: configure (once) and build.
# Reconfigures when the given arguments change; warnings are errors.
sluice_build() {
  local dir=$1
  shift
  local args=(-DSLUICE_WERROR=ON "$@")
  local stamp="$dir/.sluice-configure-args"
  if [ ! -f "$dir/CMakeCache.txt" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${args[*]}" ]; then
    cmake -S "$SLUICE_ROOT" -B "$dir" "${args[@]}" >"$dir.configure.log" 2>&1 || {
      cat "$dir.configure.log" >&2
      echo "build: cmake configure of '$dir' failed" >&2
      return 1
    }
    rm -f "$dir.configure.log"
    printf '%s' "${args[*]}" >"$stamp"
  fi
  cmake --build "$dir" -j "$(sluice_jobs)"
}
