# Sourced by scripts/bench-*: the programs of another build of onemap (`--baseline DIR`), so that
# a benchmark measures this build and that one in the same run and prints both side by side.
#
# DIR is the other checkout's build directory (e.g. the build of an older commit in a worktree
# of its own: git worktree add --detach ../baseline-COMMIT COMMIT; cmake -S … -B …/build; cmake
# --build …/build --target onemap bench_tiles bench_join bench_dispatch). The onemap binary was
# build/api/onemap before the layout by subsystem and build/apps/onemap/onemap since; the bench
# programs are under build/bench/ in both.

# The absolute path of the build directory, or exit 2 naming the script.
baseline_dir() {  # SCRIPT DIR
  [[ -d "$2" ]] || { echo "$1: --baseline: no directory '$2'" >&2; exit 2; }
  realpath "$2"
}

# The onemap binary of a build directory, or exit 2.
baseline_onemap() {  # SCRIPT DIR
  local f
  for f in "$2/apps/onemap/onemap" "$2/api/onemap"; do
    if [[ -x "$f" ]]; then echo "$f"; return; fi
  done
  echo "$1: --baseline: no onemap binary in $2 (apps/onemap/onemap or api/onemap)" >&2
  exit 2
}

# A bench program of a build directory (bench/NAME), or exit 2.
baseline_bench() {  # SCRIPT DIR NAME
  [[ -x "$2/bench/$3" ]] || { echo "$1: --baseline: no $3 in $2/bench (build it there)" >&2; exit 2; }
  echo "$2/bench/$3"
}

# The commit a build directory was built from (its CMake source directory's HEAD), for titles.
baseline_commit() {  # DIR
  local src
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt" 2>/dev/null)
  git -C "${src:-$1}" rev-parse --short HEAD 2>/dev/null || echo "?"
}
