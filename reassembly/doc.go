// Package reassembly owns the TCP connection table of segscope: it keys connections by
// flow.Key, decides which side is the client, follows each side's TCP state, classifies
// every segment the way Wireshark's tcp.analysis does (retransmission, out-of-order, dup
// ACK, zero window, keep-alive, ...), and turns each direction into an in-order byte
// stream delivered to a Handler, with explicit gaps for bytes that will never arrive.
//
// It does not decode packets (package decode does), parse HTTP (package http1) or
// compute summaries (package analysis). It reads no clock: every timeout is driven by the
// packet timestamps passed to Add and Flush.
//
// # Delivery and memory
//
// In-order payload is handed to Handler.OnData straight from decode.Segment.Payload,
// without copying; the slice is valid only during the call. Only bytes that arrive ahead
// of a hole are copied, into a per-direction list of chunks, bounded by
// Config.MaxBufferedPerConn and Config.MaxBufferedTotal. When a limit is exceeded the
// oldest hole is given up (OnGap) and what follows is delivered. Overlapping copies of
// the same bytes are delivered once: the first copy captured wins.
//
// # Conflicting overlaps
//
// A retransmission whose bytes differ from the first copy is reported as the class
// overlap_conflict, with DirState.ConflictBytes counting the differing bytes and
// SegInfo.ConflictFrame naming the frame whose bytes won. The check covers bytes still
// buffered out of order and, for bytes already delivered, the last
// Config.RecentPerDir bytes delivered in that direction (a ring allocated on the first
// delivery while the tracker-wide budget Config.RecentTotal allows; without a ring,
// overlaps with delivered bytes are not checked and Stats.RecentUnavailable counts it).
//
// # Connection lifetime
//
// A connection is closed (OnClose) when both streams have reached their FIN and the last
// FIN is acknowledged, or Config.CloseWait after both FINs were reached without that ACK;
// when an in-window RST is seen; after Config.IdleTimeout of packet time without a
// segment; when it is evicted to make room (Config.MaxConns); or by Flush. After OnClose
// the connection stays in the table as a tombstone for Config.ClosedLinger (refreshed by
// each late packet) so that late packets (the last ACK, retransmitted FINs or RSTs) are
// still reported with OnSegment under the same connection, without delivering data. A
// SYN with a new ISN on a tombstone starts a new connection on the same 4-tuple
// (ReusedTuple, Index+1).
//
// # Deviations from Wireshark
//
//   - Wireshark uses 0 to mean "not yet seen" for sequence numbers; segscope keeps
//     explicit flags, so a stream whose next sequence number is 0 is analysed correctly.
//   - Windows are scaled by the shift the sender announced in its own SYN (RFC 7323),
//     and only when both SYNs carried the option.
//   - A fast or spurious retransmission also carries the class retransmission, as
//     tshark's tcp.analysis.retransmission filter matches them too.
//   - A zero-window probe carries a real byte of the stream (RFC 9293 §3.8.6.1): it is
//     classified zero_window_probe like Wireshark does, but its byte is reassembled like
//     any other, so a probe the receiver accepted leaves no hole.
//   - An RST is only accepted when its sequence number is in the receive window
//     (RFC 5961 §3); others get the class rst_out_of_window and do not close.
package reassembly
