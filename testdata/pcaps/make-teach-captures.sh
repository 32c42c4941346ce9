#!/usr/bin/env bash
# make-teach-captures.sh — the captures of the connection-management lessons (issue 15).
#
# Same rules as make-captures.sh: real kernel TCP stacks, nginx and curl from Debian and
# the small Go programs in tools/ talk inside network namespaces this script creates (all
# named sgte-*, addresses only in 10.81.0.0/24 and fd81::/64); tcpdump writes what was on
# the wire; nothing is crafted by hand. Expectations (<capture>.expect.tsv) come from the
# programs' own logs (nginx access log, curl -w, tools/teachpeer, tools/tapfwd).
#
#   tfo            two curl --tcp-fastopen GETs: the first gets a cookie, the second
#                  carries its request in the SYN (RFC 7413)
#   tw-reuse       tools/teachpeer's client closes first (holds TIME_WAIT) and, with
#                  net.ipv4.tcp_tw_reuse=1, connects again from the same port 1.2 s later
#   curl-keepalive six GETs with one curl (one persistent connection), 10 ms one-way
#                  latency through tools/tapfwd
#   curl-close     the same six GETs, one connection per request (Connection: close)
#   nagle          20 write-write-read POSTs on one connection without TCP_NODELAY
#   nodelay        the same with TCP_NODELAY
#   dns-curl       curl resolves www.segscope.test through tools/teachpeer's DNS
#                  responder, then GETs from the answer
#
# Usage (as root):   bash testdata/pcaps/make-teach-captures.sh [NAME...]
# Environment: OUT=dir (default: this directory), KEEP_WORK=1
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$HERE}
LOGS=$OUT/logs

die() { echo "make-teach-captures: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need ip iproute2
need ethtool ethtool
need tcpdump tcpdump
need tshark tshark
need nginx nginx
need curl curl
need awk mawk
need go "golang (a Go toolchain satisfying go.mod)"
[[ -c /dev/net/tun ]] || die "/dev/net/tun missing (needed by tools/tapfwd)"
((${#missing[@]} == 0)) || die "missing Debian packages: ${missing[*]}"

NSLIST=(sgte-c sgte-s sgte-lc sgte-ls)
WORK=$(mktemp -d /tmp/sgte-captures.XXXXXX)
PIDS=()
kill_ns_pids() { local p; for p in $(ip netns pids "$1" 2>/dev/null); do kill "$p" 2>/dev/null || true; done; }
cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for ns in "${NSLIST[@]}"; do
		if ip netns list | grep -qw "$ns"; then kill_ns_pids "$ns"; ip netns del "$ns" 2>/dev/null || true; fi
	done
	ip link del sgte-tapa 2>/dev/null || true
	ip link del sgte-tapb 2>/dev/null || true
	rm -rf /etc/netns/sgte-c
	if [[ -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; else echo "work dir kept: $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ns in "${NSLIST[@]}"; do
	if ip netns list | grep -qw "$ns"; then kill_ns_pids "$ns"; ip netns del "$ns"; fi
done
mkdir -p "$OUT" "$LOGS" "$WORK/bin" "$WORK/www"

say "building tools"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/bin/" ./tools/tapfwd ./tools/httpsrv ./tools/teachpeer)
BIN=$WORK/bin

text() { awk -v n="$1" 'BEGIN{ s=""; for (i=1; length(s)<n; i++) s = s sprintf("line %06d of the segscope test file: pack my box with five dozen liquor jugs\n", i); printf "%s", substr(s,1,n) }'; }
W=$WORK/www
for i in 1 2 3 4 5 6; do text $((2000 + i * 1500)) >"$W/s$i.txt"; done
text 5000 >"$W/a.txt"
text 3000 >"$W/c.txt"
find "$W" -type f -exec touch -d '@1700000000' {} +

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
newns() {
	ip netns add "$1"
	nsx "$1" ip link set lo up
	nsx "$1" sysctl -qw net.ipv4.tcp_ecn=0
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}
offload_off() {
	local f
	for f in tso gso gro lro tx rx sg ufo; do nsx "$1" ethtool -K "$2" "$f" off >/dev/null 2>&1 || true; done
}

say "topology: sgte-c (10.81.0.1, fd81::1) <-veth-> sgte-s (10.81.0.2, fd81::2)"
newns sgte-c
newns sgte-s
ip link add sgte-vc netns sgte-c type veth peer name sgte-vs netns sgte-s
nsx sgte-c ip link set sgte-vc address 02:81:00:00:00:01 mtu 1500
nsx sgte-s ip link set sgte-vs address 02:81:00:00:00:02 mtu 1500
offload_off sgte-c sgte-vc
offload_off sgte-s sgte-vs
nsx sgte-c ip link set sgte-vc up
nsx sgte-s ip link set sgte-vs up
nsx sgte-c ip addr add 10.81.0.1/24 dev sgte-vc
nsx sgte-s ip addr add 10.81.0.2/24 dev sgte-vs
nsx sgte-c ip -6 addr add fd81::1/64 dev sgte-vc nodad
nsx sgte-s ip -6 addr add fd81::2/64 dev sgte-vs nodad
nsx sgte-c ip neigh replace 10.81.0.2 lladdr 02:81:00:00:00:02 dev sgte-vc
nsx sgte-s ip neigh replace 10.81.0.1 lladdr 02:81:00:00:00:01 dev sgte-vs
# TCP Fast Open: client (1) and server (2) on
nsx sgte-c sysctl -qw net.ipv4.tcp_fastopen=3
nsx sgte-s sysctl -qw net.ipv4.tcp_fastopen=3
# the client's resolver (ip netns exec bind-mounts /etc/netns/NAME/* over /etc/*)
mkdir -p /etc/netns/sgte-c
printf 'nameserver 10.81.0.2\noptions attempts:1 timeout:2\n' >/etc/netns/sgte-c/resolv.conf
printf '127.0.0.1 localhost\n' >/etc/netns/sgte-c/hosts

# nginx: log columns as make-captures.sh, plus the request time
start_nginx() {
	local ns=$1 name=$2 listen=$3 d=$WORK/nginx-$2
	mkdir -p "$d/tmp" "$d/logs"
	cat >"$d/nginx.conf" <<NGX
user root root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format sgte '\$connection\t\$connection_requests\t\$remote_port\t\$server_port\t\$request_method\t\$request_uri\t\$status\t\$body_bytes_sent\t\$content_length\t\$request_time';
    access_log $d/logs/access.log sgte;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    types { text/plain txt; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile off;
    keepalive_timeout 30;
    server {
        $listen
        root $WORK/www;
    }
}
NGX
	nsx "$ns" nginx -e "$d/logs/error.log" -p "$d" -c "$d/nginx.conf"
	for _ in $(seq 50); do [[ -s $d/nginx.pid ]] && break; sleep 0.1; done
	[[ -s $d/nginx.pid ]] || die "nginx $name did not start: $(cat "$d/logs/error.log")"
	PIDS+=("$(cat "$d/nginx.pid")")
}
start_nginx sgte-s main "listen 10.81.0.2:80 fastopen=16;"
: >"$WORK/go.log"
ip netns exec sgte-s "$BIN/httpsrv" -listen 10.81.0.2:8080 -log "$WORK/go.log" 2>"$WORK/go.err" &
PIDS+=($!)
: >"$WORK/dns.log"
ip netns exec sgte-s "$BIN/teachpeer" -mode dns -listen 10.81.0.2:53 -name www.segscope.test -a 10.81.0.2 -log "$WORK/dns.log" 2>"$WORK/dns.err" &
PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$WORK/go.err" 2>/dev/null && grep -q ready "$WORK/dns.err" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/dns.err" || die "teachpeer dns did not start: $(cat "$WORK/dns.err")"

CAP_PID=
cap_start() { # cap_start NS IFACE FILE [filter...]
	local ns=$1 ifc=$2 file=$3 err
	shift 3
	err=$WORK/$(basename "$file").err
	rm -f "$file"
	ip netns exec "$ns" tcpdump -i "$ifc" -nn -U --immediate-mode -Z root -w "$file" "$@" 2>"$err" &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	for _ in $(seq 100); do grep -qi 'listening on' "$err" 2>/dev/null && { sleep 0.2; return 0; }; sleep 0.05; done
	die "capture on $ns/$ifc did not start: $(cat "$err")"
}
cap_stop() { sleep 1.5; kill -TERM "$CAP_PID" 2>/dev/null || true; wait "$CAP_PID" 2>/dev/null || true; }

CW='%{http_code}\t%{size_download}\t%{num_connects}\t%{local_port}\t%{time_total}\t%{url_effective}\n'
CO=(-s -S -A segscope-testdata -o /dev/null -w "$CW")
CLOG=
ccurl() { local ns=$1; shift; nsx "$ns" curl "$@" >>"$CLOG" 2>&1 || echo "curl exit $?" >>"$CLOG"; }
NGXLOG=$WORK/nginx-main/logs/access.log
MARK=0
begin() { # begin NAME NS IFACE [filter...]
	NAME=$1 FILE=$WORK/$1.pcap
	local ns=$2 ifc=$3
	shift 3
	say "capture $NAME"
	CLOG=$LOGS/$NAME.client.txt
	: >"$CLOG"
	MARK=$(wc -l <"$NGXLOG")
	cap_start "$ns" "$ifc" "$FILE" "$@"
}
# server_lines LOG MARK: the nginx lines written since MARK
server_lines() { tail -n +$(($2 + 1)) "$1"; }
# finish [EXPECT_HEADER]: stop the capture, move it out; the caller writes the expect file
finish() {
	cap_stop
	sleep 0.3
	mv -f "$FILE" "$OUT/"
	chmod 644 "$OUT/$NAME.pcap"
	printf '   %-22s %8d bytes %5s packets\n' "$NAME.pcap" "$(stat -c %s "$OUT/$NAME.pcap")" \
		"$(tshark -r "$OUT/$NAME.pcap" 2>/dev/null | wc -l)" >&2
}
# streams NAME: tshark's view of the connections: stream srcport dstport
streams() { tshark -r "$OUT/$1.pcap" -Y tcp -T fields -E separator=/t -e tcp.stream -e tcp.srcport -e tcp.dstport 2>/dev/null | awk -F'\t' '!seen[$1]++'; }

B=http://10.81.0.2

cap_tfo() {
	begin tfo sgte-s sgte-vs tcp
	ccurl sgte-c "${CO[@]}" --tcp-fastopen $B/a.txt
	sleep 0.3
	ccurl sgte-c "${CO[@]}" --tcp-fastopen $B/c.txt
	finish
	# ground truth: tshark's count of payload bytes in each connection's SYN
	{
		printf 'conn_index\tsyn_payload\turi\tstatus\tresp_body_len\n'
		paste <(tshark -r "$OUT/tfo.pcap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e tcp.stream -e tcp.len 2>/dev/null | awk -F'\t' '!s[$1]++ { print $1+1 "\t" $2 }') \
			<(server_lines "$NGXLOG" "$MARK" | awk -F'\t' -v OFS='\t' '{ print $6, $7, $8 }')
	} >"$OUT/tfo.expect.tsv"
	awk -F'\t' 'NR == 3 && $2 > 0 { ok = 1 } END { exit !ok }' "$OUT/tfo.expect.tsv" || die "tfo: the second SYN carried no data"
}

cap_tw-reuse() {
	nsx sgte-c sysctl -qw net.ipv4.tcp_tw_reuse=1
	begin tw-reuse sgte-s sgte-vs tcp
	local i
	for i in 1 2 3; do
		nsx sgte-c "$BIN/teachpeer" -mode get -addr 10.81.0.2:80 -path /c.txt -lport 40124 -log "$CLOG" >>"$CLOG" 2>&1
		sleep 1.2
	done
	finish
	nsx sgte-c sysctl -qw net.ipv4.tcp_tw_reuse=2
	{
		printf 'conn_index\tclient_port\tcloser\tstatus\tresp_body_len\n'
		paste <(tshark -r "$OUT/tw-reuse.pcap" -Y 'tcp.flags.fin==1' -T fields -e tcp.stream -e tcp.srcport 2>/dev/null |
			awk -F'\t' '!s[$1]++ { print $1+1 "\t40124\t" ($2 == 40124 ? "client" : "server") }') \
			<(server_lines "$NGXLOG" "$MARK" | awk -F'\t' -v OFS='\t' '{ print $7, $8 }')
	} >"$OUT/tw-reuse.expect.tsv"
	[[ $(grep -c $'^40124\t200\t3000' "$LOGS/tw-reuse.client.txt") -eq 3 ]] || die "tw-reuse: curl did not reuse port 40124 three times"
}

# impaired path for the curl pair: sgte-lc (10.81.0.11) <-> tapfwd -latency 10ms <-> sgte-ls (10.81.0.12)
LAT_UP=
lat_up() {
	[[ -n $LAT_UP ]] && return 0
	newns sgte-lc
	newns sgte-ls
	rm -f "$WORK/tap.ready"
	"$BIN/tapfwd" -a sgte-tapa -b sgte-tapb -latency 10ms -ready "$WORK/tap.ready" 2>"$LOGS/curl-latency.tapfwd.log" &
	PIDS+=($!)
	for _ in $(seq 50); do [[ -f $WORK/tap.ready ]] && break; sleep 0.1; done
	[[ -f $WORK/tap.ready ]] || die "tapfwd did not start"
	ip link set sgte-tapa netns sgte-lc
	ip link set sgte-tapb netns sgte-ls
	nsx sgte-lc ip link set sgte-tapa address 02:81:00:00:00:11 mtu 1500 up
	nsx sgte-ls ip link set sgte-tapb address 02:81:00:00:00:12 mtu 1500 up
	offload_off sgte-lc sgte-tapa
	offload_off sgte-ls sgte-tapb
	nsx sgte-lc ip addr add 10.81.0.11/24 dev sgte-tapa
	nsx sgte-ls ip addr add 10.81.0.12/24 dev sgte-tapb
	nsx sgte-lc ip neigh replace 10.81.0.12 lladdr 02:81:00:00:00:12 dev sgte-tapa
	nsx sgte-ls ip neigh replace 10.81.0.11 lladdr 02:81:00:00:00:11 dev sgte-tapb
	start_nginx sgte-ls lat "listen 10.81.0.12:80;"
	LAT_UP=1
}
SIX=(s1 s2 s3 s4 s5 s6)
curl_pair() { # curl_pair NAME [extra curl args]
	local name=$1 u args=()
	shift
	lat_up
	local log=$WORK/nginx-lat/logs/access.log
	NAME=$name FILE=$WORK/$name.pcap
	say "capture $NAME"
	CLOG=$LOGS/$NAME.client.txt
	: >"$CLOG"
	MARK=$(wc -l <"$log")
	cap_start sgte-lc sgte-tapa "$FILE" tcp
	for u in "${SIX[@]}"; do
		((${#args[@]})) && args+=(--next)
		args+=("${CO[@]}" "$@" http://10.81.0.12/$u.txt)
	done
	ccurl sgte-lc "${args[@]}"
	finish
	{
		printf 'conn_index\tdepth\turi\tstatus\tresp_body_len\tcurl_time_total\n'
		awk -F'\t' -v OFS='\t' 'FNR == NR { t[$6] = $5; next } { print $1, $2, $6, $7, $8, t["http://10.81.0.12" $6] }' \
			"$CLOG" <(server_lines "$log" "$MARK") |
			awk -F'\t' -v OFS='\t' '{ if (!($1 in c)) c[$1] = ++n; $1 = c[$1]; print }'
	} >"$OUT/$NAME.expect.tsv"
}
cap_curl-keepalive() { curl_pair curl-keepalive; }
cap_curl-close() { curl_pair curl-close -H 'Connection: close'; }

nagle_cap() { # nagle_cap NAME NODELAY
	begin "$1" sgte-s sgte-vs tcp
	: >"$WORK/$1.peer.log"
	nsx sgte-c "$BIN/teachpeer" -mode nagle -addr 10.81.0.2:8080 -n 20 -nodelay="$2" -log "$WORK/$1.peer.log" >>"$CLOG" 2>&1
	finish
	{
		printf 'conn_index\tdepth\tmethod\turi\tstatus\tclient_port\tnodelay\tclient_ms\n'
		awk -F'\t' -v OFS='\t' '{ print 1, $0 }' "$WORK/$1.peer.log"
	} >"$OUT/$1.expect.tsv"
}
cap_nagle() { nagle_cap nagle false; }
cap_nodelay() { nagle_cap nodelay true; }

cap_dns-curl() {
	begin dns-curl sgte-s sgte-vs 'port 53 or tcp'
	local m
	m=$(wc -l <"$WORK/dns.log")
	ccurl sgte-c "${CO[@]}" -4 http://www.segscope.test/a.txt
	finish
	# the responder's log (dns-curl.dns.tsv) and nginx's (dns-curl.expect.tsv)
	{
		printf 'unix_time\tresolver\tqname\tqtype\trcode\tanswer\n'
		tail -n +$((m + 1)) "$WORK/dns.log"
	} >"$OUT/dns-curl.dns.tsv"
	{
		printf 'conn_index\tdepth\tmethod\turi\tstatus\tresp_body_len\n'
		server_lines "$NGXLOG" "$MARK" | awk -F'\t' -v OFS='\t' '{ print 1, $2, $5, $6, $7, $8 }'
	} >"$OUT/dns-curl.expect.tsv"
	grep -q $'\t1\t0\t10.81.0.2$' "$OUT/dns-curl.dns.tsv" || die "dns-curl: no A answer logged"
}

ALL=(tfo tw-reuse curl-keepalive curl-close nagle nodelay dns-curl)
if (($#)); then SEL=("$@"); else SEL=("${ALL[@]}"); fi
for n in "${SEL[@]}"; do
	declare -F "cap_$n" >/dev/null || die "unknown capture $n (known: ${ALL[*]})"
	"cap_$n"
done
say "done; captures in $OUT"
