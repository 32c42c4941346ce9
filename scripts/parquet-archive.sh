#!/usr/bin/env bash
# parquet-archive.sh - the map/reduce way to run segscope over an archive of captures.
#
# What it does
#   * map: runs `segscope conns` and `segscope http --format parquet` on every capture of
#     DIR (rotated files from `segscope capture -C/-G` or `tcpdump -C/-G`, pcap, pcapng or
#     gzip), one process per file, JOBS at a time, with GNU parallel (xargs -P when
#     parallel is not installed): OUT/conns/NAME.parquet and OUT/http/NAME.parquet;
#   * reduce: queries all the files at once with DuckDB (tools/duckdb, npm
#     @duckdb/node-api; `npm ci --prefix tools/duckdb` once): files, connections and
#     packets, the busiest servers, status codes, the slowest exchanges (joined with their
#     connections by uid), and connections cut by a file boundary, found again by their
#     Community ID.
#
# Each file is analysed on its own, so a connection that spans two rotated files is two
# conn rows (one per file) with the same community_id: the last query joins them. The same
# map step runs unchanged as a Spark `rdd.pipe()` stage, a Kubernetes Job per file, or
# any batch system: its input is one capture, its output one Parquet file per kind.
#
# Usage: scripts/parquet-archive.sh [-j JOBS] [-s SEGSCOPE] DIR OUT
#   JOBS defaults to the number of cores; SEGSCOPE to segscope on PATH, else a build of
#   this checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
JOBS=$(nproc)
SEG=
while getopts "j:s:" opt; do
  case $opt in
    j) JOBS=$OPTARG ;;
    s) SEG=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
(($# == 2)) || { echo "usage: $0 [-j JOBS] [-s SEGSCOPE] DIR OUT" >&2; exit 2; }
DIR=$1 OUT=$2
[[ -d $DIR ]] || { echo "parquet-archive: $DIR is not a directory" >&2; exit 1; }
if [[ -z $SEG ]]; then
  if command -v segscope >/dev/null; then SEG=$(command -v segscope); else
    SEG=$(mktemp -d)/segscope
    (cd "$ROOT" && go build -o "$SEG" ./cmd/segscope)
  fi
fi
command -v node >/dev/null || { echo "parquet-archive: node is needed for the DuckDB queries" >&2; exit 1; }
[[ -d $ROOT/tools/duckdb/node_modules/@duckdb/node-api ]] ||
  { echo "parquet-archive: run 'npm ci --prefix $ROOT/tools/duckdb' first" >&2; exit 1; }
mkdir -p "$OUT/conns" "$OUT/http"

# The map step: one segscope process per capture and kind.
map_one() { # SEGSCOPE OUT FILE
  local name; name=$(basename "$3")
  "$1" conns -q --format parquet -o "$2/conns/$name.parquet" "$3"
  "$1" http -q --format parquet -o "$2/http/$name.parquet" "$3"
}
export -f map_one
mapfile -t files < <(find "$DIR" -maxdepth 1 -type f ! -name '.*' | sort -V)
((${#files[@]})) || { echo "parquet-archive: no files in $DIR" >&2; exit 1; }
start=$(date +%s.%N)
if command -v parallel >/dev/null; then
  parallel --will-cite --halt now,fail=1 -j "$JOBS" map_one "$SEG" "$OUT" ::: "${files[@]}"
else
  printf '%s\0' "${files[@]}" | xargs -0 -P "$JOBS" -I{} bash -c 'map_one "$@"' _ "$SEG" "$OUT" {}
fi
end=$(date +%s.%N)
printf "map: %d files, %.1f s with %d jobs\n" "${#files[@]}" "$(echo "$end - $start" | bc)" "$JOBS"

# The reduce step: SQL over every file at once.
C="read_parquet('$OUT/conns/*.parquet', filename = true)"
H="read_parquet('$OUT/http/*.parquet', filename = true)"
node "$ROOT/tools/duckdb/query.mjs" \
  "select count(distinct filename) as files, count(*) as conns, sum(packets_c2s + packets_s2c) as packets from $C" \
  "select server, count(*) as conns, sum(bytes_s2c) as bytes_to_clients from $C group by server order by bytes_to_clients desc limit 3" \
  "select status, count(*) as exchanges from $H group by status order by exchanges desc" \
  "select uri, round(timing_wait_ns / 1e6, 2) as wait_ms, conn_state from $H join $C using (uid) order by timing_wait_ns desc limit 3" \
  "select community_id, count(*) as pieces, sum(bytes_s2c) as bytes_s2c from $C group by community_id having count(*) > 1 order by pieces desc limit 3"
