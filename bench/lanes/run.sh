#!/bin/bash
# bench/lanes/run.sh — every figure of bench/lanes/README.md.
# Run from the repository root after `make -j2` (needs build/obj and
# build/libshortfall.a).  OUT (default /tmp/lanes) holds the capture,
# the binaries and the logs.  STEPS (default "capture build identity time
# callgrind") picks steps; REPS the timing repeats (default 7).
set -euo pipefail
OUT=${OUT:-/tmp/lanes}
STEPS=${STEPS:-capture build identity time callgrind}
REPS=${REPS:-7}
TRIALS=${TRIALS:-200}
CAP=$OUT/capture-$TRIALS.bin
mkdir -p "$OUT"
has() { [[ " $STEPS " == *" $1 "* ]]; }

if has capture; then
    # bin/shortfall's objects with sf_clearing_solve wrapped by capture.c
    gcc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Iinclude -c bench/lanes/capture.c -o "$OUT/capture.o"
    gcc -fopenmp -Wl,--wrap=sf_clearing_solve -o "$OUT/sf-capture" build/obj/sim/cli/main.o \
        $(ls build/obj/sim/cli/*.o | grep -v '/main\.o$') "$OUT/capture.o" build/libshortfall.a \
        -lhdf5_hl $(pkg-config --libs gsl hdf5-serial yaml-0.1 zlib) -lm
    SF_CAPTURE=$CAP "$OUT/sf-capture" run scenarios/ree-magnets.yaml -n "$TRIALS" --threads 1 \
        --policy baseline -o "$OUT/run.h5" --force --progress never | grep -E "Market solver|magnet:"
fi

# name | compiler | flags
CONFIGS=(
    "g2|gcc|-O2 -DW=2"
    "g4|gcc|-O2 -DW=4"
    "g8|gcc|-O2 -DW=8"
    "g4v3|gcc|-O2 -DW=4 -march=x86-64-v3"
    "g8v3|gcc|-O2 -DW=8 -march=x86-64-v3"
    "g8v4|gcc|-O2 -DW=8 -march=x86-64-v4"
    "g8o3v4|gcc|-O3 -DW=8 -march=x86-64-v4"
    "c4v3|clang|-O2 -ffp-contract=off -DW=4 -march=x86-64-v3"
    "c8v4|clang|-O2 -ffp-contract=off -DW=8 -march=x86-64-v4"
)
if has build; then
    for c in "${CONFIGS[@]}"; do
        IFS='|' read -r n cc fl <<<"$c"
        # shellcheck disable=SC2086
        $cc $fl -std=c11 -Wall -Wextra -Wno-psabi -Iinclude bench/lanes/lanes.c \
            models/clearing_ws.c -o "$OUT/$n" -lm
    done
fi

if has identity; then
    "$OUT/g4" "$CAP" "$TRIALS" 1 -1 replay | tail -1
    LANES_DUMP=$OUT/ref.bin "$OUT/g4" "$CAP" "$TRIALS" 1 -1 dump-scalar >/dev/null
    for c in "${CONFIGS[@]}"; do
        n=${c%%|*}
        for G in key trial; do
            echo "== $n LANES_GROUP=$G"
            LANES_GROUP=$G "$OUT/$n" "$CAP" "$TRIALS" 1 -1 check |
                grep -E "^W =|^grouping|^identity|^lockstep|^groups" | sed 's/ (y lam.*exp_memo)//'
            LANES_DUMP=$OUT/d.bin LANES_GROUP=$G "$OUT/$n" "$CAP" "$TRIALS" 1 -1 dump-lanes >/dev/null
            cmp "$OUT/ref.bin" "$OUT/d.bin" && echo "dump of every clearing ($(stat -c %s "$OUT/d.bin") bytes) identical to g4's scalar dump"
        done
        echo "== $n LANES_NOQUOTA=1 LANES_GROUP=key"
        LANES_NOQUOTA=1 LANES_GROUP=key "$OUT/$n" "$CAP" "$TRIALS" 1 -1 check |
            grep -E "^identity|^lockstep" | sed 's/ (y lam.*exp_memo)//'
    done
fi

if has time; then
    uptime
    for n in g2 g4 g8 g4v3 g8v3 g8v4 g8o3v4 c4v3 c8v4; do
        echo "== $n all clearings"
        LANES_GROUP=key "$OUT/$n" "$CAP" "$TRIALS" "$REPS" -1 time | grep "^ns"
    done
    for n in g4 g4v3 g8v4; do
        echo "== $n groups only"
        LANES_ONLY_GROUPS=1 LANES_GROUP=key "$OUT/$n" "$CAP" "$TRIALS" "$REPS" -1 time | grep "^ns"
    done
    uptime
fi

if has callgrind; then
    # (valgrind 3.19 has no AVX-512: W=8 is counted on AVX2 only)
    for og in 0 1; do
        for n in g4 g4v3 g8v3; do
            declare -A ir=()
            for m in load scalar lanes; do
                ir[$m]=$(LANES_ONLY_GROUPS=$og LANES_GROUP=key valgrind --tool=callgrind \
                    --callgrind-out-file="$OUT/cg-$n-$og-$m.out" "$OUT/$n" "$CAP" "$TRIALS" 1 -1 $m 2>&1 |
                    awk '/Collected/ {print $4}')
            done
            g=$(LANES_GROUP=key "$OUT/$n" "$CAP" "$TRIALS" 1 -1 none | grep '^grouping')
            all=$(LANES_GROUP=key "$OUT/$n" "$CAP" "$TRIALS" 1 -1 none | sed -nE 's/.* ([0-9]+) clearings = .*/\1/p')
            inG=$(echo "$g" | sed -E 's/.*\(([0-9]+) clearings.*/\1/')
            N=$([ "$og" = 1 ] && echo "$inG" || echo "$all")
            echo "$n only_groups=$og: Ir load ${ir[load]} scalar ${ir[scalar]} lanes ${ir[lanes]};" \
                "per clearing (over $N): scalar $(( (ir[scalar] - ir[load]) / N ))" \
                "lanes $(( (ir[lanes] - ir[load]) / N ))"
        done
    done
fi
