package analysis

import (
	"slices"
	"strconv"
	"strings"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Kind names what a finding of Diagnose is about; it is report.Finding.Kind.
type Kind string

func (k Kind) String() string { return string(k) }

// Finding kinds of Diagnose.
const (
	KindHandshake      Kind = "handshake"
	KindKeepAlive      Kind = "keepalive_reuse"
	KindNoKeepAlive    Kind = "no_keepalive"
	KindPipelining     Kind = "pipelining"
	KindParallel       Kind = "parallel_conns"
	KindSlowStart      Kind = "slow_start"
	KindNagle          Kind = "nagle_delay"
	KindDelayedAck     Kind = "delayed_ack"
	KindRetransmission Kind = "retransmission"
	KindZeroWindow     Kind = "zero_window"
	KindGap            Kind = "gap"
	KindHalfClose      Kind = "half_close"
	KindReset          Kind = "reset"
	KindTimeWait       Kind = "time_wait"
	KindTruncated      Kind = "log_truncated"
)

// Severity is report.Finding.Severity.
type Severity string

// Severities of findings.
const (
	SevInfo Severity = "info" // worth knowing
	SevWarn Severity = "warn" // costs time or data
)

// maxDetailed bounds the findings of one repeated kind (retransmissions, zero windows);
// the rest are counted in one more finding.
const maxDetailed = 3

// Diagnose returns findings about how connection ci was managed, in plain words, in a
// fixed order: handshake, keep-alive use, pipelining, parallel connections, slow start,
// Nagle and delayed ACK stalls, retransmissions, zero windows, capture gaps, half-close,
// reset, and who holds TIME_WAIT. Inferences (delayed ACK, Nagle, slow start) are worded
// as such: a capture shows packets, not socket options.
func Diagnose(ci *ConnInfo, segs []SegRecord, xs []ExchangeInfo) []report.Finding {
	f := findFacts(ci, segs, xs)
	d := &diag{ci: ci, segs: segs, xs: xs, f: f}
	d.handshake()
	d.keepAlive()
	d.pipelining()
	if ci.ParallelConns > 1 {
		d.add(0, KindParallel, SevInfo, strconv.Itoa(ci.ParallelConns)+" connections to the same server overlapped in time (this one included): the client opened parallel connections to fetch in parallel, each paying its own handshake and slow start")
	}
	d.slowStart()
	d.nagle()
	d.delayedAck()
	d.retransmissions()
	d.zeroWindow()
	d.gaps()
	d.halfClose()
	d.reset()
	d.timeWait()
	if ci.Truncated {
		d.add(0, KindTruncated, SevWarn, "the segment log of this connection filled up after "+strconv.Itoa(len(segs))+" segments: findings cover only those")
	}
	return d.out
}

type diag struct {
	ci   *ConnInfo
	segs []SegRecord
	xs   []ExchangeInfo
	f    *connFacts
	out  []report.Finding
}

func (d *diag) add(frame uint64, kind Kind, sev Severity, text string) {
	d.out = append(d.out, report.Finding{Conn: d.ci.ID, Frame: frame, Kind: string(kind), Severity: string(sev), Text: text})
}

func (d *diag) frame(i int) uint64 {
	if i < 0 || i >= len(d.segs) {
		return 0
	}
	return d.segs[i].Frame
}

func (d *diag) handshake() {
	f, segs := d.f, d.segs
	if f.synIdx < 0 {
		if len(segs) > 0 {
			d.add(d.frame(0), KindHandshake, SevInfo, "the handshake was not captured (the connection was already open when the capture started): the round-trip time and the options negotiated are unknown")
		}
		return
	}
	syns := 0
	for i := range segs {
		if segs[i].Flags.Has(tcp.SYN) && !segs[i].Flags.Has(tcp.ACK) {
			syns++
		}
	}
	if syns > 1 {
		t := "the SYN was sent " + strconv.Itoa(syns) + " times"
		if f.synAck >= 0 {
			t += "; the SYN-ACK came " + fmtDur(segs[f.synAck].TS-segs[f.synIdx].TS) + " after the first SYN"
		}
		d.add(d.frame(f.synIdx), KindHandshake, SevWarn, t+": a lost SYN costs the initial retransmission timeout (1 s on Linux) before the connection can even start")
	}
	if f.synAck < 0 || f.hsAck < 0 {
		d.add(d.frame(f.synIdx), KindHandshake, SevInfo, "the three-way handshake was not seen whole (no SYN-ACK or no final ACK)")
		return
	}
	t := "TCP handshake (SYN, SYN-ACK, ACK) took " + fmtDur(f.rtt) + " from SYN to ACK: about one round trip between client and server, paid before the first request could be sent"
	var opts []string
	if d.ci.MSS[0] > 0 || d.ci.MSS[1] > 0 {
		opts = append(opts, "MSS "+strconv.Itoa(d.ci.MSS[0])+" (client) / "+strconv.Itoa(d.ci.MSS[1])+" (server)")
	}
	if d.ci.WScale[0] >= 0 && d.ci.WScale[1] >= 0 && (d.ci.WScale[0] > 0 || d.ci.WScale[1] > 0) {
		opts = append(opts, "window scale "+strconv.Itoa(d.ci.WScale[0])+" / "+strconv.Itoa(d.ci.WScale[1]))
	}
	if len(opts) > 0 {
		t += "; " + strings.Join(opts, ", ")
	}
	d.add(d.frame(f.synIdx), KindHandshake, SevInfo, t)
}

func (d *diag) keepAlive() {
	xs := d.xs
	reqs := 0
	for k := range xs {
		if xs[k].HasReq {
			reqs++
		}
	}
	closed := d.ci.Close == "fin" || d.ci.Close == "rst"
	switch {
	case reqs > 1:
		fr := uint64(0)
		if len(d.f.req) > 1 {
			fr = d.frame(d.f.req[1].start)
		}
		d.add(fr, KindKeepAlive, SevInfo, strconv.Itoa(reqs)+" requests on one connection (keep-alive): one handshake served "+strconv.Itoa(reqs)+" exchanges, saving "+plural(reqs-1, "connection setup", "connection setups")+" (a round trip each, and a fresh slow start)")
	case reqs == 1 && closed:
		x := &xs[0]
		var why string
		switch {
		case !x.KeepAlive && x.HTTP.Version == "HTTP/1.0":
			why = "HTTP/1.0 without keep-alive"
		case !x.KeepAlive && x.HasResp:
			why = "the response did not allow the connection to persist, e.g. Connection: close"
		default:
			why = "keep-alive was allowed, but the " + d.closerName() + " closed it"
		}
		d.add(d.frame(d.f.req[0].start), KindNoKeepAlive, SevInfo, "the connection carried one exchange and was then closed ("+why+"): a next request to this server needs a new connection and handshake")
	}
}

func (d *diag) closerName() string {
	if c := d.f.closer(); c >= 0 {
		return sideName(uint8(c))
	}
	switch d.ci.Closer {
	case 0:
		return "client"
	case 1:
		return "server"
	}
	return "peer"
}

// pipelining finds the deepest point where requests were sent while earlier responses
// were incomplete, in capture order.
func (d *diag) pipelining() {
	f := d.f
	best, bestK := 1, -1
	for j := range f.req {
		rs := f.req[j].start
		if rs < 0 {
			continue
		}
		depth := 1
		for i := 0; i < j; i++ {
			if e := f.resp[i].end; e >= 0 && e > rs {
				depth++
			}
		}
		if depth > best {
			best, bestK = depth, j
		}
	}
	if bestK < 0 {
		return
	}
	t := "requests were pipelined, depth " + strconv.Itoa(best) + ": request " + strconv.Itoa(bestK+1) + " was sent while "
	if best == 2 {
		t += "1 earlier response was"
	} else {
		t += strconv.Itoa(best-1) + " earlier responses were"
	}
	t += " still incomplete; responses come back in request order, so a slow response holds up the ones behind it (head-of-line blocking)"
	d.add(d.frame(f.req[bestK].start), KindPipelining, SevInfo, t)
}

// slowStart looks at the first response longer than 10 segments (slow start concerns a
// connection's fresh congestion window) and groups its data segments into flights: runs
// separated by an idle time of at least half the handshake RTT.
func (d *diag) slowStart() {
	rtt := d.f.rtt
	reported := false
	for k := range d.xs {
		x := &d.xs[k]
		if !x.HasResp || d.f.resp[k].start < 0 {
			continue
		}
		var idx []int
		d.f.idx.overlapping(dirS2C, int64(x.RespStart), int64(x.RespEnd), func(i int) {
			if !d.segs[i].isRetrans() {
				idx = append(idx, i)
			}
		})
		slices.Sort(idx) // capture order
		if len(idx) <= 10 {
			continue
		}
		if reported {
			break // slow start concerns a fresh window: only the first large response
		}
		reported = true
		n := strconv.Itoa(x.HTTP.Depth)
		if x.HTTP.Depth == 0 {
			n = strconv.Itoa(k + 1)
		}
		if rtt < 1e6 {
			if rtt > 0 {
				d.add(d.frame(idx[0]), KindSlowStart, SevInfo, "response "+n+" took "+strconv.Itoa(len(idx))+" segments; with a round trip of "+fmtDur(rtt)+" the sender's flights cannot be told apart in time (slow start is invisible on such a short path)")
			}
			continue
		}
		var flights []int
		cur := 1
		for a := 1; a < len(idx); a++ {
			if d.segs[idx[a]].TS-d.segs[idx[a-1]].TS >= rtt/2 {
				flights = append(flights, cur)
				cur = 0
			}
			cur++
		}
		flights = append(flights, cur)
		shown := flights
		if len(shown) > 6 {
			shown = shown[:6]
		}
		parts := make([]string, len(shown))
		for i, v := range shown {
			parts[i] = strconv.Itoa(v)
		}
		t := "response " + n + ": " + strconv.Itoa(len(idx)) + " data segments in " + plural(len(flights), "flight", "flights") + " (bursts separated by at least half a round trip)"
		if len(flights) > 1 {
			t += ": " + strings.Join(parts, ", ")
			if len(flights) > len(shown) {
				t += ", …"
			}
			t += " segments"
		}
		// Complete flights are all but the last (cut short by the end of the response).
		full := flights[:len(flights)-1]
		doubling := len(full) >= 2
		for i := 1; i < len(full); i++ {
			if float64(full[i]) < 1.5*float64(full[i-1]) {
				doubling = false
			}
		}
		switch {
		case doubling:
			t += "; growing about twice per round trip suggests slow start (initial window about " + strconv.Itoa(full[0]) + " segments): a fresh connection cannot use the path's full bandwidth at once"
		case len(flights) == 1:
			t += "; all sent in one burst: the congestion window was already large enough (or the capture is on the sender with segmentation offload)"
		default:
			t += "; not a clean doubling: the window was limited by the receiver, the application, or losses"
		}
		d.add(d.frame(idx[0]), KindSlowStart, SevInfo, t)
	}
}

// nagle finds small data segments sent right after (< 1 ms) a pure ACK that acknowledged
// the previous small segment of the same sender, which had waited more than 30 ms beyond
// the round trip: the pattern of Nagle's algorithm holding a small write back until the
// outstanding small segment is acknowledged (seen best in a capture taken on the sender).
// Excluded, because the sender was then waiting for its peer rather than for Nagle: a
// segment that starts a new message, and one sent after the peer sent data.
func (d *diag) nagle() {
	segs := d.segs
	var prev [2]int = [2]int{-1, -1} // last original data segment per direction
	var newAck [2]int = [2]int{-1, -1}
	var ackVal, ackBefore [2]int64
	var ackSet [2]bool
	var maxEnd [2]int64
	mss := [2]int{senderMSS(d.ci, 0, segs), senderMSS(d.ci, 1, segs)}
	// Offsets where a message starts: a small segment there waited for the application
	// (a new request after a response), not for Nagle.
	starts := [2]map[int64]bool{{}, {}}
	for k := range d.xs {
		x := &d.xs[k]
		if x.HasReq {
			starts[dirC2S][int64(x.ReqStart)] = true
		}
		if x.HasResp {
			starts[dirS2C][int64(x.RespStart)] = true
		}
	}
	peerData := [2]int{-1, -1} // index of the last data segment sent by each direction
	count, first, firstText := 0, uint64(0), ""
	for i := range segs {
		s := &segs[i]
		dr, peer := s.Dir&1, (s.Dir&1)^1
		if s.Len > 0 && !s.isRetrans() && !s.Flags.Has(tcp.SYN) {
			if p := prev[dr]; p >= 0 && s.Len < mss[dr] && segs[p].Len < mss[dr] && s.Off == segs[p].end() {
				if a := newAck[peer]; a > p && segs[a].isPureAck() && ackVal[peer] >= segs[p].end() && ackBefore[peer] < segs[p].end() &&
					s.TS-segs[a].TS < 1e6 && s.TS-segs[p].TS > 30e6 && s.TS-segs[p].TS-d.f.rtt >= 30e6 &&
					peerData[peer] < p && !starts[dr][s.Off] {
					count++
					if count == 1 {
						first = s.Frame
						firstText = "frame " + strconv.FormatUint(s.Frame, 10) + " (" + fmtBytes(int64(s.Len)) + " bytes) was sent " +
							fmtDur(s.TS-segs[a].TS) + " after the ACK (frame " + strconv.FormatUint(segs[a].Frame, 10) +
							") of the previous small segment (frame " + strconv.FormatUint(segs[p].Frame, 10) + "), " +
							fmtDur(s.TS-segs[p].TS) + " after that segment"
					}
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
	if count == 0 {
		return
	}
	t := firstText + ": this suggests Nagle's algorithm held the small write until the outstanding small segment was acknowledged; with delayed ACK on the peer each such write waits tens of milliseconds (TCP_NODELAY on the sender avoids it)"
	if count > 1 {
		t += "; " + strconv.Itoa(count) + " such stalls in this connection"
	}
	d.add(first, KindNagle, SevWarn, t)
}

func (d *diag) delayedAck() {
	st := newAckState()
	var delays [2][]int64
	var first [2]int
	first[0], first[1] = -1, -1
	for i := range d.segs {
		if delay, ok := st.delayedAck(d.ci, d.f, d.segs, i); ok {
			dr := d.segs[i].Dir & 1
			if first[dr] < 0 {
				first[dr] = i
			}
			delays[dr] = append(delays[dr], delay)
		}
		st.update(d.segs, i)
	}
	for dr := range uint8(2) {
		ds := delays[dr]
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		fr := strconv.FormatUint(d.segs[first[dr]].Frame, 10)
		var t string
		if len(ds) == 1 {
			t = "1 ACK-only segment from the " + sideName(dr) + " (frame " + fr + ") came " + fmtDur(ds[0]) + " after the single data segment it acknowledged"
		} else {
			t = strconv.Itoa(len(ds)) + " ACK-only segments from the " + sideName(dr) + " (first: frame " + fr + ") came " + fmtDur(ds[0]) +
				" to " + fmtDur(ds[len(ds)-1]) + " (median " + fmtDur(ds[len(ds)/2]) + ") after the single data segment each acknowledged"
		}
		t += ": this suggests delayed ACK (the receiver waits, 40 ms at least on Linux and up to 200 ms on Windows, hoping to piggyback the ACK on data)"
		d.add(d.segs[first[dr]].Frame, KindDelayedAck, SevInfo, t)
	}
}

func (d *diag) retransmissions() {
	segs := d.segs
	n := 0
	var bytes int64
	for i := range segs {
		s := &segs[i]
		if !s.isRetrans() || s.Len == 0 {
			continue
		}
		n++
		bytes += int64(s.Len)
		if n > maxDetailed {
			continue
		}
		t := "frame " + strconv.FormatUint(s.Frame, 10) + ": the " + sideName(s.Dir) + " retransmitted " + fmtBytes(int64(s.Len)) + " bytes (seq " + strconv.FormatUint(uint64(s.Seq), 10) + ")"
		o := d.f.idx.original(i)
		if o < 0 {
			t += "; the original was not captured"
		} else {
			delay := s.TS - segs[o].TS
			dups := dupAcksBetween(segs, o, i)
			t += ", " + fmtDur(delay) + " after frame " + strconv.FormatUint(segs[o].Frame, 10) + " first sent them"
			switch {
			case s.Class.Has(tcp.ClassSpuriousRetransmission):
				t += ": spurious, the data had already been acknowledged"
			case s.Class.Has(tcp.ClassFastRetransmission) || dups >= 3:
				t += "; it followed " + plural(dups, "duplicate ACK", "duplicate ACKs") + ": a fast retransmit (the receiver signalled the loss)"
			case delay >= 200e6:
				t += "; no duplicate ACK came in between: a retransmission timeout (RTO; at least 200 ms on Linux)"
			default:
				t += "; neither a timeout (under 200 ms) nor a fast retransmit (" + plural(dups, "duplicate ACK", "duplicate ACKs") + " before it): perhaps a tail loss probe, an early retransmit, or a duplicated packet"
			}
		}
		d.add(s.Frame, KindRetransmission, SevWarn, t)
	}
	if n > maxDetailed {
		d.add(0, KindRetransmission, SevWarn, strconv.Itoa(n)+" retransmissions in all ("+fmtBytes(bytes)+" bytes sent again)")
	}
}

func (d *diag) zeroWindow() {
	segs := d.segs
	n := 0
	for i := range segs {
		s := &segs[i]
		if !s.Class.Has(tcp.ClassZeroWindow) {
			continue
		}
		// Only the first of consecutive zero-window segments of one sender.
		if p := prevOfDir(segs, i); p >= 0 && segs[p].Class.Has(tcp.ClassZeroWindow) {
			continue
		}
		n++
		if n > maxDetailed {
			continue
		}
		t := "frame " + strconv.FormatUint(s.Frame, 10) + ": the " + sideName(s.Dir) + " advertised a zero window: its receive buffer was full (the application was not reading fast enough), so the " + sideName(s.Dir^1) + " had to stop sending"
		for j := i + 1; j < len(segs); j++ {
			if o := &segs[j]; o.Dir == s.Dir && o.Win > 0 && !o.Flags.Has(tcp.RST) {
				t += " until frame " + strconv.FormatUint(o.Frame, 10) + " reopened it " + fmtDur(o.TS-s.TS) + " later"
				break
			}
		}
		d.add(s.Frame, KindZeroWindow, SevWarn, t)
	}
	if n > maxDetailed {
		d.add(0, KindZeroWindow, SevWarn, strconv.Itoa(n)+" zero-window episodes in all")
	}
}

func prevOfDir(segs []SegRecord, i int) int {
	for j := i - 1; j >= 0; j-- {
		if segs[j].Dir == segs[i].Dir {
			return j
		}
	}
	return -1
}

func (d *diag) gaps() {
	var notCaptured, ackedUnseen int
	first := uint64(0)
	for i := range d.segs {
		s := &d.segs[i]
		if s.Class.Has(tcp.ClassPreviousSegmentNotCaptured) {
			notCaptured++
			if first == 0 {
				first = s.Frame
			}
		}
		if s.Class.Has(tcp.ClassAckedUnseenSegment) {
			ackedUnseen++
		}
	}
	var ks []string
	for k := range d.xs {
		if d.xs[k].HTTP.Verdict == "gap" {
			ks = append(ks, strconv.Itoa(d.xs[k].HTTP.Depth))
		}
	}
	if notCaptured == 0 && ackedUnseen == 0 && len(ks) == 0 {
		return
	}
	var t string
	if len(ks) > 0 {
		t = "bytes of exchange " + strings.Join(ks, ", ") + " are missing from the capture"
	} else {
		t = "bytes are missing from the capture"
	}
	if notCaptured > 0 {
		t += "; " + plural(notCaptured, "segment follows", "segments follow") + " a hole in the sequence space"
	}
	if ackedUnseen > 0 {
		t += "; " + plural(ackedUnseen, "ACK acknowledges", "ACKs acknowledge") + " data the capture never saw, so the receiver did get it: the capture dropped packets, not the network"
	}
	d.add(first, KindGap, SevWarn, t)
}

func (d *diag) halfClose() {
	for dr := range uint8(2) {
		fi := d.f.firstFIN[dr]
		if fi < 0 {
			continue
		}
		var n int64
		first := -1
		for j := fi + 1; j < len(d.segs); j++ {
			if s := &d.segs[j]; s.Dir == dr^1 && s.Len > 0 && !s.isRetrans() {
				n += int64(s.Len)
				if first < 0 {
					first = j
				}
			}
		}
		if n > 0 {
			d.add(d.frame(first), KindHalfClose, SevInfo, "half-close: after the "+sideName(dr)+"'s FIN (frame "+strconv.FormatUint(d.segs[fi].Frame, 10)+
				") the "+sideName(dr^1)+" still sent "+fmtBytes(n)+" bytes; a FIN only ends one direction, the "+sideName(dr)+" kept receiving")
		}
	}
}

func (d *diag) reset() {
	i := d.f.rst
	if i < 0 {
		return
	}
	s := &d.segs[i]
	who := sideName(s.Dir)
	switch {
	case d.f.synAck < 0 && d.f.synIdx >= 0 && s.Dir == dirS2C:
		d.add(s.Frame, KindReset, SevWarn, "the server answered the SYN with RST: connection refused (nothing listening on the port, or a firewall)")
	case d.f.firstFIN[0] >= 0 && d.f.firstFIN[1] >= 0:
		d.add(s.Frame, KindReset, SevInfo, "the "+who+" sent RST after the FIN exchange: the connection ends without TIME_WAIT on that side (some stacks and load balancers close this way)")
	default:
		d.add(s.Frame, KindReset, SevWarn, "the "+who+" reset the connection (RST): an abortive close; data not yet delivered is discarded and no TIME_WAIT follows (often unread data at close, a crash, a timeout in a proxy, or SO_LINGER 0)")
	}
}

func (d *diag) timeWait() {
	c := d.f.closer()
	if c < 0 {
		if d.ci.Close == "open" || d.ci.Close == "timeout" || d.ci.Close == "evicted" || d.ci.Close == "" {
			if len(d.segs) > 0 && d.f.rst < 0 {
				d.add(0, KindTimeWait, SevInfo, "no FIN was seen: the connection was still open at the end of the capture (or went idle)")
			}
		}
		return
	}
	fi := d.f.firstFIN[c]
	peer := uint8(c) ^ 1
	t := "the " + sideName(uint8(c)) + " sent the first FIN (frame " + strconv.FormatUint(d.segs[fi].Frame, 10) + "): an active close, so the " +
		sideName(uint8(c)) + " holds the connection in TIME_WAIT for 2*MSL (60 s on Linux) after the last ACK, and this 4-tuple cannot be reused meanwhile; the " +
		sideName(peer) + " closed passively"
	if pf := d.f.firstFIN[peer]; pf < 0 {
		t += " (its FIN was not seen)"
	}
	if d.f.rst > fi {
		t += "; an RST followed (see the reset finding), so TIME_WAIT may have been cut short or skipped"
	}
	if c == 1 {
		t += "; servers that close first accumulate TIME_WAIT sockets under load"
	}
	d.add(d.segs[fi].Frame, KindTimeWait, SevInfo, t)
}
