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
// A connection's streams end when both have reached their FIN and both FINs are
// acknowledged, or at an in-window RST: held bytes are delivered after gaps for the
// holes, and later segments are only classified. OnClose follows Config.CloseWait of
// packet time later (200 ms by default, refreshed by each late packet), so the last ACKs
// of a FIN exchange and the packets around an RST are still reported before OnClose and
// counted in the connection; the same wait applies when both FINs were seen without the
// last ACK. A connection also closes after Config.IdleTimeout of packet time without a
// segment, when it is evicted to make room (Config.MaxConns, least recently active
// first), or by Flush. After OnClose it stays in the table as a tombstone for
// Config.ClosedLinger (refreshed by each late packet): later packets are still reported
// with OnSegment under the same connection ID, without data. A SYN with a new ISN starts
// a new connection on the same 4-tuple (ReusedTuple, Index+1), closing the old one first.
// Memory stays flat: buffers are released when the streams end, a tombstone is not the
// Conn but a 240-byte record of what classifies late packets (the Conn of a late
// OnSegment is rebuilt from it, see Handler), the closed Conn is reused for a later
// connection, and the table never exceeds Config.MaxConns, tombstones included.
//
// # Shards
//
// A Tracker is used by one goroutine. To use several, give each the connections whose
// flow.Tuple.Hash falls to it, and call Advance with the time of every segment the
// tracker does not get: timeouts then fire at the same segments as in one tracker, and
// connections that time out together close in the order of their last frames, as they
// do in one tracker. A Handler that also implements Dropper learns when an ID leaves the
// table, to map each shard's IDs to one numbering.
//
// # Gaps
//
// A hole in a stream becomes a gap (OnGap, never zero-filled) when the receiver
// acknowledged bytes beyond it and they still have not come 8 segments of the
// connection later (a capture may show an ACK before the data it acknowledges), when a
// buffer limit is reached (the oldest hole is given up), when the streams end (RST,
// idle timeout, eviction, Flush: up to the FIN or the highest acknowledged byte), or at
// once for the bytes a truncated in-order segment did not capture.
//
// # Stream start
//
// Offset 0 is the byte after the SYN. Without a SYN the first sequence number seen
// starts the stream (ISN = seq-1; an ACK from the peer gives ISN = ack-1 first, as
// Wireshark does). While nothing of a direction has been delivered, a late SYN or bytes
// just before that start (up to 1 MiB, reordered captures) move the start back.
//
// # Classification and Wireshark
//
// Classes follow tcp_analyze_sequence_number of Wireshark's packet-tcp.c, as tshark 4.0
// (Debian 12) reports them; TestTsharkDifferential runs tshark on hundreds of generated
// exchanges (losses, reordering, duplicates, dup ACKs, zero windows, keep-alives) and
// requires the same classes on every frame, except acked_unseen_segment, whose
// bookkeeping segscope takes from the later Wireshark source (they differ on about 0.3%
// of frames). A fast or spurious retransmission also carries the class retransmission,
// as tshark's tcp.analysis.retransmission matches them too. Where Wireshark is wrong,
// segscope deliberately differs:
//
//   - Wireshark uses 0 to mean "not yet seen" for sequence numbers; segscope keeps
//     explicit flags, so a stream whose next sequence number is 0 is analysed correctly.
//   - A zero-window probe carries a real byte of the stream (RFC 9293 §3.8.6.1): it is
//     classified zero_window_probe like Wireshark does, but once the receiver acknowledges
//     it or the sender continues after it, the byte counts as sent. Wireshark never
//     counts it, and flags the ACK of an accepted probe as acked_unseen_segment and the
//     next segment as previous_segment_not_captured. The byte is reassembled like any
//     other, so an accepted probe leaves no hole in the stream.
//   - Wireshark keeps its dup ACK counter in an unsigned integer and uses -1 as a marker
//     after acked_unseen_segment, so the next retransmission looks like the third dup
//     ACK's and is flagged fast_retransmission; segscope does not.
//   - SegInfo.Window is scaled by the shift the sender announced in its own SYN
//     (RFC 7323), and only when both SYNs carried the option.
//   - An RST is only accepted when its sequence number is in the receive window
//     (RFC 5961 §3); others get the extra class rst_out_of_window and do not close.
//   - overlap_conflict (and rst_out_of_window) have no Wireshark counterpart.
//
// # Direction
//
// The client is decided at a connection's first segment and never changed: the sender of
// a SYN without ACK is the client; the sender of a SYN-ACK is the server; then a payload
// starting with an HTTP request line ("METHOD SP target") marks its sender as the client,
// one starting with "HTTP/1." as the server; then a well-known port (below 1024, or 8080,
// 8000, 8443, 3128, 8008, 8888) marks the server, else the lower port, else the first
// sender is the client.
package reassembly
