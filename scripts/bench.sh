#!/usr/bin/env bash
# bench.sh - time segscope against the peers installed on this machine, on the same capture.
#
# What it does
#   * uses the benchmark capture BENCH_DIR/bench-SIZE-mtu1500.pcap (BENCH_DIR defaults to
#     /tmp/bench; SIZE is small (~20 MB) or large (~1 GB)), or --file PATH. When the pcap is
#     missing it runs ../shared/bench/make-corpus.sh (relative to the repository, or
#     /work/shared/bench/make-corpus.sh) to make it. That needs root, nginx, curl, tcpdump,
#     iproute2, ethtool, openssl and awk, and takes about a minute for small (longer for
#     large); without them, make the capture elsewhere and point BENCH_DIR at it.
#   * builds segscope (go build -o into a temp dir) and the truth checker (scripts/truthcheck);
#   * warms the page cache, then runs every tool once per round, in alternation, for N
#     rounds, and keeps the median wall time (measured with bash's EPOCHREALTIME) and the median
#     peak RSS (/usr/bin/time -f %M):
#       segscope http --format json -q      segscope conns --format json -q
#       segscope packets --format json -q   the same three with --workers 2 (when built with it)
#       tshark -r F -Y http -T fields -e http.request.method -e http.request.uri
#              -e http.response.code        (tshark's HTTP dissection)
#       tcpdump -nn -r F                    (header printing only)
#       tcpflow -o TMP -r F                 (stream reassembly to files; output removed
#                                            after each run; skipped when disk is short)
#     every output to /dev/null;
#   * measures start-up time on a 3-packet capture, averaged over many runs;
#   * checks correctness: segscope http's records against NAME.truth.tsv (nginx's access
#     log), "truth: N/N transactions matched (method, uri, status, body length)";
#   * prints Markdown tables (with the machine, the load average and the commit) to stdout.
#
# The machine should be idle: the load average before and after is printed with the table.
#
# Usage: scripts/bench.sh [--small|--large] [--file PCAP] [--rounds N] [--peers|--no-peers]
#                         [--no-tcpflow] [--startup-runs N] [--no-startup] [--no-truth]
#                         [--rev GITREV] [--gobench] [--tshark-packets]
#   --rev builds segscope from that commit (git archive into the temp dir) instead of the
#   working tree: numbers for a named commit while the tree is being edited.
#   --tshark-packets also times tshark printing every TCP segment's fields and analysis
#   flags (-T fields), the peer of segscope packets (slow: about a minute per round on 1 GB).
#   --gobench also runs the per-stage Go benchmarks (bench_test.go) on the same capture,
#   5 times each, and prints the fastest run of each.
set -euo pipefail

SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/bench}
SIZE=small
FILE=
ROUNDS=3
PEERS=1
TCPFLOW=1
STARTUP=1
STARTUP_RUNS=50
TRUTH=1
REV=
GOBENCH=0
TSHARK_PACKETS=0
while (($#)); do
  case $1 in
    --small) SIZE=small; shift ;;
    --large) SIZE=large; shift ;;
    --file) FILE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --peers) PEERS=1; shift ;;
    --no-peers) PEERS=0; shift ;;
    --no-tcpflow) TCPFLOW=0; shift ;;
    --startup-runs) STARTUP_RUNS=$2; shift 2 ;;
    --no-startup) STARTUP=0; shift ;;
    --no-truth) TRUTH=0; shift ;;
    --rev) REV=$2; shift 2 ;;
    --gobench) GOBENCH=1; shift ;;
    --tshark-packets) TSHARK_PACKETS=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: error: --rounds wants a positive number" >&2; exit 2; }

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

[[ -x /usr/bin/time ]] || { echo "bench.sh: error: /usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 1; }

# ---- the capture ------------------------------------------------------------------------
if [[ -z $FILE ]]; then
  FILE=$BENCH_DIR/bench-$SIZE-mtu1500.pcap
  if [[ ! -s $FILE ]]; then
    MC=
    for c in "$ROOT/../shared/bench/make-corpus.sh" /work/shared/bench/make-corpus.sh; do
      [[ -f $c ]] && { MC=$c; break; }
    done
    [[ -n $MC ]] || { echo "bench.sh: error: $FILE is missing and make-corpus.sh was not found" >&2; exit 1; }
    if ((EUID != 0)); then
      echo "bench.sh: error: $FILE is missing; making it needs root (network namespaces, tcpdump)" >&2
      echo "bench.sh: hint: sudo bash $MC -o $BENCH_DIR -m veth -z $SIZE   (needs nginx curl tcpdump ip ethtool openssl)" >&2
      exit 1
    fi
    log "making $FILE with $MC (root; nginx, curl, tcpdump, ip, ethtool, openssl)"
    bash "$MC" -o "$BENCH_DIR" -m veth -z "$SIZE"
  fi
fi
[[ -s $FILE ]] || { echo "bench.sh: error: no capture at $FILE" >&2; exit 1; }
BASE=${FILE%.pcap}; BASE=${BASE%.pcapng}
TRUTHFILE=$BASE.truth.tsv
INFO=$BASE.info
BYTES=$(stat -L -c %s "$FILE")

TMP=$(mktemp -d /tmp/segscope-bench.XXXXXX)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ------------------------------------------------------------------------------
SRC=$ROOT
if [[ -n $REV ]]; then
  mkdir -p "$TMP/src"
  (cd "$ROOT" && git archive "$REV") | tar -x -C "$TMP/src"
  SRC=$TMP/src
  COMMIT=$(cd "$ROOT" && git rev-parse --short "$REV")
else
  COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n $(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    COMMIT="$COMMIT (+ uncommitted changes)"
  fi
fi
log "building segscope ($COMMIT)"
(cd "$SRC" && go build -o "$TMP/segscope" ./cmd/segscope)
# the truth checker from the working tree if it is there (it may be newer than REV)
if [[ -f $ROOT/scripts/truthcheck/main.go ]]; then
  (cd "$ROOT" && go build -o "$TMP/truthcheck" ./scripts/truthcheck)
else
  (cd "$SRC" && go build -o "$TMP/truthcheck" ./scripts/truthcheck)
fi
SEG=$TMP/segscope

# ---- packet count -----------------------------------------------------------------------
# the records in the file (capinfos), else tcpdump's counter from make-corpus.sh's .info
PACKETS=
if have capinfos; then
  PACKETS=$(capinfos -M -c -T -r "$FILE" 2>/dev/null | awk -F'\t' 'NR==1 && $2 ~ /^[0-9]+$/ {print $2}')
fi
if [[ -z $PACKETS && -f $INFO ]]; then
  PACKETS=$(sed -n 's/^\([0-9][0-9]*\) packets captured$/\1/p' "$INFO" | head -1)
fi
if [[ -z $PACKETS ]] && have tcpdump; then
  PACKETS=$(tcpdump -nn -r "$FILE" 2>/dev/null | wc -l)
fi
PACKETS=${PACKETS:-0}

# ---- the tools --------------------------------------------------------------------------
# NAMES[i] is shown in the table, CMDS[i] is the command line (F stands for the capture).
NAMES=() CMDS=()
add() { NAMES+=("$1"); CMDS+=("$2"); }
add "segscope http" "segscope http --format json -q F"
add "segscope conns" "segscope conns --format json -q F"
add "segscope packets" "segscope packets --format json -q F"
# --workers (when the build has it): the same output from several goroutines
SEGHELP=$("$SEG" http --help 2>&1 || true)
if [[ $SEGHELP == *--workers* ]]; then
  add "segscope http, 2 workers" "segscope http --format json -q --workers 2 F"
  add "segscope conns, 2 workers" "segscope conns --format json -q --workers 2 F"
  add "segscope packets, 2 workers" "segscope packets --format json -q --workers 2 F"
fi
if ((PEERS)); then
  have tshark && add "tshark (HTTP)" "tshark -r F -Y http -T fields -e http.request.method -e http.request.uri -e http.response.code"
  # tshark's equivalent of segscope packets: every TCP segment's fields with its analysis
  ((TSHARK_PACKETS)) && have tshark && add "tshark (packets)" "tshark -r F -T fields -e frame.number -e frame.time_epoch -e tcp.stream -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len -e tcp.window_size -e tcp.options -e tcp.analysis.flags"
  have tcpdump && add "tcpdump" "tcpdump -nn -r F"
  if ((TCPFLOW)) && have tcpflow; then
    # tcpflow writes every stream's payload to a file: about the capture's size
    avail=$(($(df -P -B1 "$TMP" | awk 'NR==2{print $4}')))
    if ((avail > 3 * BYTES)); then
      add "tcpflow" "tcpflow -o OUT -r F"
    else
      log "skipping tcpflow: $((avail >> 20)) MiB free in $TMP, want $((3 * BYTES >> 20))"
    fi
  fi
fi

# run1 I : run tool I once; appends "wall_seconds rss_kib" to $TMP/res.I
run1() {
  local i=$1 cmd=${CMDS[$1]} args=() w t0 t1 rss rc=0
  read -r -a args <<<"$cmd"
  for w in "${!args[@]}"; do
    case ${args[$w]} in
      F) args[w]=$FILE ;;
      OUT) rm -rf "$TMP/tcpflow"; mkdir -p "$TMP/tcpflow"; args[w]=$TMP/tcpflow ;;
      segscope) args[w]=$SEG ;;
    esac
  done
  t0=${EPOCHREALTIME/[.,]/}
  /usr/bin/time -f '%M %U %S' -o "$TMP/time" "${args[@]}" >/dev/null 2>"$TMP/stderr" || rc=$?
  t1=${EPOCHREALTIME/[.,]/}
  if ((rc != 0)); then
    log "${NAMES[$i]} exited with status $rc:"; tail -5 "$TMP/stderr" >&2
  fi
  rss=$(tail -1 "$TMP/time")   # "peak_rss_kib user_s sys_s"
  echo "$((t1 - t0)) $rss" >>"$TMP/res.$i"
  [[ ${args[0]} != tcpflow ]] || rm -rf "$TMP/tcpflow"
}

median() { sort -n | awk '{v[NR]=$1} END{if (NR==0) print 0; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "warming the page cache ($((BYTES >> 20)) MiB)"
cat "$FILE" >/dev/null
for ((r = 1; r <= ROUNDS; r++)); do
  log "round $r/$ROUNDS"
  for i in "${!NAMES[@]}"; do run1 "$i"; done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table --------------------------------------------------------------------------
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(free -h | awk '/^Mem:/{print $2}')
echo "## segscope benchmark: $(basename "$FILE")"
echo
echo "- capture: \`$FILE\`, $BYTES bytes ($(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1048576}') MiB), $PACKETS packets$( [[ -f $TRUTHFILE ]] && echo ", $(wc -l <"$TRUTHFILE") HTTP transactions in the nginx log")"
echo "- segscope commit $COMMIT, $(go version | cut -d' ' -f3-4)"
echo "- machine: $(nproc) CPUs ($CPU), $MEM RAM, $(uname -sr)"
echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER"
echo "- median of $ROUNDS rounds, tools run in alternation, warm page cache, output to /dev/null; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
T0=$(median <"$TMP/res.0")
C0=$(awk '{print $3 + $4}' "$TMP/res.0" | median)
TSH= TSHC= TSP= TSPC=
for i in "${!NAMES[@]}"; do
  case ${NAMES[$i]} in
    "tshark (HTTP)")
      TSH=$(median <"$TMP/res.$i")
      TSHC=$(awk '{print $3 + $4}' "$TMP/res.$i" | median) ;;
    "tshark (packets)")
      TSP=$(median <"$TMP/res.$i")
      TSPC=$(awk '{print $3 + $4}' "$TMP/res.$i" | median) ;;
  esac
done
printf '| tool | command | wall s | CPU s | MB/s | packets/s | peak RSS MiB | ÷ segscope http (wall, CPU) |%s%s\n' \
  "$([[ -n $TSH ]] && echo ' tshark HTTP ÷ tool (wall, CPU) |')" "$([[ -n $TSP ]] && echo ' tshark packets ÷ tool (wall, CPU) |')"
printf '|---|---|---:|---:|---:|---:|---:|---:|%s%s\n' "$([[ -n $TSH ]] && echo '---:|')" "$([[ -n $TSP ]] && echo '---:|')"
for i in "${!NAMES[@]}"; do
  us=$(awk '{print $1}' "$TMP/res.$i" | median)
  rss=$(awk '{print $2}' "$TMP/res.$i" | median)
  cpu=$(awk '{print $3 + $4}' "$TMP/res.$i" | median)
  awk -v name="${NAMES[$i]}" -v cmd="${CMDS[$i]}" -v us="$us" -v rss="$rss" -v cpu="$cpu" -v b="$BYTES" \
      -v p="$PACKETS" -v t0="$T0" -v c0="$C0" -v tsh="$TSH" -v tshc="$TSHC" -v tsp="$TSP" -v tspc="$TSPC" 'BEGIN {
    s = us / 1e6; if (s <= 0) s = 1e-6
    cr = c0 > 0 ? sprintf("%.2f×", cpu / c0) : "-"
    printf "| %s | `%s` | %.3f | %.2f | %.0f | %.3f M | %.1f | %.2f×, %s |", name, cmd, s, cpu, b / 1e6 / s, p / s / 1e6, rss / 1024, us / t0, cr
    if (tsh != "") printf " %.1f×, %s |", tsh / us, (cpu > 0 ? sprintf("%.1f×", tshc / cpu) : "-")
    if (tsp != "") printf " %.1f×, %s |", tsp / us, (cpu > 0 ? sprintf("%.1f×", tspc / cpu) : "-")
    printf "\n"
  }'
done
echo
echo "wall s: median wall-clock seconds; CPU s: median user+sys seconds (10 ms resolution; steadier than wall"
echo "time on a busy machine); MB/s: 10^6 bytes of capture file per wall second; packets/s in millions;"
echo "peak RSS: median of /usr/bin/time's maximum resident set size; ratios: of median wall times, then of median CPU times."

# ---- start-up ---------------------------------------------------------------------------
if ((STARTUP)); then
  TINY=
  for c in "$ROOT/../shared/pcaps/tcpdump/tcp-handshake-nano.pcap" /work/shared/pcaps/tcpdump/tcp-handshake-nano.pcap; do
    [[ -f $c ]] && { TINY=$c; break; }
  done
  if [[ -z $TINY ]]; then
    # the smallest pcap under testdata
    TINY=$(find "$ROOT" -path '*/testdata/*' -name '*.pcap' -size -4k -printf '%s %p\n' 2>/dev/null | sort -n | head -1 | cut -d' ' -f2-)
  fi
  if [[ -n $TINY ]]; then
    echo
    echo "### start-up on a tiny capture (\`$(basename "$TINY")\`, $(tcpdump -nn -r "$TINY" 2>/dev/null | wc -l) packets)"
    echo
    echo "| command | runs | median ms | min ms |"
    echo "|---|---:|---:|---:|"
    startup() { # NAME RUNS CMD... : median of RUNS single runs (noise-robust on a busy machine)
      local name=$1 runs=$2 t0 t1 k; shift 2
      "$@" >/dev/null 2>&1 || true
      : >"$TMP/startup"
      for ((k = 0; k < runs; k++)); do
        t0=${EPOCHREALTIME/[.,]/}; "$@" >/dev/null 2>&1 || true; t1=${EPOCHREALTIME/[.,]/}
        echo $((t1 - t0)) >>"$TMP/startup"
      done
      awk -v n="$name" -v r="$runs" -v med="$(median <"$TMP/startup")" -v lo="$(sort -n "$TMP/startup" | head -1)" \
        'BEGIN{printf "| `%s` | %d | %.1f | %.1f |\n", n, r, med / 1e3, lo / 1e3}'
    }
    startup "segscope http --format json -q" "$STARTUP_RUNS" "$SEG" http --format json -q "$TINY"
    startup "segscope packets --format json -q" "$STARTUP_RUNS" "$SEG" packets --format json -q "$TINY"
    startup "/bin/true (fork+exec floor)" "$STARTUP_RUNS" /bin/true
    if ((PEERS)); then
      have tcpdump && startup "tcpdump -nn -r" "$STARTUP_RUNS" tcpdump -nn -r "$TINY"
      have tshark && startup "tshark -r -Y http -T fields" "$(((STARTUP_RUNS + 9) / 10))" \
        tshark -r "$TINY" -Y http -T fields -e http.request.method
    fi
    # package initialisation inside segscope (gopacket's layers is the known cost)
    GODEBUG=inittrace=1 "$SEG" packets --format json -q "$TINY" 2>"$TMP/inittrace" >/dev/null || true
    awk '/^init /{ms += $5; if ($5 + 0 >= 0.5) top = top sprintf(" %s %.1f ms;", $2, $5)} END{printf "\nGo package init, total %.1f ms (GODEBUG=inittrace=1);%s\n", ms, top == "" ? " none above 0.5 ms" : " above 0.5 ms:" top}' "$TMP/inittrace"
  fi
fi

# ---- correctness ------------------------------------------------------------------------
if ((TRUTH)) && [[ -f $TRUTHFILE ]]; then
  echo
  "$SEG" http --format json -q "$FILE" >"$TMP/http.jsonl"
  "$TMP/truthcheck" "$TRUTHFILE" "$TMP/http.jsonl" || true
fi

# ---- Go benchmarks per stage ------------------------------------------------------------
if ((GOBENCH)); then
  if [[ -f $SRC/bench_test.go ]]; then
    log "go test -bench (5 runs each)"
    (cd "$SRC" && SEGSCOPE_BENCH_FILE=$FILE go test -run '^$' -bench . -benchtime 20x -count 5 .) >"$TMP/gobench" 2>&1 || true
    echo
    echo "### Go benchmarks per stage (\`go test -bench . -benchtime 20x -count 5\`, fastest of 5)"
    echo
    echo "| benchmark | ns/op | MB/s | packets/s | B/op | allocs/op |"
    echo "|---|---:|---:|---:|---:|---:|"
    awk '/^Benchmark/ {
      n = $1; sub(/-[0-9]+$/, "", n); t = $3 + 0
      if (!(n in best) || t < best[n]) { best[n] = t; line[n] = $0 }
      if (!(n in order)) order[n] = ++k
    }
    END {
      for (n in order) idx[order[n]] = n
      for (i = 1; i <= k; i++) {
        n = idx[i]; split(line[n], f, /[ \t]+/)
        mb = pk = bo = al = "-"
        for (j = 1; j <= length(f); j++) {
          if (f[j] == "MB/s") mb = f[j-1]
          if (f[j] == "packets/s") pk = sprintf("%.2f M", f[j-1] / 1e6)
          if (f[j] == "B/op") bo = f[j-1]
          if (f[j] == "allocs/op") al = f[j-1]
        }
        printf "| %s | %s | %s | %s | %s | %s |\n", n, best[n], mb, pk, bo, al
      }
    }' "$TMP/gobench"
    grep -E '^(FAIL|---|panic)' "$TMP/gobench" || true
  else
    log "no bench_test.go in $SRC: skipping --gobench"
  fi
fi
