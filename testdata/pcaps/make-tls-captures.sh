#!/usr/bin/env bash
# make-tls-captures.sh — regenerate segscope's HTTPS test captures from real traffic.
#
# Debian's nginx (with a self-signed certificate made by openssl when the script runs)
# and curl talk TLS across network namespaces this script creates (all named sgtls-*,
# addresses only in 10.79.0.0/24 and fd79::/64); tcpdump writes what was on the wire.
# curl writes the session keys with SSLKEYLOGFILE (NSS key log format) next to each
# capture as <capture>.keys: they are keys of throwaway sessions made here, test data.
# For every capture:
#   <capture>.expect.tsv   nginx's access log: the same columns as make-captures.sh
#   <capture>.tls.tsv      nginx's view of each connection's TLS: conn_index, protocol,
#                          cipher (OpenSSL name), SNI, ALPN, session reused (r or .)
#   logs/<capture>.client.jsonl   curl's -w '%{json}' per transfer
# No packet is crafted by hand.
#
# Usage (as root, from anywhere):   bash testdata/pcaps/make-tls-captures.sh [NAME...]
#   NAME: capture names without extension (default: all), e.g. tls13-aes128gcm
# Environment: OUT=dir  write captures somewhere else (default: this directory)
#              KEEP_WORK=1  keep the temporary work directory
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$HERE}
LOGS=$OUT/logs

die() { echo "make-tls-captures: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"

# ---- dependencies -----------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need ip iproute2
need ethtool ethtool
need tcpdump tcpdump
need tshark tshark
need nginx nginx
need curl curl
need openssl openssl
need awk mawk
need go "golang (a Go toolchain satisfying go.mod)"
[[ -c /dev/net/tun ]] || die "/dev/net/tun missing (needed by tools/tapfwd)"
if ((${#missing[@]})); then
	die "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})"
fi

# ---- state and cleanup --------------------------------------------------------
NSLIST=(sgtls-c sgtls-s sgtls-lc sgtls-ls)
WORK=$(mktemp -d /tmp/sgtls-captures.XXXXXX)
PIDS=()

kill_ns_pids() {
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
	ip link del sgtls-tapa 2>/dev/null || true
	ip link del sgtls-tapb 2>/dev/null || true
	if [[ -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; else echo "work dir kept: $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in "${NSLIST[@]}"; do
	if ip netns list | grep -qw "$ns"; then kill_ns_pids "$ns"; ip netns del "$ns"; fi
done

mkdir -p "$OUT" "$LOGS" "$WORK/bin" "$WORK/www" "$WORK/data"

say "building tools"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/bin/" ./tools/tapfwd)
BIN=$WORK/bin

# ---- deterministic content ---------------------------------------------------------
text() { awk -v n="$1" 'BEGIN{ s=""; for (i=1; length(s)<n; i++) s = s sprintf("line %06d of the segscope test file: pack my box with five dozen liquor jugs\n", i); printf "%s", substr(s,1,n) }'; }
noisy() { awk -v n="$1" 'BEGIN{ x=12345; s=""; for (i=1; length(s)<n; i++) { l=sprintf("%06d ", i); for (j=0; j<16; j++) { x=(x*1103515245+12345)%2147483648; l=l sprintf("%04x", int(x/32768)%65536) } s=s l "\n" } printf "%s", substr(s,1,n) }'; }
W=$WORK/www
printf '<!DOCTYPE html>\n<html><head><title>segscope</title></head><body><p>segscope test page</p></body></html>\n' >"$W/index.html"
text 5000 >"$W/a.txt"
text 12000 >"$W/b.txt"
text 3000 >"$W/c.txt"
text 150000 >"$W/big.txt"
mkdir -p "$W/gz"
noisy 60000 >"$W/gz/text.txt"
text 20000 >"$WORK/data/post20k.txt"
find "$W" -type f -exec touch -d '@1700000000' {} +

# ---- certificate: self-signed, made now, thrown away with $WORK ------------------------
HOST=tls.segscope.test
say "self-signed certificate for $HOST"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
	-subj "/O=segscope test/CN=$HOST" -addext "subjectAltName=DNS:$HOST" 2>/dev/null ||
	die "openssl could not make the certificate"

# ---- namespaces ---------------------------------------------------------------------
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
newns() {
	ip netns add "$1"
	nsx "$1" ip link set lo up
	nsx "$1" sysctl -qw net.ipv4.tcp_ecn=0
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
}
offload_off() {
	local ns=$1 dev=$2 f
	for f in tso gso gro lro tx rx sg ufo; do nsx "$ns" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true; done
}

say "topology: sgtls-c (10.79.0.1, fd79::1) <-veth mtu 1500-> sgtls-s (10.79.0.2, fd79::2)"
newns sgtls-c
newns sgtls-s
ip link add sgtls-vc netns sgtls-c type veth peer name sgtls-vs netns sgtls-s
nsx sgtls-c ip link set sgtls-vc address 02:79:00:00:00:01 mtu 1500
nsx sgtls-s ip link set sgtls-vs address 02:79:00:00:00:02 mtu 1500
offload_off sgtls-c sgtls-vc
offload_off sgtls-s sgtls-vs
nsx sgtls-c ip link set sgtls-vc up
nsx sgtls-s ip link set sgtls-vs up
nsx sgtls-c ip addr add 10.79.0.1/24 dev sgtls-vc
nsx sgtls-s ip addr add 10.79.0.2/24 dev sgtls-vs
nsx sgtls-c ip -6 addr add fd79::1/64 dev sgtls-vc nodad
nsx sgtls-s ip -6 addr add fd79::2/64 dev sgtls-vs nodad
nsx sgtls-c ip neigh replace 10.79.0.2 lladdr 02:79:00:00:00:02 dev sgtls-vc
nsx sgtls-s ip neigh replace 10.79.0.1 lladdr 02:79:00:00:00:01 dev sgtls-vs

# ---- nginx ------------------------------------------------------------------------------
# Log columns: the unified columns of make-captures.sh, then the TLS ones:
#   connection conn_requests remote_port server_port method uri status resp_body_len
#   req_body_len te  ssl_protocol ssl_cipher ssl_server_name ssl_alpn ssl_session_reused
# start_nginx NS NAME ADDR
start_nginx() {
	local ns=$1 name=$2 addr=$3 d=$WORK/nginx-$2
	mkdir -p "$d/tmp" "$d/logs"
	cat >"$d/nginx.conf" <<EOF
user root root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format sgtls '\$connection\t\$connection_requests\t\$remote_port\t\$server_port\t\$request_method\t\$request_uri\t\$status\t\$body_bytes_sent\t\$content_length\tte=\$sent_http_transfer_encoding\t\$ssl_protocol\t\$ssl_cipher\t\$ssl_server_name\t\$ssl_alpn_protocol\t\$ssl_session_reused';
    access_log $d/logs/access.log sgtls;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    types { text/html html; text/plain txt; }
    default_type application/octet-stream;
    server_tokens off;
    sendfile off;
    keepalive_timeout 30;
    gzip off;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ALL;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:sgtls:1m;
    ssl_session_tickets on;
    server {
        listen $addr:443 ssl;
        server_name $HOST;
        root $WORK/www;
        location /gz/ { gzip on; gzip_types text/plain; gzip_min_length 0; gzip_comp_level 6; gzip_vary off; }
        location = /post { client_max_body_size 1m; return 201 "created\\n"; }
    }
    server {
        listen $addr:444 ssl http2;
        server_name $HOST;
        root $WORK/www;
    }
    server {
        # no encrypt_then_mac: TLS 1.2 CBC records MAC-then-encrypt (RFC 5246 §6.2.3.2)
        listen $addr:445 ssl;
        server_name $HOST;
        root $WORK/www;
        ssl_conf_command Options -EncryptThenMac;
    }
}
EOF
	nsx "$ns" nginx -e "$d/logs/error.log" -p "$d" -c "$d/nginx.conf"
	for _ in $(seq 50); do [[ -s $d/nginx.pid ]] && break; sleep 0.1; done
	[[ -s $d/nginx.pid ]] || die "nginx $name did not start: $(cat "$d/logs/error.log")"
	PIDS+=("$(cat "$d/nginx.pid")")
}
nginx_log() { echo "$WORK/nginx-$1/logs/access.log"; }

say "starting nginx in sgtls-s"
start_nginx sgtls-s main 10.79.0.2

# ---- capture helpers -------------------------------------------------------------------
CAP_PID=
cap_start() {
	local ns=$1 ifc=$2 file=$3 err
	shift 3
	err=$WORK/$(basename "$file").err
	rm -f "$file"
	# shellcheck disable=SC2086 # CAP_EXTRA: extra tcpdump flags, word-split on purpose
	ip netns exec "$ns" tcpdump -i "$ifc" -nn ${CAP_EXTRA:---immediate-mode -U} -Z root -w "$file" "$@" 2>"$err" &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	for _ in $(seq 100); do
		if grep -qi 'listening on' "$err" 2>/dev/null; then sleep 0.2; return 0; fi
		sleep 0.05
	done
	die "capture on $ns/$ifc did not start: $(cat "$err")"
}
cap_stop() {
	sleep "${CAP_TAIL:-1.5}"
	kill -TERM "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
}

# curl options per transfer: the client log gets curl's -w '%{json}' per transfer
CO=(-s -S -k -A segscope-testdata -o /dev/null -w '%{json}\n')
CLOG=
KEYS=
CNS=sgtls-c
ccurl() { SSLKEYLOGFILE=$KEYS nsx "$CNS" curl "$@" >>"$CLOG" 2>&1 || echo "curl exit $?" >>"$CLOG"; }
RES=(--resolve "$HOST:443:10.79.0.2" --resolve "$HOST:444:10.79.0.2" --resolve "$HOST:445:10.79.0.2")
U=https://$HOST

declare -A MARK
LOGFILE=
mark_log() { MARK[$LOGFILE]=$(($(wc -l 2>/dev/null <"$LOGFILE" || echo 0))); }

# make_expect NAME FILE: nginx's connections mapped to capture connections (order of first
# packet: tshark tcp.stream + 1) by port pair
make_expect() {
	local name=$1 file=$2
	tshark -r "$file" -Y tcp -T fields -E separator=/t -e tcp.stream -e tcp.srcport -e tcp.dstport 2>/dev/null |
		awk -F'\t' '!seen[$1]++' >"$WORK/$name.streams"
	tail -n +$((${MARK[$LOGFILE]:-0} + 1)) "$LOGFILE" | sort -t$'\t' -k1,1n -k2,2n >"$WORK/$name.serverlog"
	cp "$WORK/$name.serverlog" "$LOGS/$name.server.tsv"
	awk -F'\t' -v OFS='\t' -v tlsout="$WORK/$name.tls" '
		FNR == NR { a[$1] = $2; b[$1] = $3; if ($1 + 1 > ns) ns = $1 + 1; next }
		{
			key = $1
			if (!(key in ci)) {
				ci[key] = ""
				for (s = 0; s < ns; s++)
					if (!(s in used) && ((a[s] == $3 && b[s] == $4) || (a[s] == $4 && b[s] == $3))) { used[s] = 1; ci[key] = s + 1; break }
				if (ci[key] != "") print ci[key], $11, $12, $13, ($14 == "" ? "-" : $14), $15 > tlsout
			}
			if (ci[key] == "") next
			if ($9 == "-") $9 = 0
			note = ($10 == "te=chunked") ? "resp_te:chunked" : "-"
			print ci[key], $2, $5, $6, $7, $8, $9, note
		}' "$WORK/$name.streams" "$WORK/$name.serverlog" | sort -t$'\t' -k1,1n -k2,2n >"$WORK/$name.body"
	{
		printf 'conn_index\tdepth\tmethod\turi\tstatus\tresp_body_len\treq_body_len\tnote\n'
		cat "$WORK/$name.body"
	} >"$OUT/$name.expect.tsv"
	{
		printf 'conn_index\tprotocol\tcipher\tsni\talpn\treused\n'
		sort -t$'\t' -k1,1n "$WORK/$name.tls" 2>/dev/null || true
	} >"$OUT/$name.tls.tsv"
}

begin() { # begin NAME NS IFACE
	NAME=$1 FILE=$WORK/$1.pcap
	say "capture $NAME"
	CLOG=$LOGS/$NAME.client.jsonl
	KEYS=$WORK/$NAME.keys
	: >"$CLOG"
	: >"$KEYS"
	LOGFILE=${LOGFILE_OVERRIDE:-$(nginx_log main)}
	mark_log
	cap_start "$2" "$3" "$FILE" tcp
}
finish() {
	cap_stop
	sleep 0.3
	make_expect "$NAME" "$FILE"
	mv -f "$FILE" "$OUT/"
	cp "$KEYS" "$OUT/$NAME.keys"
	chmod 644 "$OUT/$NAME.pcap" "$OUT/$NAME.keys"
	[[ -s $OUT/$NAME.keys ]] || die "$NAME: curl wrote no key log"
	printf '   %-26s %8d bytes %5s packets %3s key lines\n' "$NAME.pcap" "$(stat -c %s "$OUT/$NAME.pcap")" \
		"$(tshark -r "$OUT/$NAME.pcap" 2>/dev/null | wc -l)" "$(wc -l <"$OUT/$NAME.keys")" >&2
}

# ---- the captures ------------------------------------------------------------------------
T13=(--tlsv1.3 --tls-max 1.3)
T12=(--tlsv1.2 --tls-max 1.2)

# keep-alive, a POST, chunked and gzip on one connection: TLS 1.3, AES-128-GCM
cap_tls13-aes128gcm() {
	begin tls13-aes128gcm sgtls-s sgtls-vs
	ccurl "${RES[@]}" "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256 --http1.1 \
		"${CO[@]}" $U/a.txt \
		--next "${CO[@]}" "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256 --http1.1 $U/b.txt \
		--next "${CO[@]}" "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256 --http1.1 \
		-H 'Expect:' -H 'Content-Type: text/plain' --data-binary @"$WORK/data/post20k.txt" $U/post \
		--next "${CO[@]}" "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256 --http1.1 \
		-H 'Accept-Encoding: gzip' $U/gz/text.txt \
		--next "${CO[@]}" "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256 --http1.1 $U/missing.txt
	finish
	dechunk_expect tls13-aes128gcm /gz/text.txt
}

# dechunk_expect NAME URI: nginx's $body_bytes_sent counts chunk framing; curl (asked for
# gzip, not decoding it) reports the de-chunked coded body as size_download: use that
dechunk_expect() {
	local name=$1 uri=$2 n
	n=$(grep -F "\"url_effective\":\"$U$uri\"" "$LOGS/$name.client.jsonl" | grep -o '"size_download":[0-9]*' | cut -d: -f2)
	[[ -n $n ]] || die "$name: curl logged no size_download for $uri"
	awk -F'\t' -v OFS='\t' -v u="$uri" -v n="$n" '$4 == u && $8 ~ /chunked/ { $6 = n; $8 = "resp_te:chunked,content_encoding:gzip,decoded_len=60000" } { print }' \
		"$OUT/$name.expect.tsv" >"$WORK/t" && mv "$WORK/t" "$OUT/$name.expect.tsv"
}

# one GET per suite: cap_one NAME PORT curl-TLS-args...
cap_one() {
	local name=$1 port=$2
	shift 2
	begin "$name" sgtls-s sgtls-vs
	ccurl "${RES[@]}" "$@" --http1.1 "${CO[@]}" "$U:$port/b.txt" --next "$@" --http1.1 "${CO[@]}" "$U:$port/c.txt"
	finish
}
cap_tls13-aes256gcm() { cap_one tls13-aes256gcm 443 "${T13[@]}" --tls13-ciphers TLS_AES_256_GCM_SHA384; }
cap_tls13-chacha20() { cap_one tls13-chacha20 443 "${T13[@]}" --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256; }
cap_tls12-aes128gcm() { cap_one tls12-aes128gcm 443 "${T12[@]}" --ciphers ECDHE-RSA-AES128-GCM-SHA256; }
cap_tls12-aes256gcm() { cap_one tls12-aes256gcm 443 "${T12[@]}" --ciphers ECDHE-RSA-AES256-GCM-SHA384; }
cap_tls12-chacha20() { cap_one tls12-chacha20 443 "${T12[@]}" --ciphers ECDHE-RSA-CHACHA20-POLY1305; }
# CBC with encrypt_then_mac (OpenSSL's default) and without it (port 445)
cap_tls12-cbc-sha() { cap_one tls12-cbc-sha 443 "${T12[@]}" --ciphers ECDHE-RSA-AES128-SHA; }
cap_tls12-cbc-sha256() { cap_one tls12-cbc-sha256 443 "${T12[@]}" --ciphers AES256-SHA256; }
cap_tls12-cbc-mte() { cap_one tls12-cbc-mte 445 "${T12[@]}" --ciphers ECDHE-RSA-AES256-SHA; }

# ALPN h2: reported as HTTP/2, not parsed
cap_tls13-h2() {
	begin tls13-h2 sgtls-s sgtls-vs
	ccurl "${RES[@]}" "${T13[@]}" --http2 "${CO[@]}" "$U:444/c.txt"
	finish
}

# resumption: one curl, two connections (the first closed by Connection: close); the
# second resumes the session curl kept from the first (TLS 1.3 ticket, TLS 1.2 ticket)
cap_resume() {
	local name=$1
	shift
	begin "$name" sgtls-s sgtls-vs
	ccurl "${RES[@]}" "$@" --http1.1 "${CO[@]}" -H 'Connection: close' $U/a.txt \
		--next "$@" --http1.1 "${CO[@]}" $U/c.txt
	finish
	awk -F'\t' 'NR > 1 && $1 == 2 && $6 != "r" { bad = 1 } END { exit bad }' "$OUT/$name.tls.tsv" ||
		die "$name: nginx did not resume the second connection"
}
cap_tls13-resume() { cap_resume tls13-resume "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256; }
cap_tls12-resume() { cap_resume tls12-resume "${T12[@]}" --ciphers ECDHE-RSA-AES128-GCM-SHA256; }

# KeyUpdate: openssl s_client sends one when a line read from stdin starts with K
# (not with -quiet, which turns command letters off)
cap_tls13-keyupdate() {
	begin tls13-keyupdate sgtls-s sgtls-vs
	local req='GET /a.txt HTTP/1.1\r\nHost: '$HOST'\r\nUser-Agent: segscope-testdata\r\n\r\n'
	local req2='GET /c.txt HTTP/1.1\r\nHost: '$HOST'\r\nUser-Agent: segscope-testdata\r\nConnection: close\r\n\r\n'
	{ printf "$req"; sleep 0.5; printf 'K\n'; sleep 0.5; printf "$req2"; sleep 1; } |
		nsx sgtls-c openssl s_client -connect 10.79.0.2:443 -servername $HOST -tls1_3 \
			-ciphersuites TLS_AES_256_GCM_SHA384 -keylogfile "$KEYS" >"$WORK/s_client.out" 2>>"$CLOG" || true
	grep -c '^HTTP/1.1 200' "$WORK/s_client.out" >>"$CLOG" || true
	finish
}

# impaired path through tools/tapfwd: loss, duplication and reordering of server data
LOSS_PLAN='b2a:dup=5;b2a:drop=8,40,41;b2a:swap=15,60;b2a:delay=80@20ms'
cap_tls13-loss-reorder() {
	say "tapfwd plan $LOSS_PLAN"
	newns sgtls-lc
	newns sgtls-ls
	rm -f "$WORK/tap.ready"
	"$BIN/tapfwd" -a sgtls-tapa -b sgtls-tapb -plan "$LOSS_PLAN" -ready "$WORK/tap.ready" 2>"$LOGS/tls13-loss-reorder.tapfwd.log" &
	PIDS+=($!)
	for _ in $(seq 50); do [[ -f $WORK/tap.ready ]] && break; sleep 0.1; done
	[[ -f $WORK/tap.ready ]] || die "tapfwd did not start: $(cat "$LOGS/tls13-loss-reorder.tapfwd.log")"
	ip link set sgtls-tapa netns sgtls-lc
	ip link set sgtls-tapb netns sgtls-ls
	nsx sgtls-lc ip link set sgtls-tapa address 02:79:00:00:00:11 mtu 1500 up
	nsx sgtls-ls ip link set sgtls-tapb address 02:79:00:00:00:12 mtu 1500 up
	offload_off sgtls-lc sgtls-tapa
	offload_off sgtls-ls sgtls-tapb
	nsx sgtls-lc ip addr add 10.79.0.11/24 dev sgtls-tapa
	nsx sgtls-ls ip addr add 10.79.0.12/24 dev sgtls-tapb
	nsx sgtls-lc ip neigh replace 10.79.0.12 lladdr 02:79:00:00:00:12 dev sgtls-tapa
	nsx sgtls-ls ip neigh replace 10.79.0.11 lladdr 02:79:00:00:00:11 dev sgtls-tapb
	start_nginx sgtls-ls loss 10.79.0.12
	LOGFILE_OVERRIDE=$(nginx_log loss) CNS=sgtls-lc begin tls13-loss-reorder sgtls-lc sgtls-tapa
	CNS=sgtls-lc ccurl --resolve "$HOST:443:10.79.0.12" "${T13[@]}" --http1.1 "${CO[@]}" $U/big.txt --next --http1.1 "${CO[@]}" $U/a.txt
	finish
}

# the benchmark capture (not in ALL, not committed): 200 MiB over one TLS 1.3 AES-128-GCM
# connection, e.g. OUT=/tmp/big bash make-tls-captures.sh tls13-big
cap_tls13-big() {
	# (yes ends on SIGPIPE: its status is not an error here)
	{ yes 'segscope benchmark body line: pack my box with five dozen liquor jugs' || true; } | head -c $((200 << 20)) >"$W/big200.txt"
	touch -d '@1700000000' "$W/big200.txt"
	# a 256 MiB kernel buffer and no immediate mode: tcpdump keeps up on a busy machine
	CAP_EXTRA="-B 262144" begin tls13-big sgtls-s sgtls-vs
	# rate-limited, so that tcpdump keeps up (at full speed over veth it drops packets)
	ccurl "${RES[@]}" "${T13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256 --http1.1 --limit-rate 40M "${CO[@]}" $U/big200.txt
	finish
}

ALL=(tls13-aes128gcm tls13-aes256gcm tls13-chacha20 tls12-aes128gcm tls12-aes256gcm tls12-chacha20
	tls12-cbc-sha tls12-cbc-sha256 tls12-cbc-mte tls13-h2 tls13-resume tls12-resume tls13-keyupdate
	tls13-loss-reorder)
if (($#)); then SEL=("$@"); else SEL=("${ALL[@]}"); fi
for n in "${SEL[@]}"; do
	declare -F "cap_$n" >/dev/null || die "unknown capture $n (known: ${ALL[*]})"
	"cap_$n"
done
say "done; captures in $OUT"
