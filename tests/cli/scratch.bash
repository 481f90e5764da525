#!/usr/bin/env bash
# scratch.bash — a scratch copy of the repository for tests that run make
# or the documentation's examples as a new user would (sourced, not run).
#
#   scratch_copy DIR
#       copies the repository's files (tracked and untracked, not ignored;
#       no out/, build/ or bin/) to DIR with their times, then this
#       checkout's build (build/obj, build/gen, build/libshortfall.a) and the
#       binary under test ($SHORTFALL) as DIR/bin/shortfall, so that make in
#       DIR finds everything up to date instead of compiling for a minute;
#       with $SHORTFALL_MPI set, the MPI build (build/mpi) and that binary too.
#       Exports MAKEFLAGS=GIT_COMMIT=<the build's commit>: DIR is no git
#       checkout, and make would otherwise write "unknown" into version.h
#       and rebuild every object.

scratch_copy() {
  local dir=$1 sfbin=${SHORTFALL:-bin/shortfall}
  mkdir -p "$dir" || return 1
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard |
      tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$dir"
  else
    tar --exclude=./build --exclude=./bin --exclude=./out -cf - . | tar -xf - -C "$dir"
  fi
  if [ -f build/gen/version.h ] && [ -f build/libshortfall.a ]; then
    mkdir -p "$dir/build"
    cp -a build/obj build/gen build/libshortfall.a "$dir/build/"
    local commit
    commit=$(sed -n 's/^#define SF_GIT_COMMIT "\(.*\)"$/\1/p' build/gen/version.h)
    export MAKEFLAGS="GIT_COMMIT=$commit"
  fi
  if [ -n "${SHORTFALL_MPI:-}" ] && [ -f build/mpi/libshortfall.a ]; then  # make MPI=1
    mkdir -p "$dir/build/mpi" "$dir/bin"
    cp -a build/mpi/obj build/mpi/gen build/mpi/libshortfall.a "$dir/build/mpi/"
    cp "$SHORTFALL_MPI" "$dir/bin/shortfall-mpi" && touch "$dir/bin/shortfall-mpi"
  fi
  mkdir -p "$dir/bin"
  cp "$sfbin" "$dir/bin/shortfall" && touch "$dir/bin/shortfall"
}
