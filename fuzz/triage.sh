#!/usr/bin/env bash
# fuzz/triage.sh FILE... — sorts what the results-file fuzzer found.
#
# For each artifact (crash-, oom-, leak-, timeout- files of
# build/fuzz/fuzz_results, or of fuzz_results_edits when the name starts
# with edits-, which is replayed to the file it edits; set SF_FUZZ_SEEDS
# as it was run), prints one line:
#   - where the sanitizer report points: the first stack frame outside the
#     sanitizer runtime and libc, as "shortfall <function> <file:line>" or
#     "libhdf5" (a fault inside HDF5 with shortfall's caller named), or
#     "none" when the input no longer fails;
#   - what the release build does with the file: the exit status, time and
#     peak memory of `shortfall info` and of `shortfall merge` (into a
#     scratch file).
# A line starting "shortfall" is a bug of ours, to fix with a regression
# test; see docs/reliability.md for how the others are reported.  For an
# edit list whose file `info` reads, the line ends "info = seed's" or
# "info DIFFERS from seed's": each of those is to be looked at.
#
#   FUZZ=build/fuzz/fuzz_results SHORTFALL=bin/shortfall fuzz/triage.sh ARTIFACTS...
set -u
fz=${FUZZ:-build/fuzz/fuzz_results}
sf=${SHORTFALL:-bin/shortfall}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:quarantine_size_mb=16}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp}

release() {  # release LABEL COMMAND...: "LABEL rc=N T s M MB"
  local label=$1; shift
  # GNU time's %x is 0 for a command killed by a signal; its own exit
  # status is the command's, or 128 + the signal (139: SIGSEGV).
  /usr/bin/time -f '%e %M' -o "$tmp/t" timeout 60 "$@" >/dev/null 2>"$tmp/err"
  local rc=$? t m; read -r t m < <(tail -1 "$tmp/t")
  printf '%s rc=%s %ss %sMB' "$label" "${rc:-?}" "${t:-?}" "$(( ${m:-0} / 1024 ))"
}

# The seeds of the edit-list target, in its order (by name, as strcmp).
seeds_dir=${SF_FUZZ_SEEDS:-build/fuzz/edit-seeds}
mapfile -t seeds < <(LC_ALL=C ls "$seeds_dir" 2>/dev/null | grep '\.h5$')

for f in "$@"; do
  file=$f seed=""
  case "$(basename "$f")" in
    edits*)  # an edit list of fuzz_results_edits: the file it makes
      SF_FUZZ_EDITED=$tmp/edited.h5 "${FUZZ_EDITS:-build/fuzz/fuzz_results_edits}" \
        -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=65536 "$f" >"$tmp/log" 2>&1
      file=$tmp/edited.h5
      # Its first byte picks the seed (low 7 bits, modulo the seeds).
      b=$(od -An -tu1 -N1 "$f" | tr -d ' ')
      [ -n "$b" ] && [ ${#seeds[@]} -gt 0 ] &&
        seed=$seeds_dir/${seeds[$(( (b & 127) % ${#seeds[@]} ))]} ;;
    *)
      "$fz" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=65536 "$f" >"$tmp/log" 2>&1 ;;
  esac
  kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer): [A-Za-z-]+' "$tmp/log" |
         sed 's/.*: //')
  [ -n "$kind" ] || kind=$(grep -m1 -oE 'runtime error: [^:]*' "$tmp/log")
  # The first frame that is neither the sanitizer runtime nor libc.
  frame=$(grep -E '^ +#[0-9]+ 0x' "$tmp/log" |
          grep -vE '__interceptor_|__asan|__sanitizer|__lsan|libc\.so|string/|fuzzer::|\(/[^)]*fuzz_[a-z_]*\+0x' |
          head -1)
  ours=$(grep -E '^ +#[0-9]+ 0x' "$tmp/log" | grep -m1 -oE 'in sf_[a-z0-9_]+ [^ ]+' | sed 's/^in //')
  case "$frame" in
    *libhdf5*) where="libhdf5 (under ${ours:-?})" ;;
    "") where="none" ;;
    *) where="shortfall ${frame#* in }" ;;
  esac
  [ -n "$kind" ] || where="none"
  # libFuzzer's RSS limit counts ASan's shadow of a huge lazy malloc (HDF5
  # asking for gigabytes from a damaged size): its stacks name no culprit,
  # and the release build's peak memory below is what a user would see.
  [ "$kind" = out-of-memory ] && where="the RSS limit (see the release build's peak)"
  rm -f "$tmp/m.h5"
  # An artifact that replays clean may have faulted only after what earlier
  # inputs left in HDF5's free lists; valgrind on the release build still
  # sees an over-read that did not fault (fault 11 in docs/reliability.md).
  vg=""
  if [ -z "$kind" ] && command -v valgrind >/dev/null; then
    valgrind -q --error-exitcode=99 "$sf" merge "$tmp/m.h5" "$file" >/dev/null 2>"$tmp/vg"
    if [ $? -eq 99 ]; then
      vg="; valgrind merge: $(grep -m1 -oE 'Invalid [a-z]+( of size [0-9]+)?' "$tmp/vg") under $(grep -m1 -oE 'by 0x[0-9A-F]+: sf_[a-z0-9_]+' "$tmp/vg" | sed 's/.*: //')"
    else
      vg="; valgrind merge: clean"
    fi
    rm -f "$tmp/m.h5"
  fi
  # An edited file that `info` reads must give its seed's table: a
  # damaged file read as another result is a fault too (fault 13, an
  # unreadable policy group, showed only here).  Provenance edited to
  # another value a file may hold (seed, threads, wall time) also differs.
  same=""
  if [ -n "$seed" ] && timeout 60 "$sf" info "$file" >"$tmp/info" 2>/dev/null; then
    timeout 60 "$sf" info "$seed" >"$tmp/info-seed" 2>/dev/null
    if cmp -s <(tail -n +2 "$tmp/info") <(tail -n +2 "$tmp/info-seed"); then
      same="; info = seed's"
    else
      same="; info DIFFERS from seed's: $(diff <(tail -n +2 "$tmp/info") <(tail -n +2 "$tmp/info-seed") | grep -c '^[<>]') lines"
    fi
  fi
  echo "$(basename "$f"): ${kind:-passes} at $where; $(release info "$sf" info "$file"); $(release merge "$sf" merge "$tmp/m.h5" "$file")$vg$same"
done
