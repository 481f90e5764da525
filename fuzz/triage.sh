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
# test; see docs/reliability.md for how the others are reported.
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

for f in "$@"; do
  file=$f
  case "$(basename "$f")" in
    edits*)  # an edit list of fuzz_results_edits: the file it makes
      SF_FUZZ_EDITED=$tmp/edited.h5 "${FUZZ_EDITS:-build/fuzz/fuzz_results_edits}" \
        -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=65536 "$f" >"$tmp/log" 2>&1
      file=$tmp/edited.h5 ;;
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
  echo "$(basename "$f"): ${kind:-passes} at $where; $(release info "$sf" info "$file"); $(release merge "$sf" merge "$tmp/m.h5" "$file")$vg"
done
