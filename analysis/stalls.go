package analysis

import "github.com/segscope/segscope/tcp"

// One definition each of the patterns that both Ladder and Diagnose show: Nagle-held
// writes, half-close data.

// nagleStall is one small write that Nagle's algorithm appears to have held: held is the
// data segment sent right after ack, the peer's ACK of the previous small segment prev.
type nagleStall struct {
	held, ack, prev int // indices into segs
}

// findNagle finds small data segments sent right after (< 5 ms) a pure ACK that
// acknowledged the previous small segment of the same sender, which had waited more than
// 30 ms beyond the round trip: the pattern of Nagle's algorithm holding a small write
// back until the outstanding small segment is acknowledged (seen best in a capture taken
// on the sender). Excluded, because the sender was then waiting for its peer rather than
// for Nagle: a segment that starts a new message, and one sent after the peer sent data.
func findNagle(ci *ConnInfo, f *connFacts, segs []SegRecord, xs []ExchangeInfo) []nagleStall {
	var out []nagleStall
	prev := [2]int{-1, -1} // last original data segment per direction
	newAck := [2]int{-1, -1}
	var ackVal, ackBefore [2]int64
	var ackSet [2]bool
	var maxEnd [2]int64
	mss := [2]int{senderMSS(ci, 0, segs), senderMSS(ci, 1, segs)}
	// Offsets where a message starts: a small segment there waited for the application
	// (a new request after a response), not for Nagle.
	starts := [2]map[int64]bool{{}, {}}
	for k := range xs {
		x := &xs[k]
		if x.HasReq {
			starts[dirC2S][int64(x.ReqStart)] = true
		}
		if x.HasResp {
			starts[dirS2C][int64(x.RespStart)] = true
		}
	}
	peerData := [2]int{-1, -1} // index of the last data segment sent by each direction
	for i := range segs {
		s := &segs[i]
		dr, peer := s.Dir&1, (s.Dir&1)^1
		if s.Len > 0 && !s.isRetrans() && !s.Flags.Has(tcp.SYN) {
			if p := prev[dr]; p >= 0 && s.Len < mss[dr] && segs[p].Len < mss[dr] && s.Off == segs[p].end() {
				if a := newAck[peer]; a > p && segs[a].isPureAck() && ackVal[peer] >= segs[p].end() && ackBefore[peer] < segs[p].end() &&
					s.TS-segs[a].TS < 5e6 && s.TS-segs[p].TS > 30e6 && s.TS-segs[p].TS-f.rtt >= 30e6 &&
					peerData[peer] < p && !starts[dr][s.Off] {
					out = append(out, nagleStall{held: i, ack: a, prev: p})
				}
			}
			prev[dr] = i
			maxEnd[dr] = max(maxEnd[dr], s.end())
		}
		if s.Len > 0 {
			peerData[dr] = i
		}
		if s.Flags.Has(tcp.ACK) && !s.Flags.Has(tcp.SYN) {
			ao := ackOff(s.Ack, maxEnd[peer])
			if !ackSet[dr] || ao > ackVal[dr] {
				ackBefore[dr] = ackVal[dr]
				if !ackSet[dr] {
					ackBefore[dr] = -1 << 62
				}
				ackVal[dr], ackSet[dr], newAck[dr] = ao, true, i
			}
		}
	}
	return out
}

// halfClose is the data one side sent after the peer's FIN and before its own FIN: a
// half-close (RFC 9293 §3.6), the one definition Ladder and Diagnose use. A
// retransmission of bytes sent before the peer's FIN is not new data and does not count.
type halfClose struct {
	first int   // index of the first such segment, -1 none
	bytes int64 // new bytes sent
}

func (f *connFacts) halfClosed(segs []SegRecord, d uint8) halfClose {
	h := halfClose{first: -1}
	pf := f.firstFIN[d^1]
	if pf < 0 {
		return h
	}
	own := f.firstFIN[d]
	var sent int64 // highest offset d had sent before the peer's FIN
	for j := 0; j < pf; j++ {
		if s := &segs[j]; s.Dir&1 == d && s.Len > 0 {
			sent = max(sent, s.end())
		}
	}
	for j := pf + 1; j < len(segs); j++ {
		s := &segs[j]
		if s.Dir&1 != d {
			continue
		}
		if own >= 0 && j > own {
			break
		}
		if s.Len == 0 || s.end() <= sent {
			continue
		}
		if h.first < 0 {
			h.first = j
		}
		h.bytes += s.end() - max(s.Off, sent)
		sent = s.end()
	}
	return h
}

// holes returns the data segments that arrived after a hole in their direction's
// sequence space (each starts beyond everything sent before it), and how many of those
// holes later segments filled completely.
func (f *connFacts) holes(segs []SegRecord) (at []int, filled int) {
	var high [2]int64
	var seen [2]bool
	type hole struct {
		dir    uint8
		lo, hi int64
	}
	var hs []hole
	for i := range segs {
		s := &segs[i]
		if s.Len == 0 || s.Flags.Has(tcp.SYN) {
			continue
		}
		d := s.Dir & 1
		if seen[d] && s.Off > high[d] {
			at = append(at, i)
			hs = append(hs, hole{d, high[d], s.Off})
		}
		if !seen[d] || s.end() > high[d] {
			high[d], seen[d] = s.end(), true
		}
	}
	for _, h := range hs {
		// Covered when the union of the direction's segments spans [lo, hi).
		need := h.lo
		f.idx.overlapping(h.dir, h.lo, h.hi, func(i int) {
			if s := &segs[i]; s.Off <= need && s.end() > need {
				need = s.end()
			}
		})
		if need >= h.hi {
			filled++
		}
	}
	return at, filled
}
