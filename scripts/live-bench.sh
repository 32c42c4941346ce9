#!/usr/bin/env bash
# live-bench.sh - the live-capture benchmark: the highest rate of full-size TCP frames
# that `segscope packets --format json -i IFACE` (to /dev/null) and `tcpdump -w /dev/null
# -i IFACE` take without a kernel drop, on the same link, in the same run.
#
# What it does
#   * makes two network namespaces of its own (sgio-gen-PID, sgio-cap-PID) joined by a
#     veth pair, MTU 1500, addresses 10.80.0.1/24 and 10.80.0.2/24 that exist only there;
#   * for each rate: starts the capture tool in sgio-cap on its veth end, runs the
#     project's generator (tools/pktgen: 1514-byte TCP frames of 256 connections, paced)
#     in sgio-gen for SECONDS, stops the tool with SIGINT and reads the kernel's received
#     and dropped counters from its summary; segscope first, then tcpdump;
#   * prints a Markdown table and removes the namespaces (also on failure).
#
# Usage (root): scripts/live-bench.sh [-s SECONDS] [RATE...]
#   default rates: 25000 50000 100000 200000 400000 800000 frames/s
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SECS=3
while getopts "s:" opt; do
  case $opt in
    s) SECS=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
RATES=("$@")
((${#RATES[@]})) || RATES=(25000 50000 100000 200000 400000 800000)
((EUID == 0)) || { echo "live-bench: needs root (namespaces, AF_PACKET)" >&2; exit 1; }
command -v tcpdump >/dev/null || { echo "live-bench: needs tcpdump" >&2; exit 1; }
TMP=$(mktemp -d)
GEN=sgio-gen-$$ CAP=sgio-cap-$$ VG=sgiog$$ VC=sgioc$$
cleanup() {
  ip netns del "$GEN" 2>/dev/null || true
  ip netns del "$CAP" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
(cd "$ROOT" && go build -o "$TMP/segscope" ./cmd/segscope && go build -o "$TMP/pktgen" ./tools/pktgen)
ip netns add "$GEN"
ip netns add "$CAP"
ip link add "$VG" type veth peer name "$VC"
ip link set "$VG" netns "$GEN"
ip link set "$VC" netns "$CAP"
ip -n "$GEN" addr add 10.80.0.1/24 dev "$VG"
ip -n "$CAP" addr add 10.80.0.2/24 dev "$VC"
for ns in "$GEN" "$CAP"; do ip -n "$ns" link set lo up; done
ip -n "$GEN" link set "$VG" mtu 1500 up
ip -n "$CAP" link set "$VC" mtu 1500 up
sleep 1

# measure TOOL RATE: prints "sent_rate received dropped"
measure() {
  local tool=$1 rate=$2 pid out gen sent
  out=$TMP/$tool.err
  case $tool in
    segscope) ip netns exec "$CAP" "$TMP/segscope" packets --format json -i "$VC" >/dev/null 2>"$out" & pid=$! ;;
    tcpdump) ip netns exec "$CAP" tcpdump -i "$VC" -w /dev/null -s 262144 >/dev/null 2>"$out" & pid=$! ;;
  esac
  sleep 1
  gen=$(ip netns exec "$GEN" "$TMP/pktgen" -i "$VG" -rate "$rate" -seconds "$SECS")
  sleep 1
  kill -INT "$pid"
  wait "$pid" || true
  sent=$(awk '{print $(NF-4)}' <<<"$gen")
  case $tool in
    segscope) sed -n 's/.*kernel: \([0-9]*\) received, \([0-9]*\) dropped.*/\1 \2/p' "$out" | tail -1 | sed "s/^/$sent /" ;;
    tcpdump)
      local r d
      r=$(sed -n 's/^\([0-9]*\) packets received by filter/\1/p' "$out")
      d=$(sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' "$out")
      echo "$sent $r $d" ;;
  esac
}

echo "| offered (frames/s) | sent (frames/s) | segscope received | segscope dropped | sent (frames/s) | tcpdump received | tcpdump dropped |"
echo "|---|---|---|---|---|---|---|"
for rate in "${RATES[@]}"; do
  read -r s1 r1 d1 < <(measure segscope "$rate")
  read -r s2 r2 d2 < <(measure tcpdump "$rate")
  echo "| $rate | $s1 | $r1 | $d1 | $s2 | $r2 | $d2 |"
done
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), commit $(git -C "$ROOT" rev-parse --short HEAD)"
