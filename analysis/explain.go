package analysis

import "slices"

// explanations are the concepts behind the findings, for `--explain KIND`: what the
// finding means and where the rule is written down.
var explanations = map[Kind]string{
	KindHandshake: `handshake — the three-way handshake (RFC 9293 §3.5)
A TCP connection starts with SYN, SYN-ACK, ACK. The client may send its request only
after the SYN-ACK arrives, so a new connection costs one round trip before the first
byte of the request; the options (MSS, window scale, SACK, timestamps) are agreed here.
A lost SYN costs the initial retransmission timeout (1 s, RFC 6298). TCP Fast Open
(RFC 7413) lets a client that holds a cookie from an earlier connection put the first
bytes of its request in the SYN: a server that accepts them answers at once, saving
the round trip. segscope reports when the SYN carried data and whether the SYN-ACK
acknowledged it.`,
	KindKeepAlive: `keepalive_reuse — persistent connections (RFC 9112 §9.3)
HTTP/1.1 connections persist by default: several exchanges reuse one connection, paying
the handshake and slow start once. "Connection: close" (or HTTP/1.0 without keep-alive)
ends the connection after the response.`,
	KindNoKeepAlive: `no_keepalive — one exchange per connection (RFC 9112 §9.3, §9.6)
The connection carried a single exchange and then closed, because the response said
"Connection: close", it was HTTP/1.0 without keep-alive, or a side chose to close. The
next request to the server pays a new handshake and a fresh slow start.`,
	KindPipelining: `pipelining — several requests in flight on one connection (RFC 9112 §9.3.2)
A client may send a request before the response to the previous one has arrived; the
server must answer in request order, so one slow response delays all behind it
(head-of-line blocking). Browsers do not pipeline; HTTP/2 multiplexes instead.`,
	KindParallel: `parallel_conns — parallel connections (RFC 9112 §9.4)
A client may open several connections to one server to fetch in parallel; each pays its
own handshake and slow start and they share the path. segscope calls connections
parallel when their request/response activity (first to last data segment) overlapped,
and states it once per group. RFC 9112 §9.4 asks clients to limit the number of
connections to a server (browsers use about 6).`,
	KindSlowStart: `slow_start — slow start (RFC 5681 §3.1)
A fresh connection starts with a small congestion window (10 segments, RFC 6928) and
doubles it each round trip until a loss or the receiver's window limits it; a response
larger than the window needs several round trips whatever the bandwidth. segscope groups
a response's segments into flights separated by idle time and counts them in MSS-sized
units, since segmentation offload (TSO/GSO, GRO) merges segments in captures taken on a
host.`,
	KindNagle: `nagle_delay — Nagle's algorithm (RFC 896; RFC 1122 §4.2.3.4)
A sender with unacknowledged data holds back a new small segment until the outstanding
data is acknowledged or a full segment can be sent. With delayed ACK at the receiver,
write-write-read patterns (a request head and its body in two writes) then wait for the
delayed-ACK timer: tens of milliseconds each. TCP_NODELAY turns Nagle off; writing the
request in one write() avoids the pattern. A capture shows packets, not socket options,
so the finding is an inference.`,
	KindDelayedAck: `delayed_ack — delayed acknowledgements (RFC 1122 §4.2.3.2; RFC 9293 §3.8.6.3)
A receiver may wait before acknowledging, hoping to send the ACK with data, but must
acknowledge at least every second full segment and within 500 ms. Linux waits 40 ms at
least (more with longer round trips, up to 200 ms), Windows 200 ms. Seen from the
sender's side of the path, the ACK's delay includes a round trip; segscope subtracts it
when the handshake shows where the capture was taken.`,
	KindRetransmission: `retransmission — loss recovery (RFC 9293 §3.8.1; RFC 5681 §3.2; RFC 6298)
A sender re-sends data not acknowledged in time (the retransmission timeout, at least
200 ms on Linux) or after three duplicate ACKs (fast retransmit, RFC 5681). A spurious
retransmission repeats data that had already been acknowledged. The count is the one
conns shows: every segment classed retransmission, SYN and FIN included.`,
	KindZeroWindow: `zero_window — flow control (RFC 9293 §3.8.6)
A receiver whose buffer is full advertises a zero window; the sender stops and probes
until the window opens. It means the receiving application did not read fast enough.`,
	KindGap: `gap — bytes the capture does not hold
A segment that starts beyond everything seen so far leaves a hole in the sequence space.
A retransmission or a late, reordered segment may fill it later (loss or reordering on
the path before the capture point: nothing is missing); bytes never filled were never
captured (the capture dropped them, a snaplen cut them, or it started mid-stream).`,
	KindHalfClose: `half_close — half-close (RFC 9293 §3.6)
A FIN ends one direction only: after shutdown(SHUT_WR) a side sends FIN and can still
receive; the peer may keep sending until it closes too. segscope calls it a half-close
when a side sends new data after the peer's FIN and before its own FIN.`,
	KindReset: `reset — RST (RFC 9293 §3.5.2, §3.6)
An RST aborts a connection: data not yet delivered is discarded and no TIME_WAIT follows.
It answers a SYN to a closed port, or ends a connection abortively (SO_LINGER 0, unread
data at close, a crash, a middlebox timeout).`,
	KindTimeWait: `time_wait — TIME-WAIT (RFC 9293 §3.6, §3.6.1; RFC 1122 §4.2.2.13; RFC 6191)
The side that closes first (sends the first FIN) stays in TIME-WAIT for 2*MSL (60 s on
Linux) after the last ACK, so that delayed segments of the old connection die out before
the 4-tuple is used again. Meanwhile the holder accepts a new SYN on the same 4-tuple
only when it is recognisably newer: a higher sequence number (RFC 9293 §3.6.1, RFC 1122
§4.2.2.13) or, with timestamps, a newer timestamp (RFC 6191). The other side holds
nothing and may reuse the tuple at once. Servers that close first accumulate TIME-WAIT
sockets.`,
	KindNoClose: `no_close — no FIN seen
The connection had not closed by the end of the capture (or went idle): neither side
reached TIME-WAIT.`,
	KindTupleReuse: `tuple_reuse — a 4-tuple used again (RFC 9293 §3.6.1; RFC 6191; RFC 7323 §5)
A new connection used the addresses and ports of an earlier one. What let the SYN
through: the earlier connection's TIME-WAIT was held by the other side; or the new SYN's
sequence number was above the old connection's; or timestamps showed it was newer (Linux
net.ipv4.tcp_tw_reuse lets a client reuse its own TIME-WAIT tuple once the old
connection's last timestamp is over a second old; PAWS, RFC 7323, tells old duplicates
apart); or an RST had ended the old connection without TIME-WAIT.`,
	KindDNS: `dns_lookup — DNS before the connection (RFC 1034, RFC 1035)
Before connecting to a name, a client asks a resolver for its address (A, AAAA). When
the server's address was an answer to that client shortly before the connection, the
lookup time is part of the time before the first request (HAR timings.dns; the http
record's host_lookup). A cached address costs nothing.`,
	KindTruncated: `log_truncated — the segment log filled up
segscope keeps a bounded log of each connection's segments for ladder and diagnose;
findings cover the segments before the limit.`,
}

// Explain returns the concept behind findings of kind k, with the RFCs that define it.
func Explain(k string) (string, bool) {
	t, ok := explanations[Kind(k)]
	return t, ok
}

// Kinds lists the kinds Explain knows, sorted.
func Kinds() []string {
	out := make([]string, 0, len(explanations))
	for k := range explanations {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}
