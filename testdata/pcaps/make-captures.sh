#!/usr/bin/env bash
# make-captures.sh — regenerate segscope's test captures from real traffic.
#
# Real kernel TCP stacks, real nginx/curl from Debian and the small Go programs
# in tools/ talk to each other inside network namespaces this script creates
# (all named sgt-*, addresses only in 10.77.0.0/24 and fd77::/64); tcpdump,
# dumpcap write what was on the wire. No packet is crafted by hand.
# For every capture the server side logs (nginx access log, tools/httpsrv
# log) become <capture>.expect.tsv, the ground truth tests compare segscope with.
#
# Usage (as root, from anywhere):   bash testdata/pcaps/make-captures.sh [NAME...]
#   NAME: capture names without extension (default: all), e.g. get-simple loss-reorder
# Environment: OUT=dir  write captures somewhere else (default: this directory)
#              KEEP_WORK=1  keep the temporary work directory
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$HERE}
LOGS=$OUT/logs

die() { echo "make-captures: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"

# ---- dependencies -----------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need ip iproute2
need ethtool ethtool
need tcpdump tcpdump
need tshark tshark
need dumpcap tshark   # dumpcap ships with wireshark-common, pulled in by tshark
need nginx nginx
need curl curl
need gzip gzip
need awk mawk
need go "golang (a Go toolchain satisfying go.mod)"
[[ -c /dev/net/tun ]] || die "/dev/net/tun missing (needed by tools/tapfwd)"
if ((${#missing[@]})); then
	die "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})"
fi

# ---- state and cleanup --------------------------------------------------------
NSLIST=(sgt-c sgt-s sgt-lc sgt-ls sgt-fc sgt-fr1 sgt-fr2 sgt-fs)
WORK=$(mktemp -d /tmp/sgt-captures.XXXXXX)
PIDS=()

kill_ns_pids() { # processes left inside our own namespaces (e.g. an earlier aborted run)
	local ns=$1 p
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
}
cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for ns in "${NSLIST[@]}"; do
		if ip netns list | grep -qw "$ns"; then
			kill_ns_pids "$ns"
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	ip link del sgt-tapa 2>/dev/null || true
	ip link del sgt-tapb 2>/dev/null || true
	if [[ -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; else echo "work dir kept: $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# idempotence: remove leftovers of an earlier run with the same names
for ns in "${NSLIST[@]}"; do
	if ip netns list | grep -qw "$ns"; then kill_ns_pids "$ns"; ip netns del "$ns"; fi
done

mkdir -p "$OUT" "$LOGS" "$WORK/bin" "$WORK/www" "$WORK/data"

# ---- build the Go tools -----------------------------------------------------------
say "building tools"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/bin/" ./tools/tapfwd ./tools/httpsrv ./tools/rawclient)
BIN=$WORK/bin

# ---- deterministic content ---------------------------------------------------------
# text(N): N bytes of numbered lines
text() { awk -v n="$1" 'BEGIN{ s=""; for (i=1; length(s)<n; i++) s = s sprintf("line %06d of the segscope test file: pack my box with five dozen liquor jugs\n", i); printf "%s", substr(s,1,n) }'; }
# noisy(N): N bytes of pseudo-random hex lines (fixed LCG seed): compresses only ~2:1,
# so gzip bodies span several segments
noisy() { awk -v n="$1" 'BEGIN{ x=12345; s=""; for (i=1; length(s)<n; i++) { l=sprintf("%06d ", i); for (j=0; j<16; j++) { x=(x*1103515245+12345)%2147483648; l=l sprintf("%04x", int(x/32768)%65536) } s=s l "\n" } printf "%s", substr(s,1,n) }'; }
W=$WORK/www
printf '<!DOCTYPE html>\n<html><head><title>segscope</title></head><body><p>segscope test page</p></body></html>\n' >"$W/index.html"
text 5000 >"$W/a.txt"
text 12000 >"$W/b.txt"
text 3000 >"$W/c.txt"
text 120000 >"$W/l.txt"
mkdir -p "$W/gz" "$W/static-gz" "$W/slow" "$W/p"
noisy 60000 >"$W/gz/text.txt"
noisy 60000 >"$W/static-gz/text.txt"
gzip -9 -n -c "$W/static-gz/text.txt" >"$W/static-gz/text.txt.gz"
text 160000 >"$W/slow/big.txt"
text 150000 >"$W/big.txt"
for i in 1 2 3 4; do text $((30000 + i * 1000)) >"$W/p/p$i.txt"; done
mkdir -p "$W/k"
for i in $(seq 120); do text $((1000 + i * 37)) >"$W/k/$i.txt"; done # a size per request
text 20000 >"$WORK/data/post20k.txt"
text 50000 >"$WORK/data/post50k.txt"
text 25000 >"$WORK/data/upload25k.txt"
text 30000 >"$WORK/data/frag30k.txt"
# fixed mtimes: deterministic ETag and Last-Modified
find "$W" -type f -exec touch -d '@1700000000' {} +
MTIME_HTTP='Tue, 14 Nov 2023 22:13:20 GMT'
etag() { printf '"%x-%x"' 1700000000 "$(stat -c %s "$1")"; }

# ---- namespaces ---------------------------------------------------------------------
# (never background nsx: $! would be a subshell, not the program; use ip netns exec directly)
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

newns_once() { ip netns list | grep -qw "$1" || newns "$1"; }
newns() {
	ip netns add "$1"
	nsx "$1" ip link set lo up
	nsx "$1" sysctl -qw net.ipv4.tcp_ecn=0 # no ECN: same TCP options on every kernel
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
}

# offloads off: segments on the wire are at most MSS-sized, checksums are real
offload_off() {
	local ns=$1 dev=$2 f
	for f in tso gso gro lro tx rx sg ufo; do nsx "$ns" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true; done
}

# veth pair between two namespaces: link NS1 DEV1 NS2 DEV2 MTU MAC1 MAC2
link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	nsx "$1" ip link set "$2" address "$6" mtu "$5"
	nsx "$3" ip link set "$4" address "$7" mtu "$5"
	offload_off "$1" "$2"
	offload_off "$3" "$4"
	nsx "$1" ip link set "$2" up
	nsx "$3" ip link set "$4" up
}

say "main topology: sgt-c (10.77.0.1, fd77::1) <-veth mtu 1500-> sgt-s (10.77.0.2, fd77::2)"
newns sgt-c
newns sgt-s
link sgt-c sgt-vc sgt-s sgt-vs 1500 02:77:00:00:00:01 02:77:00:00:00:02
nsx sgt-c ip addr add 10.77.0.1/24 dev sgt-vc
nsx sgt-s ip addr add 10.77.0.2/24 dev sgt-vs
nsx sgt-c ip -6 addr add fd77::1/64 dev sgt-vc nodad
nsx sgt-s ip -6 addr add fd77::2/64 dev sgt-vs nodad
# static neighbours: no ARP/ND in the captures' timing
nsx sgt-c ip neigh replace 10.77.0.2 lladdr 02:77:00:00:00:02 dev sgt-vc
nsx sgt-s ip neigh replace 10.77.0.1 lladdr 02:77:00:00:00:01 dev sgt-vs
nsx sgt-c ip -6 neigh replace fd77::2 lladdr 02:77:00:00:00:02 dev sgt-vc
nsx sgt-s ip -6 neigh replace fd77::1 lladdr 02:77:00:00:00:01 dev sgt-vs

# ---- servers -------------------------------------------------------------------------
# Unified server log columns (nginx log_format and tools/httpsrv):
#   connection conn_requests remote_port server_port method uri status resp_body_len req_body_len note
# start_nginx NS NAME "listen directives for port 80" "listen directives for port 81"
start_nginx() {
	local ns=$1 name=$2 l80=$3 l81=$4 d=$WORK/nginx-$2
	mkdir -p "$d/tmp" "$d/logs"
	cat >"$d/nginx.conf" <<EOF
user root root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format sgt '\$connection\t\$connection_requests\t\$remote_port\t\$server_port\t\$request_method\t\$request_uri\t\$status\t\$body_bytes_sent\t\$content_length\tte=\$sent_http_transfer_encoding';
    access_log $d/logs/access.log sgt;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    types { text/html html; text/plain txt; application/octet-stream bin; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile off;
    tcp_nopush off;
    keepalive_timeout 30;
    keepalive_requests 1000;
    gzip off;
    server {
        $l80
        root $WORK/www;
        location = /nocontent { return 204; }
        location = /drop { return 444; }
        location /gz/ { gzip on; gzip_types text/plain; gzip_min_length 0; gzip_comp_level 6; gzip_http_version 1.0; gzip_vary off; }
        location /static-gz/ { gzip_static on; }
        location /slow/ { limit_rate 40k; }
    }
    server {
        $l81
        root $WORK/www;
        keepalive_timeout 0;
    }
}
EOF
	nsx "$ns" nginx -e "$d/logs/error.log" -p "$d" -c "$d/nginx.conf"
	for _ in $(seq 50); do [[ -s $d/nginx.pid ]] && break; sleep 0.1; done
	[[ -s $d/nginx.pid ]] || die "nginx $name did not start: $(cat "$d/logs/error.log")"
	PIDS+=("$(cat "$d/nginx.pid")")
}
nginx_log() { echo "$WORK/nginx-$1/logs/access.log"; }

# start_httpsrv NS NAME LISTEN [extra flags]
start_httpsrv() {
	local ns=$1 name=$2 listen=$3; shift 3
	: >"$WORK/$name.log"
	ip netns exec "$ns" "$BIN/httpsrv" -listen "$listen" -log "$WORK/$name.log" "$@" 2>"$WORK/$name.err" &
	PIDS+=($!)
	for _ in $(seq 50); do grep -q ready "$WORK/$name.err" 2>/dev/null && return 0; sleep 0.1; done
	die "httpsrv $name did not start: $(cat "$WORK/$name.err")"
}

say "starting nginx, httpsrv and the CONNECT proxy in sgt-s"
start_nginx sgt-s main "listen 10.77.0.2:80; listen [fd77::2]:80; listen 127.0.0.1:80;" "listen 10.77.0.2:81;"
start_httpsrv sgt-s go "10.77.0.2:8080,[fd77::2]:8080"
start_httpsrv sgt-s proxy "10.77.0.2:3128" -proxy

# ---- capture helpers -------------------------------------------------------------------
CAP_PID=
# cap_start NS IFACE FILE [tool] [args...]: tool is tcpdump (default) or dumpcap
cap_start() {
	local ns=$1 ifc=$2 file=$3 err
	shift 3
	err=$WORK/$(basename "$file").err
	rm -f "$file"
	if [[ ${1:-} == dumpcap ]]; then
		shift
		ip netns exec "$ns" dumpcap -q -i "$ifc" -w "$file" "$@" 2>"$err" &
	else
		ip netns exec "$ns" tcpdump -i "$ifc" -nn -U --immediate-mode -Z root -w "$file" "$@" 2>"$err" &
	fi
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	for _ in $(seq 100); do
		if grep -qiE 'listening on|capturing on' "$err" 2>/dev/null; then sleep 0.2; return 0; fi
		sleep 0.05
	done
	die "capture on $ns/$ifc did not start: $(cat "$err")"
}
cap_stop() {
	# give the capture ring time to drain (seen: -i any lost the tail after 0.5 s)
	sleep "${CAP_TAIL:-1.5}"
	kill -TERM "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
}

# curl options for one URL; the client log gets one line per transfer
CLOG=
C() {
	printf '%s\n' -s -S -A segscope-testdata -o /dev/null \
		-w '%{http_code}\t%{size_download}\t%{size_upload}\t%{num_connects}\t%{local_port}\t%{url_effective}\n'
}
mapfile -t CO < <(C)
CNS=sgt-c # namespace of the curl client
ccurl() { nsx "$CNS" curl "$@" >>"$CLOG" 2>&1 || echo "curl exit $?" >>"$CLOG"; }

# Server log lines are collected per capture: mark the current end of every log.
declare -A MARK
log_files() { echo "nginx:$(nginx_log main)" "go:$WORK/go.log" "proxy:$WORK/proxy.log"; }
mark_logs() {
	local e
	for e in $(log_files) ${EXTRA_LOGS:-}; do
		local f=${e#*:}
		MARK[$f]=$(($(wc -l 2>/dev/null <"$f" || echo 0)))
	done
}
# new_log_lines: "source<TAB>unified columns" for everything logged since mark_logs
new_log_lines() {
	local e
	for e in $(log_files) ${EXTRA_LOGS:-}; do
		local src=${e%%:*} f=${e#*:}
		[[ -f $f ]] || continue
		tail -n +$((${MARK[$f]:-0} + 1)) "$f" | awk -F'\t' -v OFS='\t' -v src="$src" '
			NF >= 10 {
				note = $10
				if (src ~ /nginx$/) {
					if ($9 == "-") $9 = 0
					note = (note == "te=chunked") ? "resp_te:chunked" : "-"
				}
				print src, $1, $2, $3, $4, $5, $6, $7, $8, $9, note
			}'
	done | sort -t$'\t' -k1,1 -k2,2n -k3,3n
}

# make_expect NAME FILE: map server-log connections to capture connections (order of
# first packet, tshark tcp.stream + 1, which also splits reused 4-tuples) by port pair.
# Rows whose connection is not in the capture go to $WORK/NAME.unmatched.
make_expect() {
	local name=$1 file=$2
	tshark -r "$file" -Y tcp -T fields -E separator=/t -e tcp.stream -e tcp.srcport -e tcp.dstport 2>/dev/null |
		awk -F'\t' '!seen[$1]++' >"$WORK/$name.streams"
	new_log_lines >"$WORK/$name.serverlog"
	cp "$WORK/$name.serverlog" "$LOGS/$name.server.tsv"
	{
		printf 'conn_index\tdepth\tmethod\turi\tstatus\tresp_body_len\treq_body_len\tnote\n'
		awk -F'\t' -v OFS='\t' -v unmatched="$WORK/$name.unmatched" '
			FNR == NR { a[$1] = $2; b[$1] = $3; if ($1 + 1 > ns) ns = $1 + 1; next }
			{
				key = $1 ":" $2
				if (!(key in ci)) {
					ci[key] = ""
					for (s = 0; s < ns; s++)
						if (!(s in used) && ((a[s] == $4 && b[s] == $5) || (a[s] == $5 && b[s] == $4))) { used[s] = 1; ci[key] = s + 1; break }
				}
				if (ci[key] == "") { print > unmatched; next }
				print ci[key], $3, $6, $7, $8, $9, $10, $11
			}' "$WORK/$name.streams" "$WORK/$name.serverlog" | sort -t$'\t' -k1,1n -k2,2n
	} >"$OUT/$name.expect.tsv"
}

# run_capture NAME EXT NS IFACE [capture args...] -- then the body function cap_NAME runs
begin() { # begin NAME FILEEXT NS IFACE [capture args...]
	NAME=$1 FILE=$WORK/$1.$2
	local ns=$3 ifc=$4
	shift 4
	say "capture $NAME"
	CLOG=$LOGS/$NAME.client.txt
	: >"$CLOG"
	mark_logs
	cap_start "$ns" "$ifc" "$FILE" "$@"
}
finish() {
	cap_stop
	sleep 0.3 # let servers write their log lines
	make_expect "$NAME" "$FILE"
	mv -f "$FILE" "$OUT/"
	local f=$OUT/$(basename "$FILE")
	chmod 644 "$f"
	printf '   %-22s %8d bytes %5s packets\n' "$(basename "$f")" "$(stat -c %s "$f")" \
		"$(tshark -r "$f" 2>/dev/null | wc -l)" >&2
}

B=http://10.77.0.2
G=http://10.77.0.2:8080

# ---- the captures ------------------------------------------------------------------------
cap_get-simple() {
	begin get-simple pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" $B/a.txt
	finish
}

cap_keepalive() {
	begin keepalive pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" $B/a.txt \
		--next "${CO[@]}" -H "If-None-Match: $(etag "$W/b.txt")" $B/b.txt \
		--next "${CO[@]}" $B/missing.txt \
		--next "${CO[@]}" -I $B/a.txt \
		--next "${CO[@]}" $B/c.txt
	finish
}

cap_pipelined() {
	begin pipelined pcap sgt-s sgt-vs tcp
	nsx sgt-c "$BIN/rawclient" -mode pipeline -addr 10.77.0.2:80 -host 10.77.0.2 \
		-paths "GET /a.txt,HEAD /b.txt,GET /c.txt" >>"$CLOG" 2>&1
	finish
}

cap_head-204-304() {
	begin head-204-304 pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" -I $B/b.txt \
		--next "${CO[@]}" $B/nocontent \
		--next "${CO[@]}" -H "If-Modified-Since: $MTIME_HTTP" $B/c.txt
	finish
}

cap_post() {
	begin post pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" -H 'Expect:' -H 'Content-Type: text/plain' --data-binary @"$WORK/data/post20k.txt" $G/echo \
		--next "${CO[@]}" -H 'Expect: 100-continue' -H 'Content-Type: text/plain' --data-binary @"$WORK/data/post50k.txt" $G/echo
	finish
}

cap_chunked() {
	begin chunked pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" $G/trailers \
		--next "${CO[@]}" -H 'Expect:' -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' \
		--data-binary @"$WORK/data/upload25k.txt" $G/upload
	finish
}

cap_gzip() {
	begin gzip pcap sgt-s sgt-vs tcp
	# 1: gzip_static: Content-Encoding gzip with Content-Length
	# 2: gzip filter: Content-Encoding gzip, chunked; curl keeps the coded body so its
	#    length (after de-chunking, before gunzip) can be measured on the client side
	ccurl "${CO[@]}" --compressed $B/static-gz/text.txt \
		--next -s -S -A segscope-testdata -H 'Accept-Encoding: gzip' -o "$WORK/gz-chunked.body" \
		-w '%{http_code}\t%{size_download}\t%{size_upload}\t%{num_connects}\t%{local_port}\t%{url_effective}\n' \
		$B/gz/text.txt
	finish
	# nginx's $body_bytes_sent counts chunk framing; the client-side file has the
	# de-chunked gzip body: use its length for the chunked row
	local n
	n=$(stat -c %s "$WORK/gz-chunked.body")
	gzip -t <"$WORK/gz-chunked.body" || die "gzip body does not decode"
	awk -F'\t' -v OFS='\t' -v n="$n" '$4 == "/gz/text.txt" && $8 ~ /chunked/ { $6 = n; $8 = "resp_te:chunked,content_encoding:gzip,decoded_len=60000" }
		$4 == "/static-gz/text.txt" { $8 = "content_encoding:gzip,decoded_len=60000" } { print }' \
		"$OUT/gzip.expect.tsv" >"$WORK/t" && mv "$WORK/t" "$OUT/gzip.expect.tsv"
}

cap_http10-close() {
	begin http10-close pcap sgt-s sgt-vs tcp
	# nginx: HTTP/1.0 + gzip filter -> no Content-Length, body ends when nginx closes
	ccurl "${CO[@]}" -0 -H 'Accept-Encoding: gzip' $B/gz/text.txt
	# Go net/http: HTTP/1.0, streamed body without Content-Length -> close-delimited
	ccurl "${CO[@]}" -0 $G/stream
	finish
	awk -F'\t' -v OFS='\t' 'NR > 1 { $8 = "http/1.0,close_delimited" ($4 ~ /gz/ ? ",content_encoding:gzip,decoded_len=60000" : "") } { print }' \
		"$OUT/http10-close.expect.tsv" >"$WORK/t" && mv "$WORK/t" "$OUT/http10-close.expect.tsv"
}

cap_connect() {
	begin connect pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" -p -x http://10.77.0.2:3128 $B/c.txt
	finish
	# the GET inside the tunnel reached nginx over sgt-s's loopback (not captured):
	# it is the 2nd exchange on the captured client<->proxy connection
	local c
	c=$(awk -F'\t' '$3 == "CONNECT" { print $1; exit }' "$OUT/connect.expect.tsv")
	[[ -s $WORK/connect.unmatched ]] || die "connect: tunnelled request not logged"
	awk -F'\t' -v OFS='\t' -v c="$c" '{ print c, 2, $6, $7, $8, $9, $10, "in_tunnel" }' "$WORK/connect.unmatched" >>"$OUT/connect.expect.tsv"
}

cap_websocket() {
	begin websocket pcap sgt-s sgt-vs tcp
	nsx sgt-c "$BIN/rawclient" -mode ws -addr 10.77.0.2:8080 -host 10.77.0.2:8080 -path /ws >>"$CLOG" 2>&1
	finish
}

cap_midstream() {
	# a keep-alive connection: a rate-limited 160000-byte download, then a small GET;
	# the capture starts ~1.5 s into the first response body
	NAME=midstream
	say "capture midstream"
	CLOG=$LOGS/midstream.client.txt
	: >"$CLOG"
	mark_logs
	FILE=$WORK/midstream.pcap
	ip netns exec sgt-c curl "${CO[@]}" $B/slow/big.txt --next "${CO[@]}" $B/c.txt >>"$CLOG" 2>&1 &
	local cpid=$!
	PIDS+=("$cpid")
	sleep 1.5
	cap_start sgt-s sgt-vs "$FILE" tcp
	wait "$cpid" || true
	finish
	awk -F'\t' -v OFS='\t' 'NR > 1 && $2 == 1 { $8 = "started_before_capture,head_not_captured" }
		NR > 1 && $2 == 2 { $8 = "first_complete_exchange_in_capture" } { print }' \
		"$OUT/midstream.expect.tsv" >"$WORK/t" && mv "$WORK/t" "$OUT/midstream.expect.tsv"
}

cap_snaplen() {
	begin snaplen pcap sgt-s sgt-vs -s 96 tcp
	ccurl "${CO[@]}" $B/a.txt --next "${CO[@]}" $B/b.txt --next "${CO[@]}" $B/index.html
	finish
	awk -F'\t' -v OFS='\t' 'NR > 1 { $8 = "snaplen_96" } { print }' "$OUT/snaplen.expect.tsv" >"$WORK/t" && mv "$WORK/t" "$OUT/snaplen.expect.tsv"
}

cap_ipv6() {
	begin ipv6 pcap sgt-s sgt-vs tcp
	ccurl "${CO[@]}" -g 'http://[fd77::2]/b.txt'
	finish
}

cap_lo() {
	# loopback of the server namespace (127.0.0.1, MTU 65536, GSO/TSO on): large segments
	begin lo pcap sgt-s lo tcp
	nsx sgt-s curl "${CO[@]}" http://127.0.0.1/l.txt >>"$CLOG" 2>&1
	finish
}

cap_any-sll2() {
	begin any-sll2 pcap sgt-s any tcp
	ccurl "${CO[@]}" $B/a.txt
	finish
	tcpdump -r "$OUT/any-sll2.pcap" -c 1 2>&1 | grep -q LINUX_SLL2 || die "any-sll2.pcap is not LINUX_SLL2"
}

cap_pcapng() {
	begin pcapng pcapng sgt-s sgt-vs dumpcap -f tcp
	ccurl "${CO[@]}" $B/a.txt --next "${CO[@]}" $B/c.txt
	CAP_TAIL=2.5 finish
}

cap_port-reuse() {
	# nginx on :81 has keepalive_timeout 0: the server closes first and keeps TIME_WAIT,
	# so the client can bind the same local port again at once
	begin port-reuse pcap sgt-s sgt-vs tcp
	local i
	for i in 1 2 3; do
		ccurl "${CO[@]}" --local-port 40123 http://10.77.0.2:81/c.txt
		sleep 0.3
	done
	finish
}

cap_rst() {
	begin rst pcap sgt-s sgt-vs tcp
	# 1: server resets after 30000 of 100000 promised body bytes (SO_LINGER 0)
	ccurl "${CO[@]}" $G/reset
	# 2: client reads ~20000 bytes of a rate-limited download, then resets
	nsx sgt-c "$BIN/rawclient" -mode abort -addr 10.77.0.2:80 -host 10.77.0.2 -path /slow/big.txt -abort-after 20000 >>"$CLOG" 2>&1
	sleep 0.5
	finish
	awk -F'\t' -v OFS='\t' 'NR > 1 && $4 == "/slow/big.txt" { $8 = "truncated:content_length=160000,client_rst,resp_body_len_is_what_nginx_wrote" } { print }' \
		"$OUT/rst.expect.tsv" >"$WORK/t" && mv "$WORK/t" "$OUT/rst.expect.tsv"
}

cap_parallel() {
	begin parallel pcap sgt-s sgt-vs tcp
	ccurl --parallel --parallel-immediate --parallel-max 4 \
		"${CO[@]}" $B/p/p1.txt --next "${CO[@]}" $B/p/p2.txt --next "${CO[@]}" $B/p/p3.txt --next "${CO[@]}" $B/p/p4.txt
	finish
}

# ---- impaired path: TAP devices bridged by tools/tapfwd ----------------------------------
# sgt-lc (10.77.0.11, tap sgt-tapa) <-> tapfwd <-> sgt-ls (10.77.0.12, tap sgt-tapb)
# The plan impairs the server->client data frames (b2a), numbered from 1:
LOSS_PLAN='b2a:dup=5;b2a:drop=8,40,41;b2a:swap=15,60;b2a:delay=80@20ms'
cap_loss-reorder() {
	say "capture loss-reorder (tapfwd plan $LOSS_PLAN)"
	newns_once sgt-lc
	newns_once sgt-ls
	rm -f "$WORK/tap.ready"
	"$BIN/tapfwd" -a sgt-tapa -b sgt-tapb -plan "$LOSS_PLAN" -ready "$WORK/tap.ready" 2>"$LOGS/loss-reorder.tapfwd.log" &
	PIDS+=($!)
	for _ in $(seq 50); do [[ -f $WORK/tap.ready ]] && break; sleep 0.1; done
	[[ -f $WORK/tap.ready ]] || die "tapfwd did not start: $(cat "$LOGS/loss-reorder.tapfwd.log")"
	ip link set sgt-tapa netns sgt-lc
	ip link set sgt-tapb netns sgt-ls
	nsx sgt-lc ip link set sgt-tapa address 02:77:00:00:00:11 mtu 1500 up
	nsx sgt-ls ip link set sgt-tapb address 02:77:00:00:00:12 mtu 1500 up
	offload_off sgt-lc sgt-tapa
	offload_off sgt-ls sgt-tapb
	nsx sgt-lc ip addr add 10.77.0.11/24 dev sgt-tapa
	nsx sgt-ls ip addr add 10.77.0.12/24 dev sgt-tapb
	nsx sgt-lc ip neigh replace 10.77.0.12 lladdr 02:77:00:00:00:12 dev sgt-tapa
	nsx sgt-ls ip neigh replace 10.77.0.11 lladdr 02:77:00:00:00:11 dev sgt-tapb
	[[ -s $WORK/nginx-loss/nginx.pid ]] || start_nginx sgt-ls loss "listen 10.77.0.12:80;" "listen 10.77.0.12:81;"
	EXTRA_LOGS="lossnginx:$(nginx_log loss)"
	NAME=loss-reorder
	CLOG=$LOGS/loss-reorder.client.txt
	: >"$CLOG"
	mark_logs
	local srvfile=$WORK/loss-reorder-server.pcap
	cap_start sgt-ls sgt-tapb "$srvfile" tcp
	local srvpid=$CAP_PID
	FILE=$WORK/loss-reorder.pcap
	cap_start sgt-lc sgt-tapa "$FILE" tcp
	nsx sgt-lc curl "${CO[@]}" http://10.77.0.12/big.txt >>"$CLOG" 2>&1
	finish
	CAP_PID=$srvpid
	cap_stop
	cp "$OUT/loss-reorder.expect.tsv" "$OUT/loss-reorder-server.expect.tsv"
	mv -f "$srvfile" "$OUT/"
	printf '   %-22s %8d bytes %5s packets\n' loss-reorder-server.pcap "$(stat -c %s "$OUT/loss-reorder-server.pcap")" \
		"$(tshark -r "$OUT/loss-reorder-server.pcap" 2>/dev/null | wc -l)" >&2
	EXTRA_LOGS=
}

# ---- a capture that lost whole messages the endpoints received -------------------------
# tapfwd is the observer here (-pcap): it forwards every frame, so neither TCP stack sees
# a loss, and leaves the frames its plan hides out of the capture. The same TAP path as
# loss-reorder (sgt-lc 10.77.0.11 <-> sgt-ls 10.77.0.12, nginx "loss").
TAP_PID=
tap_up() { # tap_up PLAN LOG PCAP
	local plan=$1 log=$2 pcap=$3
	newns_once sgt-lc
	newns_once sgt-ls
	rm -f "$WORK/tap.ready" "$pcap"
	"$BIN/tapfwd" -a sgt-tapa -b sgt-tapb -plan "$plan" -pcap "$pcap" -ready "$WORK/tap.ready" 2>"$log" &
	TAP_PID=$!
	PIDS+=("$TAP_PID")
	for _ in $(seq 50); do [[ -f $WORK/tap.ready ]] && break; sleep 0.1; done
	[[ -f $WORK/tap.ready ]] || die "tapfwd did not start: $(cat "$log")"
	ip link set sgt-tapa netns sgt-lc
	ip link set sgt-tapb netns sgt-ls
	nsx sgt-lc ip link set sgt-tapa address 02:77:00:00:00:11 mtu 1500 up
	nsx sgt-ls ip link set sgt-tapb address 02:77:00:00:00:12 mtu 1500 up
	offload_off sgt-lc sgt-tapa
	offload_off sgt-ls sgt-tapb
	nsx sgt-lc ip addr replace 10.77.0.11/24 dev sgt-tapa
	nsx sgt-ls ip addr replace 10.77.0.12/24 dev sgt-tapb
	nsx sgt-lc ip neigh replace 10.77.0.12 lladdr 02:77:00:00:00:12 dev sgt-tapa
	nsx sgt-ls ip neigh replace 10.77.0.11 lladdr 02:77:00:00:00:11 dev sgt-tapb
	[[ -s $WORK/nginx-loss/nginx.pid ]] || start_nginx sgt-ls loss "listen 10.77.0.12:80;" "listen 10.77.0.12:81;"
	sleep 0.3
}
tap_down() { # stop tapfwd: its TAP devices (and the capture) end with it
	sleep 0.5
	kill -TERM "$TAP_PID" 2>/dev/null || true
	wait "$TAP_PID" 2>/dev/null || true
	sleep 0.2
}
# tap_capture NAME PLAN: run cap_NAME's traffic function between tap_up and tap_down
tap_capture() {
	local name=$1 plan=$2
	say "capture $name (tapfwd observer, plan $plan)"
	NAME=$name FILE=$WORK/$name.pcap
	CLOG=$LOGS/$name.client.txt
	: >"$CLOG"
	EXTRA_LOGS="lossnginx:$(nginx_log loss)"
	tap_up "$plan" "$LOGS/$name.tapfwd.log" "$FILE"
	mark_logs
	"traffic_$name"
	tap_down
	sleep 0.3 # let nginx write its log lines
	make_expect "$NAME" "$FILE"
	mv -f "$FILE" "$OUT/"
	chmod 644 "$OUT/$name.pcap"
	printf '   %-22s %8d bytes %5s packets\n' "$name.pcap" "$(stat -c %s "$OUT/$name.pcap")" \
		"$(tshark -r "$OUT/$name.pcap" 2>/dev/null | wc -l)" >&2
	EXTRA_LOGS=
}
# 120 GETs on one keep-alive connection (curl, one request per segment); every segment of
# response 50 is hidden: the server's data frames after request 50 and before request 51.
traffic_keepalive-lost-response() {
	mkdir -p "$WORK/kout"
	nsx sgt-lc curl -s -S -A segscope-testdata -o "$WORK/kout/#1" \
		-w '%{http_code}\t%{size_download}\t%{size_upload}\t%{num_connects}\t%{local_port}\t%{url_effective}\n' \
		"http://10.77.0.12/k/[1-120].txt" >>"$CLOG" 2>&1
}
cap_keepalive-lost-response() { tap_capture keepalive-lost-response 'b2a:hide-after=50'; }
# Six pipelined GETs, each in its own segment, sent before any response; the segment of
# request 3 is hidden from the capture (nginx got it and answered it).
traffic_pipelined-lost-request() {
	nsx sgt-lc "$BIN/rawclient" -mode pipeline -separate -addr 10.77.0.12:80 -host 10.77.0.12 \
		-paths "GET /a.txt,GET /k/2.txt,GET /c.txt,GET /k/4.txt,GET /b.txt,GET /k/6.txt" >>"$CLOG" 2>&1
}
cap_pipelined-lost-request() { tap_capture pipelined-lost-request 'a2b:hide=3'; }

# ---- IPv4 fragmentation: 9000-byte MTU ends, a 1500-byte MTU link in the middle ---------
# sgt-fc .33 =9000= .34 sgt-fr1 .41 =1500= .42 sgt-fr2 .49 =9000= .50 sgt-fs
# Both ends run with net.ipv4.ip_no_pmtu_disc=1, so their TCP segments (MSS 8960)
# leave without DF and sgt-fr1/sgt-fr2 fragment them onto the 1500-byte link.
cap_fragmented() {
	local ns
	for ns in sgt-fc sgt-fr1 sgt-fr2 sgt-fs; do newns $ns; done
	nsx sgt-fc sysctl -qw net.ipv4.ip_no_pmtu_disc=1
	nsx sgt-fs sysctl -qw net.ipv4.ip_no_pmtu_disc=1
	nsx sgt-fr1 sysctl -qw net.ipv4.ip_forward=1
	nsx sgt-fr2 sysctl -qw net.ipv4.ip_forward=1
	link sgt-fc sgt-f0 sgt-fr1 sgt-f1a 9000 02:77:00:00:00:21 02:77:00:00:00:22
	link sgt-fr1 sgt-f1b sgt-fr2 sgt-f2a 1500 02:77:00:00:00:23 02:77:00:00:00:24
	link sgt-fr2 sgt-f2b sgt-fs sgt-f3 9000 02:77:00:00:00:25 02:77:00:00:00:26
	nsx sgt-fc ip addr add 10.77.0.33/29 dev sgt-f0
	nsx sgt-fr1 ip addr add 10.77.0.34/29 dev sgt-f1a
	nsx sgt-fr1 ip addr add 10.77.0.41/29 dev sgt-f1b
	nsx sgt-fr2 ip addr add 10.77.0.42/29 dev sgt-f2a
	nsx sgt-fr2 ip addr add 10.77.0.49/29 dev sgt-f2b
	nsx sgt-fs ip addr add 10.77.0.50/29 dev sgt-f3
	nsx sgt-fc ip route add 10.77.0.0/24 via 10.77.0.34
	nsx sgt-fs ip route add 10.77.0.0/24 via 10.77.0.49
	nsx sgt-fr1 ip route add 10.77.0.48/29 via 10.77.0.42
	nsx sgt-fr2 ip route add 10.77.0.32/29 via 10.77.0.41
	start_nginx sgt-fs frag "listen 10.77.0.50:80;" "listen 10.77.0.50:81;"
	start_httpsrv sgt-fs fraggo "10.77.0.50:8080"
	EXTRA_LOGS="fragnginx:$(nginx_log frag) fraggo:$WORK/fraggo.log"
	CNS=sgt-fc
	begin fragmented pcap sgt-fr2 sgt-f2a ip
	ccurl "${CO[@]}" http://10.77.0.50/b.txt
	ccurl "${CO[@]}" -H 'Expect:' --data-binary @"$WORK/data/frag30k.txt" http://10.77.0.50:8080/echo
	finish
	EXTRA_LOGS= CNS=sgt-c
}

ALL=(get-simple keepalive pipelined head-204-304 post chunked gzip http10-close connect websocket
	loss-reorder midstream snaplen ipv6 lo any-sll2 pcapng port-reuse fragmented rst parallel
	keepalive-lost-response pipelined-lost-request)
if (($#)); then SEL=("$@"); else SEL=("${ALL[@]}"); fi
for n in "${SEL[@]}"; do
	declare -F "cap_$n" >/dev/null || die "unknown capture $n (known: ${ALL[*]})"
	"cap_$n"
done
say "done; captures in $OUT"
