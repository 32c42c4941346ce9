#!/usr/bin/env bash
# pgo.sh - remake cmd/segscope/default.pgo, the CPU profile that `go build` uses for
# profile-guided optimisation of the segscope command.
#
# It runs the whole-pipeline benchmarks of the root package (packets, conns and http with
# JSON output, one worker and two) on a benchmark capture and merges their CPU profiles.
# Remake it after large changes to the hot path; a stale profile is harmless (it only
# steers inlining and layout), never wrong.
#
# Usage: scripts/pgo.sh [PCAP]   (default: /tmp/bench/bench-large-mtu1500.pcap, made by
#                                 ../shared/bench/make-corpus.sh; the small one works too)
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
PCAP=${1:-/tmp/bench/bench-large-mtu1500.pcap}
[[ -s $PCAP ]] || { echo "pgo.sh: error: no capture at $PCAP" >&2; echo "pgo.sh: hint: make one with ../shared/bench/make-corpus.sh (root), or name one" >&2; exit 1; }
TMP=$(mktemp -d /tmp/segscope-pgo.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
profs=()
for b in PacketsJSON HTTPJSON Conns PacketsJSONWorkers2 HTTPJSONWorkers2; do
  SEGSCOPE_BENCH_FILE=$PCAP go test -run '^$' -bench "^Benchmark$b\$" -benchtime 10x \
    -cpuprofile "$TMP/$b.prof" -o "$TMP/segscope.test" . >/dev/null
  profs+=("$TMP/$b.prof")
done
go tool pprof -proto "${profs[@]}" >cmd/segscope/default.pgo 2>/dev/null
echo "wrote cmd/segscope/default.pgo ($(stat -c %s cmd/segscope/default.pgo) bytes) from ${#profs[@]} profiles of $PCAP"
