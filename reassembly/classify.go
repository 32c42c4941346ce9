package reassembly

import (
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// Timing thresholds of Wireshark's tcp.analysis.
const (
	fastRetransWindow   = int64(20e6) // a retransmission within 20 ms of >= 2 dup ACKs is fast
	defaultOOOThreshold = int64(3e6)  // out-of-order window when the handshake RTT is unknown
)

// analysis is Wireshark's per-direction tcp_analyze_seq_info, with explicit "set" flags
// instead of Wireshark's use of 0 as "unknown".
type analysis struct {
	nextSeq     tcpseq.Seq // highest seq+len seen (SYN and FIN count one)
	maxToAck    tcpseq.Seq // highest contiguous seq seen, for acked_unseen_segment
	lastAck     tcpseq.Seq
	window      uint32     // window field as sent (unscaled)
	zwpEnd      tcpseq.Seq // end of the last zero-window probe, not yet counted in nextSeq
	lastFlags   tcp.Class
	nextSeqTime int64
	lastAckTime int64
	dupAckNum   int32 // -1 marks a hole already reported by acked_unseen_segment
	lastNonDup  uint64
	// The flags last, to keep the padding small (it is in every Conn). A tombstone keeps
	// the same state in narrower fields (tombDir): a new field goes into both.
	nextSeqSet  bool
	maxToAckSet bool
	lastAckSet  bool
	windowSet   bool
	lastWasSYN  bool
	zwpSet      bool
}

// acceptProbe counts a zero-window probe's byte as sent once it was acknowledged or the
// sender continued after it. Wireshark never does, and so flags the ACK of an accepted
// probe as acked_unseen_segment and the next segment as previous_segment_not_captured.
func (a *analysis) acceptProbe() {
	if a.zwpSet {
		a.zwpSet = false
		if a.nextSeqSet && a.nextSeq.LessThan(a.zwpEnd) {
			if a.maxToAck == a.nextSeq {
				a.maxToAck = a.zwpEnd
			}
			a.nextSeq = a.zwpEnd
		}
	}
}

// analyze sets t.info.Class and the dup ACK fields for seg, following Wireshark's
// tcp_analyze_sequence_number (packet-tcp.c) step by step, as in Wireshark 4.0 (the
// tshark of Debian 12, against which the differential test runs).
func (t *Tracker) analyze(c *Conn, d flow.Dir, seg *decode.Segment, seglen uint32) {
	info := &t.info
	ds, ps := &c.Dir[d], &c.Dir[d.Other()]
	f, r := &ds.an, &ps.an
	seq, ack := seg.Seq, seg.Ack
	flags := seg.Flags
	sfr := flags&(tcp.SYN|tcp.FIN|tcp.RST) != 0
	synfin := flags&(tcp.SYN|tcp.FIN) != 0

	if !t.wiresharkCompat {
		if f.zwpSet && seq == f.zwpEnd {
			f.acceptProbe()
		}
		if r.zwpSet && flags.Has(tcp.ACK) && ack == r.zwpEnd {
			r.acceptProbe()
		}
	}
	cl := t.analyzeFwd(c, f, r, ps, seg, seglen, sfr)
	if !f.lastAckSet || ack != f.lastAck {
		f.lastNonDup = seg.Frame
		f.dupAckNum = 0
	}
	if cl&tcp.ClassDupAck != 0 {
		info.DupAckCount = int(f.dupAckNum)
		info.DupAckFrame = f.lastNonDup
	}

	// ACKED LOST PACKET
	if flags.Has(tcp.ACK) && r.maxToAckSet && r.maxToAck.LessThan(ack) {
		if r.nextSeqSet && r.nextSeq.LessThan(r.maxToAck) {
			r.maxToAck = r.nextSeq
			cl |= tcp.ClassAckedUnseenSegment
		} else {
			// Report a hole once, even when this side only sends pure ACKs.
			if r.dupAckNum == 0 {
				cl |= tcp.ClassAckedUnseenSegment
			}
			r.dupAckNum = -1
		}
	}

	// RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER
	if (seglen > 0 || synfin) && cl&tcp.ClassKeepAlive == 0 {
		notAdv := f.nextSeqSet && seq.LessThan(f.nextSeq)
		if seglen > 1 && f.nextSeqSet && f.nextSeq.Add(^uint32(0)) == seq {
			notAdv = false
		}
		switch {
		case seglen > 0 && r.lastAckSet && seq.Add(seglen).LessEq(r.lastAck):
			cl |= tcp.ClassSpuriousRetransmission | tcp.ClassRetransmission
		case notAdv && (r.dupAckNum >= 2 || t.wiresharkCompat && r.dupAckNum == -1) && r.lastAckSet && r.lastAck == seq && seg.TS-r.lastAckTime < fastRetransWindow:
			cl |= tcp.ClassFastRetransmission | tcp.ClassRetransmission
		case notAdv && seg.TS-f.nextSeqTime < t.oooThreshold(c) && f.nextSeq != seq.Add(seglen+b2u(synfin)):
			cl |= tcp.ClassOutOfOrder
		case notAdv:
			cl |= tcp.ClassRetransmission
		}
	}

	next := seq.Add(seglen + b2u(synfin))
	if cl&tcp.ClassZeroWindowProbe != 0 {
		f.zwpSet = true
		f.zwpEnd = next
	} else {
		if !f.nextSeqSet || f.nextSeq.LessThan(next) {
			f.nextSeqSet = true
			f.nextSeq = next
			f.nextSeqTime = seg.TS
		}
		if !f.maxToAckSet || seq == f.maxToAck {
			f.maxToAckSet = true
			f.maxToAck = f.nextSeq
		}
	}
	f.windowSet = true
	f.window = uint32(seg.Window)
	f.lastWasSYN = flags.Has(tcp.SYN)
	f.lastAckSet = true
	f.lastAck = ack
	f.lastAckTime = seg.TS
	f.lastFlags = cl

	if cl&tcp.ClassRetransmission != 0 {
		ds.Retrans++
	}
	if cl&tcp.ClassOutOfOrder != 0 {
		ds.OutOfOrder++
	}
	if cl&tcp.ClassDupAck != 0 {
		ds.DupAcks++
	}
	info.Class |= cl
}

// analyzeFwd is the first part of the analysis, up to Wireshark's finished_fwd label.
func (t *Tracker) analyzeFwd(c *Conn, f, r *analysis, ps *DirState, seg *decode.Segment, seglen uint32, sfr bool) tcp.Class {
	var cl tcp.Class
	seq, ack := seg.Seq, seg.Ack
	win := uint32(seg.Window)
	atNext := f.nextSeqSet && seq == f.nextSeq

	// ZERO WINDOW PROBE
	if seglen == 1 && atNext && r.windowSet && r.window == 0 {
		return cl | tcp.ClassZeroWindowProbe
	}
	// ZERO WINDOW
	if win == 0 && !sfr {
		cl |= tcp.ClassZeroWindow
	}
	// LOST PACKET
	if f.nextSeqSet && f.nextSeq.LessThan(seq) && !seg.Flags.Has(tcp.RST) {
		cl |= tcp.ClassPreviousSegmentNotCaptured
	}
	// KEEP ALIVE
	if seglen <= 1 && f.nextSeqSet && seq == f.nextSeq.Add(^uint32(0)) && !sfr {
		cl |= tcp.ClassKeepAlive
	}
	sameAck := seglen == 0 && atNext && f.lastAckSet && ack == f.lastAck && !sfr
	// WINDOW UPDATE
	if sameAck && win != 0 && f.windowSet && win != f.window {
		cl |= tcp.ClassWindowUpdate
	}
	// WINDOW FULL
	if seglen > 0 && ps.SawSYN && r.lastAckSet && r.windowSet && !sfr {
		shift := uint(0)
		if c.wsOK && !r.lastWasSYN {
			shift = uint(ps.WScale)
		}
		if seq.Add(seglen) == r.lastAck.Add(r.window<<shift) {
			cl |= tcp.ClassWindowFull
		}
	}
	sameWin := sameAck && f.windowSet && win == f.window
	// KEEP ALIVE ACK
	if sameWin && win != 0 && r.lastFlags&tcp.ClassKeepAlive != 0 {
		return cl | tcp.ClassKeepAliveAck
	}
	// ZERO WINDOW PROBE ACK
	if sameWin && win == 0 && r.lastFlags&tcp.ClassZeroWindowProbe != 0 {
		return cl | tcp.ClassZeroWindowProbeAck
	}
	// DUPLICATE ACK
	if sameWin && win != 0 {
		if f.dupAckNum == -1 { // neutralise an acked_unseen_segment marker
			f.dupAckNum = 1
		} else {
			f.dupAckNum++
		}
		cl |= tcp.ClassDupAck
	}
	return cl
}

// oooThreshold is Wireshark's out-of-order window: its initial RTT (from the most recent
// SYN to the first segment with ACK and without SYN) when known, else 3 ms.
func (t *Tracker) oooThreshold(c *Conn) int64 {
	if c.irtt > 0 {
		return c.irtt
	}
	return defaultOOOThreshold
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
