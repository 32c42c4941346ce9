package analysis

import (
	"strconv"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Delayed-ACK window: an ACK-only segment that acknowledges data this long after the data
// arrived (beyond one round trip) suggests the receiver's delayed-ACK timer fired. Linux
// waits at least 40 ms (less in quick-ACK mode early in a connection), Windows 200 ms; RFC
// 9293 caps the delay at 500 ms.
const (
	delAckMin = 30e6
	delAckMax = 500e6
)

// msgMark is where a request or response starts or ends in the segment list.
type msgMark struct {
	start, end int // indices into segs; -1 when not found
}

// connFacts are per-segment facts shared by Ladder and Diagnose, from one pass.
type connFacts struct {
	idx      *offIndex
	rtt      int64
	req      []msgMark // per exchange
	resp     []msgMark
	firstFIN [2]int // index of the first FIN sent by each direction, -1 none
	rst      int    // index of the first RST, -1 none
	synIdx   int
	synAck   int
	hsAck    int // the client's ACK that completes the handshake, -1 none
}

func findFacts(ci *ConnInfo, segs []SegRecord, xs []ExchangeInfo) *connFacts {
	f := &connFacts{idx: newOffIndex(segs), rtt: ci.handshakeRTT(), firstFIN: [2]int{-1, -1}, rst: -1, synIdx: -1, synAck: -1, hsAck: -1}
	f.req = make([]msgMark, len(xs))
	f.resp = make([]msgMark, len(xs))
	for k := range xs {
		x := &xs[k]
		f.req[k], f.resp[k] = msgMark{-1, -1}, msgMark{-1, -1}
		if x.HasReq && x.ReqEnd > x.ReqStart {
			f.req[k] = msgMark{f.idx.at(dirC2S, int64(x.ReqStart)), f.idx.at(dirC2S, int64(x.ReqEnd-1))}
		}
		if x.HasResp && x.RespEnd > x.RespStart {
			f.resp[k] = msgMark{f.idx.at(dirS2C, int64(x.RespStart)), f.idx.at(dirS2C, int64(x.RespEnd-1))}
		}
	}
	for i := range segs {
		s := &segs[i]
		switch {
		case s.Flags.Has(tcp.SYN) && !s.Flags.Has(tcp.ACK) && f.synIdx < 0:
			f.synIdx = i
		case s.Flags.Has(tcp.SYN) && s.Flags.Has(tcp.ACK) && f.synAck < 0:
			f.synAck = i
		case f.synAck >= 0 && f.hsAck < 0 && s.Dir == dirC2S && s.Flags.Has(tcp.ACK) && !s.Flags.Any(tcp.SYN|tcp.RST):
			f.hsAck = i
		}
		if s.Flags.Has(tcp.FIN) && f.firstFIN[s.Dir&1] < 0 {
			f.firstFIN[s.Dir&1] = i
		}
		if s.Flags.Has(tcp.RST) && f.rst < 0 {
			f.rst = i
		}
	}
	if f.rtt == 0 && f.synIdx >= 0 && f.hsAck >= 0 {
		f.rtt = segs[f.hsAck].TS - segs[f.synIdx].TS
	}
	return f
}

// closer returns the direction that sent the first FIN, or -1.
func (f *connFacts) closer() int {
	a, b := f.firstFIN[0], f.firstFIN[1]
	switch {
	case a >= 0 && (b < 0 || a < b):
		return 0
	case b >= 0:
		return 1
	}
	return -1
}

// ackState follows, per direction, the highest stream offset of the peer acknowledged so
// far and the last data segment sent, to tell what an ACK acknowledges.
type ackState struct {
	acked    [2]int64 // highest peer offset acked by dir (ack number as offset)
	ackedSet [2]bool
	lastData [2]int // index of the last data segment sent by dir, -1 none
	maxEnd   [2]int64
}

func newAckState() *ackState { return &ackState{lastData: [2]int{-1, -1}} }

// delayedAck reports, for pure ACK segs[i], whether it acknowledges new data after a delay
// typical of delayed ACK; delay is the time since the newest data segment it acknowledges
// arrived. It must be called before st.update(i).
func (st *ackState) delayedAck(ci *ConnInfo, f *connFacts, segs []SegRecord, i int) (delay int64, ok bool) {
	s := &segs[i]
	d, peer := s.Dir&1, (s.Dir&1)^1
	j := st.lastData[peer]
	if !s.isPureAck() || j < 0 {
		return 0, false
	}
	ao := ackOff(s.Ack, st.maxEnd[peer])
	if st.ackedSet[d] && ao <= st.acked[d] {
		return 0, false // acknowledges nothing new
	}
	if ao < segs[j].end() {
		return 0, false // does not acknowledge the newest data
	}
	// Delayed ACK acknowledges a single segment: a second full segment is acked at once.
	newly := 0
	for k := j; k >= 0 && k > j-256; k-- {
		o := &segs[k]
		if o.Dir&1 != peer || o.Len == 0 {
			continue
		}
		if st.ackedSet[d] && o.end() <= st.acked[d] {
			break
		}
		newly++
	}
	if newly != 1 {
		return 0, false
	}
	delay = s.TS - segs[j].TS
	if delay < delAckMin || delay > delAckMax || delay-f.rtt < delAckMin {
		return delay, false
	}
	return delay, true
}

func (st *ackState) update(segs []SegRecord, i int) {
	s := &segs[i]
	d, peer := s.Dir&1, (s.Dir&1)^1
	if s.Len > 0 {
		st.lastData[d] = i
		if e := s.end(); e > st.maxEnd[d] {
			st.maxEnd[d] = e
		}
	}
	if s.Flags.Has(tcp.ACK) && !s.Flags.Has(tcp.SYN) {
		ao := ackOff(s.Ack, st.maxEnd[peer])
		if !st.ackedSet[d] || ao > st.acked[d] {
			st.acked[d], st.ackedSet[d] = ao, true
		}
	}
}

// Ladder returns one event per segment of the connection (capture order), annotated for
// people: the handshake and its RTT, where each request and response starts (and ends when
// it spans several segments), ACK-only segments that suggest delayed ACK, retransmissions,
// window updates and zero windows, the FIN exchange (who closes first and so holds
// TIME_WAIT), half-close and RST.
//
// The first event's first note names the endpoints: "client 10.0.0.1:40126, server
// 10.0.0.2:80" (report.Event has no endpoint fields).
//
// maxRows > 0 collapses, within a run of consecutive unannotated segments where one side
// sends data and the other only ACKs, the data segments beyond the first maxRows-2 (all
// but the last) into one event with Collapsed (data segments) and CollapsedBytes; its
// frame, time, seq are those of the first collapsed segment, its note names the frame
// range and the ACK-only segments folded into it.
func Ladder(ci *ConnInfo, segs []SegRecord, xs []ExchangeInfo, maxRows int) []report.Event {
	f := findFacts(ci, segs, xs)
	evs := make([]report.Event, 0, len(segs)+1)
	notes := make([][]string, len(segs))
	for k := range xs {
		x := &xs[k]
		n := strconv.Itoa(x.HTTP.Depth)
		if x.HTTP.Depth == 0 {
			n = strconv.Itoa(k + 1)
		}
		if r := f.req[k]; r.start >= 0 {
			t := x.HTTP.Method + " " + x.HTTP.URI + " (request " + n
			if r.end != r.start {
				t += ", " + fmtBytes(int64(x.ReqEnd-x.ReqStart)) + " bytes"
			}
			t += ")"
			if k > 0 && f.resp[k-1].end >= 0 && f.resp[k-1].end > r.start {
				t += ": sent before response " + strconv.Itoa(k) + " was complete (pipelined)"
			} else if k > 0 && xs[k-1].HasReq && !xs[k-1].HasResp {
				t += ": response " + strconv.Itoa(k) + " never came"
			}
			notes[r.start] = append(notes[r.start], t)
			if r.end > r.start {
				notes[r.end] = append(notes[r.end], "end of request "+n)
			}
		}
		if r := f.resp[k]; r.start >= 0 {
			t := strconv.Itoa(x.HTTP.Status)
			if x.HTTP.Reason != "" {
				t += " " + x.HTTP.Reason
			}
			t += " (response " + n + ", " + fmtBytes(int64(x.RespEnd-x.RespStart)) + " bytes)"
			notes[r.start] = append(notes[r.start], t)
			if r.end > r.start {
				notes[r.end] = append(notes[r.end], "end of response "+n)
			}
		}
	}

	st := newAckState()
	var finOff [2]int64
	var finSeen [2]bool
	var finAcked [2]bool
	halfNoted := false
	for i := range segs {
		s := &segs[i]
		d := s.Dir & 1
		peer := d ^ 1
		var ns []string
		if i == 0 && (ci.Client != "" || ci.Server != "") {
			ns = append(ns, "client "+ci.Client+", server "+ci.Server)
		}
		switch {
		case s.Flags.Has(tcp.SYN) && !s.Flags.Has(tcp.ACK):
			t := "handshake: SYN"
			if i != f.synIdx {
				t = "SYN retransmitted (after " + fmtDur(s.TS-segs[f.synIdx].TS) + ")"
			}
			if s.TCPOptions != "" {
				t += " [" + s.TCPOptions + "]"
			}
			ns = append(ns, t)
		case s.Flags.Has(tcp.SYN) && s.Flags.Has(tcp.ACK):
			t := "handshake: SYN-ACK"
			if i != f.synAck {
				t = "SYN-ACK retransmitted"
			} else if f.synIdx >= 0 {
				t += " (" + fmtDur(s.TS-segs[f.synIdx].TS) + " after the SYN)"
			}
			if s.TCPOptions != "" {
				t += " [" + s.TCPOptions + "]"
			}
			ns = append(ns, t)
		}
		if i == f.hsAck {
			t := "handshake complete"
			if f.rtt > 0 {
				t += " (RTT " + fmtDur(f.rtt) + ", SYN to ACK)"
			}
			ns = append(ns, t)
		}
		ns = append(ns, notes[i]...)
		if s.Len > 0 && !s.Flags.Has(tcp.SYN) {
			switch {
			case s.Class.Has(tcp.ClassSpuriousRetransmission):
				ns = append(ns, "spurious retransmission (data already acknowledged)")
			case s.isRetrans():
				ns = append(ns, retransNote(segs, f.idx, i))
			case s.Class.Has(tcp.ClassOutOfOrder):
				ns = append(ns, "out of order")
			}
			if finSeen[peer] && !halfNoted {
				halfNoted = true
				ns = append(ns, "half-close: the "+sideName(d)+" still sends after the "+sideName(peer)+"'s FIN")
			}
		}
		if s.Class.Has(tcp.ClassPreviousSegmentNotCaptured) {
			ns = append(ns, "previous segment not captured")
		}
		if s.Class.Has(tcp.ClassZeroWindow) {
			ns = append(ns, "zero window: the "+sideName(d)+"'s receive buffer is full")
		}
		if s.Class.Has(tcp.ClassZeroWindowProbe) {
			ns = append(ns, "zero window probe")
		}
		if s.Class.Has(tcp.ClassWindowUpdate) {
			ns = append(ns, "window update")
		}
		if s.Class.Has(tcp.ClassKeepAlive) {
			ns = append(ns, "TCP keep-alive")
		}
		if s.Class.Has(tcp.ClassDupAck) {
			ns = append(ns, "duplicate ACK")
		}
		if delay, ok := st.delayedAck(ci, f, segs, i); ok {
			ns = append(ns, "ACK after "+fmtDur(delay)+" (delayed ACK?)")
		}
		// ACK of the peer's FIN.
		if s.Flags.Has(tcp.ACK) && finSeen[peer] && !finAcked[peer] && ackOff(s.Ack, finOff[peer]) >= finOff[peer]+1 {
			finAcked[peer] = true
			if finSeen[d] && !s.Flags.Has(tcp.FIN) {
				t := "ACK of the " + sideName(peer) + "'s FIN: closed"
				if c := f.closer(); c >= 0 && f.rst < 0 {
					t += "; the " + sideName(uint8(c)) + " now holds TIME_WAIT"
				}
				ns = append(ns, t)
			}
		}
		if s.Flags.Has(tcp.FIN) {
			switch {
			case finSeen[d]:
				ns = append(ns, "FIN retransmitted")
			case !finSeen[peer]:
				ns = append(ns, "FIN: "+sideName(d)+" closes first -> "+sideName(d)+" holds TIME_WAIT")
			default:
				ns = append(ns, "FIN: "+sideName(d)+" closes too (passive close)")
			}
			if !finSeen[d] {
				finSeen[d], finOff[d] = true, s.end()
			}
		}
		if s.Flags.Has(tcp.RST) {
			t := "RST: the " + sideName(d) + " resets the connection"
			switch {
			case f.synAck < 0 && f.synIdx >= 0 && d == dirS2C:
				t = "RST: the server refuses the connection (nothing listens on the port?)"
			case finSeen[0] && finSeen[1]:
				t += " after the FIN exchange (no TIME_WAIT)"
			default:
				t += " (abortive close, no TIME_WAIT)"
			}
			ns = append(ns, t)
		}
		st.update(segs, i)
		evs = append(evs, report.Event{
			Conn:  ci.ID,
			Frame: s.Frame,
			Rel:   report.Duration(s.TS - ci.FirstTS),
			Dir:   dirName(d),
			Flags: s.Flags,
			Seq:   s.Seq,
			Ack:   s.Ack,
			Len:   s.Len,
			Win:   s.Win,
			Class: s.Class,
			Notes: ns,
		})
	}
	if ci.Truncated && len(evs) > 0 {
		last := &evs[len(evs)-1]
		last.Notes = append(last.Notes, "segment log full: later segments of this connection are not shown")
	}
	if maxRows > 0 {
		evs = collapse(evs, segs, maxRows)
	}
	return evs
}

// retransNote describes retransmission segs[i]: what it repeats and after how long.
func retransNote(segs []SegRecord, idx *offIndex, i int) string {
	s := &segs[i]
	o := idx.original(i)
	kind := "retransmission"
	if s.Class.Has(tcp.ClassFastRetransmission) {
		kind = "fast retransmission"
	}
	if o < 0 {
		return kind + " (original not captured)"
	}
	t := kind + " of frame " + strconv.FormatUint(segs[o].Frame, 10) + " (after " + fmtDur(s.TS-segs[o].TS)
	if n := dupAcksBetween(segs, o, i); n > 0 {
		t += ", " + plural(n, "duplicate ACK", "duplicate ACKs")
	}
	return t + ")"
}

// dupAcksBetween counts duplicate ACKs from the peer of segs[o]'s sender between o and i.
func dupAcksBetween(segs []SegRecord, o, i int) int {
	n := 0
	for j := o + 1; j < i; j++ {
		if segs[j].Dir != segs[o].Dir && segs[j].Class.Has(tcp.ClassDupAck) {
			n++
		}
	}
	return n
}

// plainEvent reports whether e is an unannotated data segment (data) or ACK-only segment
// (ack) without SYN, FIN or RST.
func plainEvent(e *report.Event, s *SegRecord) (data, ack bool) {
	if len(e.Notes) > 0 || s.Flags.Any(tcp.SYN|tcp.FIN|tcp.RST) {
		return false, false
	}
	if s.Len > 0 {
		return true, false
	}
	return false, s.Flags.Has(tcp.ACK)
}

// collapse folds long runs of data segments (see Ladder). evs[i] belongs to segs[i].
func collapse(evs []report.Event, segs []SegRecord, maxRows int) []report.Event {
	keep := max(maxRows-2, 1)
	out := make([]report.Event, 0, min(len(evs), 4*maxRows+16))
	i := 0
	for i < len(evs) {
		// A run starts at a plain data segment.
		data, _ := plainEvent(&evs[i], &segs[i])
		if !data {
			out = append(out, evs[i])
			i++
			continue
		}
		d := segs[i].Dir
		j := i
		var dataIdx []int
		for j < len(evs) {
			dt, ak := plainEvent(&evs[j], &segs[j])
			if dt && segs[j].Dir == d {
				dataIdx = append(dataIdx, j)
			} else if !(ak && segs[j].Dir != d) {
				break
			}
			j++
		}
		// The run is evs[i:j]; trailing ACKs stay in it.
		if len(dataIdx) <= maxRows || len(dataIdx) <= keep+1 {
			out = append(out, evs[i:j]...)
			i = j
			continue
		}
		first, last := dataIdx[keep], dataIdx[len(dataIdx)-2]
		out = append(out, evs[i:first]...)
		c := evs[first]
		c.Notes = nil
		c.Flags = 0
		c.Class = 0
		c.Len = 0
		acks := 0
		for k := first; k <= last; k++ {
			if segs[k].Dir == d {
				c.Collapsed++
				c.CollapsedBytes += int64(segs[k].Len)
			} else {
				acks++
			}
		}
		c.Ack, c.Win = evs[last].Ack, evs[last].Win
		note := "frames " + strconv.FormatUint(evs[first].Frame, 10) + "-" + strconv.FormatUint(evs[last].Frame, 10) +
			" over " + fmtDur(int64(evs[last].Rel-evs[first].Rel))
		if acks > 0 {
			note += ", with " + plural(acks, "ACK-only segment", "ACK-only segments") + " from the " + sideName(d^1)
		}
		c.Notes = []string{note}
		out = append(out, c)
		out = append(out, evs[last+1:j]...)
		i = j
	}
	return out
}
