#!/usr/bin/env bash
# The doc test: every example of README.md, docs/*.md and notebooks/README.md
# runs as written.  tests/python/doctest_blocks.py takes out the sh and
# python blocks marked <!-- doctest --> (every such block must carry a
# marker: docs/design.md, "Tests"); the blocks of one file run in order in
# a fresh scratch copy of the repository, as a new user on a fresh clone
# would run them.  Each sh block runs with bash -e -o pipefail, each python
# block with /usr/bin/python3, in the copy's root, with its bin/ first on
# PATH (so `shortfall` is the binary under test) and HOME a scratch
# directory; a block passes when it exits 0 (a block that states its output
# checks it itself).  The copy has this checkout's build, so `make` there
# compiles nothing (tests/cli/scratch.bash).
#
# With DOCTEST_MODE=cluster (tests/cluster/doctest.sh, make test-cluster)
# it runs the blocks marked <!-- doctest: cluster --> instead, with the MPI
# build ($SHORTFALL_MPI) in the copy, and as root with OpenMPI's
# OMPI_ALLOW_RUN_AS_ROOT set, as the docs say.
set -u
mode=${DOCTEST_MODE:-run}
# A block that runs make test would run this test again, and so on.
if [ -n "${SHORTFALL_DOCTEST:-}" ]; then echo "# doctest: not run inside a doc test's example"; exit 0; fi
export SHORTFALL_DOCTEST=1
case "${BUILD:-}" in *asan*) echo "# doctest: skipped for the sanitizer build (the examples run once, with the normal build)"; exit 0 ;; esac
sf=$(realpath "${SHORTFALL:-bin/shortfall}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
. tests/cli/scratch.bash
if [ "$mode" = cluster ]; then
  prefix=doctest-cluster
  [ -n "${SHORTFALL_MPI:-}" ] && SHORTFALL_MPI=$(realpath "$SHORTFALL_MPI")
  [ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
else
  prefix=doctest
  unset SHORTFALL_MPI
fi

# The marker rules themselves, on a made-up page.
cat >"$tmp/page.md" <<'MD'
<!-- doctest -->
```sh
echo run
```
```python
print("no marker")
```
<!-- doctest: skip -->
```sh
echo skipped without a reason
```
<!-- doctest: sometimes -->
```sh
echo unknown marker
```
<!-- doctest -->
Text, not a block.

<!-- doctest: skip slow -->
```bash
echo skipped
```
<!-- doctest: cluster -->
```sh
echo cluster
```
MD
expect $prefix-markers-checked 2 'page\.md:5: python block without a doctest marker' -- \
  /usr/bin/python3 tests/python/doctest_blocks.py --mode run --out "$tmp/page" "$tmp/page.md"
ok_if $prefix-markers-errors "grep -q 'page.md:8: doctest: skip needs a reason' '$tmp/out' && \
  grep -q \"page.md:12: unknown doctest marker 'sometimes'\" '$tmp/out' && \
  grep -q 'page.md:16: doctest marker before no sh or python block' '$tmp/out' && [ \$(wc -l <'$tmp/out') -eq 5 ]"
ok_if $prefix-markers-mode "[ \"\$(cat '$tmp/page/001.sh')\" = 'echo run' ] && [ ! -e '$tmp/page/002.sh' ]"

docs=(README.md docs/*.md notebooks/README.md)
/usr/bin/python3 tests/python/doctest_blocks.py --mode "$mode" --out "$tmp/blocks" "${docs[@]}" \
  >"$tmp/manifest" 2>"$tmp/markers"
ok_if $prefix-every-block-marked "[ ! -s '$tmp/markers' ]" || sed 's/^/    /' "$tmp/markers"
ok_if $prefix-blocks-found "[ \$(wc -l <'$tmp/manifest') -ge 2 ]"

# A block runs as a new user's shell would: without the test harness's
# variables that make reads (BUILD=build in the environment made the
# MPI example's `make MPI=1` link the serial objects into shortfall-mpi,
# whose ranks then each ran the whole run alone).
clean="-u BUILD -u BIN -u SAN -u OPT -u MPI -u SHORTFALL -u SHORTFALL_MPI"
# run_block NAME DIR HOME LANG FILE: one block, ok/not ok and its output on failure.
run_block() {
  local name=$1 dir=$2 home=$3 lang=$4 block=$5 rc start=$SECONDS
  if [ "$lang" = python ]; then
    (cd "$dir" && env $clean PATH="$dir/bin:$PATH" HOME="$home" MPLBACKEND=Agg /usr/bin/python3 "$block") \
      >"$tmp/out" 2>&1 </dev/null
  else
    (cd "$dir" && env $clean PATH="$dir/bin:$PATH" HOME="$home" MPLBACKEND=Agg bash -e -o pipefail "$block") \
      >"$tmp/out" 2>&1 </dev/null
  fi
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ok $name ($((SECONDS - start)) s)"
  else
    echo "not ok $name (exit $rc)"
    sed 's/^/    | /' "$block"
    tail -25 "$tmp/out" | sed 's/^/    /'
  fi
}

n=0
for doc in "${docs[@]}"; do
  grep -q "^$doc	" "$tmp/manifest" || continue
  n=$((n + 1))
  dir=$tmp/clone-$n home=$tmp/home-$n
  mkdir -p "$home"
  SHORTFALL=$sf scratch_copy "$dir"
  while IFS=$'\t' read -r file line lang block; do
    [ "$file" = "$doc" ] || continue
    run_block "$prefix-$doc:$line" "$dir" "$home" "$lang" "$block"
  done <"$tmp/manifest"
  rm -rf "$dir" "$home"
done
