#!/usr/bin/env bash
# The Makefile as a user meets it: which Debian packages each target
# installs (make print-deps, and the list `make -n` shows each target's
# deps recipe checking), `make install PREFIX=...`, and `make report` on a
# fresh clone, which runs the scenario first.
set -u
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/cli/lib.bash
. tests/cli/scratch.bash

# group NAME: the packages `make print-deps` lists for target NAME.
make -s --no-print-directory print-deps >"$tmp/deps" 2>&1
group() { sed -n "s/^$1: //p" "$tmp/deps" | tr ' ' '\n' | grep -v '^$'; }
# has LIST PACKAGE: PACKAGE is a word of LIST.
has() { printf '%s\n' "$1" | grep -qx -- "$2"; }
# planned TARGET: the packages the deps recipe of `make -n TARGET` checks.
planned() { make -n --no-print-directory "$1" 2>/dev/null | sed -n 's/^missing=\$(for p in \(.*\); do .*/\1/p' | head -1 | tr ' ' '\n'; }

run=$(group run)
ok_if print-deps-run "[ -n \"$run\" ]" || cat "$tmp/deps"
for p in build-essential pkg-config libgsl-dev libhdf5-dev libyaml-dev librandom123-dev zlib1g-dev; do
  ok_if "deps-run-has-$p" "has \"\$run\" $p"
done
not_for_running="slurm-wlm munge openmpi-bin libopenmpi-dev libhdf5-openmpi-dev valgrind clang libcriterion-dev jupyter-nbconvert python3-xarray"
for p in $not_for_running; do
  ok_if "deps-run-lacks-$p" "! has \"\$run\" $p"
done
report=$(group report); testg=$(group test); cluster=$(group test-cluster); fuzz=$(group fuzz)
for p in jupyter-nbconvert python3-nbclient python3-ipykernel python3-xarray python3-h5py python3-matplotlib python3-pandas; do
  ok_if "deps-report-has-$p" "has \"\$report\" $p"
done
ok_if deps-report-lacks-cluster "! has \"\$report\" slurm-wlm && ! has \"\$report\" libcriterion-dev"
for p in libcriterion-dev valgrind hdf5-tools python3-yaml jupyter-nbconvert libgsl-dev; do
  ok_if "deps-test-has-$p" "has \"\$testg\" $p"
done
for p in slurm-wlm munge openmpi-bin libopenmpi-dev libhdf5-openmpi-dev python3-h5py; do
  ok_if "deps-cluster-has-$p" "has \"\$cluster\" $p"
done
ok_if deps-fuzz-has-clang "has \"\$fuzz\" clang"

# What the targets' recipes check and install (nothing runs under -n).
plan=$(planned run)
ok_if make-run-checks-gsl "has \"\$plan\" libgsl-dev"
for p in $not_for_running; do
  ok_if "make-run-skips-$p" "! has \"\$plan\" $p"
done
plan=$(planned report)
ok_if make-report-checks-notebook "has \"\$plan\" jupyter-nbconvert && ! has \"\$plan\" slurm-wlm"
plan=$(planned test)
ok_if make-test-checks-criterion "has \"\$plan\" libcriterion-dev && has \"\$plan\" valgrind"
plan=$(planned test-cluster)
ok_if make-test-cluster-checks-slurm "has \"\$plan\" slurm-wlm && has \"\$plan\" munge && has \"\$plan\" libhdf5-openmpi-dev"

# The rest runs make in a copy of the repository: once, with the normal build.
case "${BUILD:-}" in *asan*) echo "# make install, make report: skipped for the sanitizer build"; exit 0 ;; esac

# make install into a prefix (and under DESTDIR): the program, the report
# and what it reads, the docs; the installed report finds its notebooks.
scratch_copy "$tmp/src"
expect make-install 0 'install' -- make -C "$tmp/src" --no-print-directory install PREFIX="$tmp/prefix"
p=$tmp/prefix
ok_if install-bin "[ -x $p/bin/shortfall ] && $p/bin/shortfall --help >/dev/null 2>&1"
ok_if install-report "[ -x $p/bin/shortfall-report ] && [ -f $p/share/shortfall/notebooks/analysis.ipynb ] && [ -f $p/share/shortfall/notebooks/sweep.ipynb ]"
ok_if install-scenarios "[ -f $p/share/shortfall/scenarios/toy-magnets.yaml ] && [ -f $p/share/shortfall/examples/batches/toy-sweep.yaml ]"
ok_if install-docs "[ -f $p/share/doc/shortfall/README.md ] && [ -f $p/share/doc/shortfall/docs/output.md ]"
expect install-runs 0 'Results:' -- "$p/bin/shortfall" run "$p/share/shortfall/scenarios/toy-magnets.yaml" -n 300 -o "$tmp/i.h5" --progress never
# The Python reader, installed where Debian's python3 finds it for PREFIX=/usr
# (PYTHONPATH for any other prefix), reads the installed program's file.
ok_if install-python "PYTHONPATH=$p/lib/python3/dist-packages /usr/bin/python3 -c 'import shortfall; assert shortfall.__file__.startswith(\"$p/\"); assert shortfall.open(\"$tmp/i.h5\").sizes[\"trial\"] == 300'"
expect install-report-runs 3 "i2\.h5 not found" -- "$p/bin/shortfall-report" "$tmp/i2.h5"
# The installed sensitivity tool finds the installed reader (no PYTHONPATH).
expect install-sensitivity-runs 0 '^months_active\[cn_controls\]' -- \
  "$p/bin/shortfall-sensitivity" "$tmp/i.h5" --output shortfall_cum_world --only tail
expect make-install-destdir 0 'install' -- make -C "$tmp/src" --no-print-directory install PREFIX=/opt/sf DESTDIR="$tmp/stage"
ok_if install-destdir "[ -x $tmp/stage/opt/sf/bin/shortfall ] && [ -L $tmp/stage/opt/sf/bin/shortfall-report ]"

# make report on a fresh clone: no results file yet, so the default
# scenario runs first (here the toy one, to keep the test short), then the
# report.  `make -n report` shows that the default is ree-magnets.
expect make-report-default-scenario 0 'bin/shortfall run scenarios/ree-magnets\.yaml --force -o out/ree-magnets\.h5' -- \
  make -C "$tmp/src" -n --no-print-directory report
expect make-report-fresh-clone 0 'running the default scenario first' -- \
  make -C "$tmp/src" --no-print-directory report DEFAULT_SCENARIO=scenarios/toy-magnets.yaml
ok_if make-report-results "[ -s $tmp/src/out/toy-magnets.h5 ]"
ok_if make-report-figures "[ -s $tmp/src/out/figures/fan_US.png ] && [ -s $tmp/src/out/figures/headline.csv ]"
ok_if make-report-built-nothing "! grep -qE '^(cc|gcc) ' '$tmp/out'" || grep -E '^(cc|gcc) ' "$tmp/out" | head -3
# A second make report finds the file and does not run the scenario again.
expect make-report-again 0 'report: ' -- make -C "$tmp/src" --no-print-directory report DEFAULT_SCENARIO=scenarios/toy-magnets.yaml
ok_if make-report-again-no-run "! grep -q 'running the default scenario' '$tmp/out'"
