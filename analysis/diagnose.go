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
	KindNoClose        Kind = "no_close"
	KindTupleReuse     Kind = "tuple_reuse"
	KindDNS            Kind = "dns_lookup"
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

// Diagnose returns findings about how connection ci was managed, in plain words, sorted
// by frame (findings about the whole connection last): handshake (and TCP Fast Open),
// keep-alive use, pipelining, slow start, Nagle and delayed ACK stalls, retransmissions,
// zero windows, capture gaps, half-close, reset, who holds TIME_WAIT, and reuse of the
// 4-tuple. Parallel connections concern several connections: see Parallel. Inferences (delayed ACK, Nagle, slow start) are worded
// as such: a capture shows packets, not socket options.
func Diagnose(ci *ConnInfo, segs []SegRecord, xs []ExchangeInfo) []report.Finding {
	f := findFacts(ci, segs, xs)
	d := &diag{ci: ci, segs: segs, xs: xs, f: f}
	d.dnsLookup()
	d.handshake()
	d.tlsFindings()
	d.keepAlive()
	d.pipelining()
	d.slowStart()
	d.nagle()
	d.delayedAck()
	d.retransmissions()
	d.zeroWindow()
	d.gaps()
	d.halfClose()
	d.reset()
	d.timeWait()
	d.reuse()
	if ci.Truncated {
		d.add(0, KindTruncated, SevWarn, "the segment log of this connection filled up after "+strconv.Itoa(len(segs))+" segments: findings cover only those")
	}
	sortFindings(d.out)
	return d.out
}

// sortFindings orders one connection's findings by frame, those about the whole
// connection (frame 0) last; equal frames keep the order of Diagnose's steps.
func sortFindings(fs []report.Finding) {
	slices.SortStableFunc(fs, func(a, b report.Finding) int {
		switch {
		case a.Frame == b.Frame:
			return 0
		case a.Frame == 0:
			return 1
		case b.Frame == 0:
			return -1
		case a.Frame < b.Frame:
			return -1
		}
		return 1
	})
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
	if tfo := tfoText(d.ci, d.f, segs); tfo != "" {
		t = "TCP handshake (SYN, SYN-ACK, ACK) took " + fmtDur(f.rtt) + " from SYN to ACK; " + tfo
	}
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
		if mss := senderMSS(d.ci, dirS2C, d.segs); mss > 0 {
			var b int64
			for _, i := range idx {
				b += int64(d.segs[i].Len)
			}
			if b <= 10*int64(mss) {
				continue
			}
		} else if len(idx) <= 10 {
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
				d.add(d.frame(idx[0]), KindSlowStart, SevInfo, "response "+n+" took "+plural(len(idx), "segment", "segments")+"; with a round trip of "+fmtDur(rtt)+" the sender's flights cannot be told apart in time (slow start is invisible on such a short path)")
			}
			continue
		}
		// Flights are counted in MSS-sized units: a capture taken on the sender with
		// segmentation offload (TSO/GSO) or on a receiver with GRO holds super-segments
		// of up to 64 KB, each standing for several segments on the wire.
		mss := senderMSS(d.ci, dirS2C, d.segs)
		units := func(i int) int {
			if mss <= 0 {
				return 1
			}
			return max(1, (d.segs[i].Len+mss-1)/mss)
		}
		merged, total := false, 0
		for _, i := range idx {
			if mss > 0 && d.segs[i].Len > mss {
				merged = true
			}
			total += units(i)
		}
		var flights []int
		cur := units(idx[0])
		for a := 1; a < len(idx); a++ {
			if d.segs[idx[a]].TS-d.segs[idx[a-1]].TS >= rtt/2 {
				flights = append(flights, cur)
				cur = 0
			}
			cur += units(idx[a])
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
		var t string
		if merged {
			t = "response " + n + ": " + strconv.Itoa(len(idx)) + " captured data segments, " + strconv.Itoa(total) + " MSS-sized segments (" + fmtBytes(int64(mss)) + " bytes) on the wire: segmentation offload merged segments (TSO/GSO on the sender, GRO on the receiver), so flights are counted in MSS units; " + plural(len(flights), "flight", "flights") + " (bursts separated by at least half a round trip)"
		} else {
			t = "response " + n + ": " + strconv.Itoa(len(idx)) + " data segments in " + plural(len(flights), "flight", "flights") + " (bursts separated by at least half a round trip)"
		}
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
			t += "; all sent in one burst: the congestion window was already large enough for the whole response"
			if merged {
				t += " (or offload hid the flights)"
			}
		case len(full) < 2:
			t += "; the response ended during the second flight, too soon to see whether the window doubles (the first flight held " + strconv.Itoa(full[0]) + " segments)"
		default:
			t += "; the complete flights did not double: the window was limited by the receiver, the application, or losses"
		}
		d.add(d.frame(idx[0]), KindSlowStart, SevInfo, t)
	}
}

// nagle states the Nagle stalls findNagle found.
func (d *diag) nagle() {
	stalls := findNagle(d.ci, d.f, d.segs, d.xs)
	if len(stalls) == 0 {
		return
	}
	segs := d.segs
	st := stalls[0]
	s, a, p := &segs[st.held], &segs[st.ack], &segs[st.prev]
	t := "frame " + strconv.FormatUint(s.Frame, 10) + " (" + fmtBytes(int64(s.Len)) + " bytes) was sent " +
		fmtDur(s.TS-a.TS) + " after the ACK (frame " + strconv.FormatUint(a.Frame, 10) +
		") of the previous small segment (frame " + strconv.FormatUint(p.Frame, 10) + "), " +
		fmtDur(s.TS-p.TS) + " after that segment: this suggests Nagle's algorithm held the small write until the outstanding small segment was acknowledged; with delayed ACK on the peer each such write waits tens of milliseconds (TCP_NODELAY on the sender avoids it)"
	if len(stalls) > 1 {
		var total int64
		for _, x := range stalls {
			total += segs[x.held].TS - segs[x.prev].TS
		}
		t += "; " + strconv.Itoa(len(stalls)) + " such stalls in this connection, " + fmtDur(total) + " in all"
	}
	d.add(s.Frame, KindNagle, SevWarn, t)
}

func (d *diag) delayedAck() {
	st := newAckState()
	var delays, ests [2][]int64
	var first [2]int
	first[0], first[1] = -1, -1
	for i := range d.segs {
		if delay, est, ok := st.delayedAck(d.ci, d.f, d.segs, i); ok {
			dr := d.segs[i].Dir & 1
			if first[dr] < 0 {
				first[dr] = i
			}
			delays[dr] = append(delays[dr], delay)
			ests[dr] = append(ests[dr], est)
		}
		st.update(d.segs, i)
	}
	for dr := range uint8(2) {
		ds, es := delays[dr], ests[dr]
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		slices.Sort(es)
		fr := strconv.FormatUint(d.segs[first[dr]].Frame, 10)
		var t string
		if len(ds) == 1 {
			t = "1 ACK-only segment from the " + sideName(dr) + " (frame " + fr + ") came " + fmtDur(ds[0]) + " after the single data segment it acknowledged"
		} else {
			t = strconv.Itoa(len(ds)) + " ACK-only segments from the " + sideName(dr) + " (first: frame " + fr + ") came " + fmtDur(ds[0]) +
				" to " + fmtDur(ds[len(ds)-1]) + " (median " + fmtDur(ds[len(ds)/2]) + ") after the single data segment each acknowledged"
		}
		med := es[len(es)/2]
		switch {
		case d.f.near == int(dr):
			t += "; the capture was taken near the " + sideName(dr) + " (it answered the handshake at once), so that is its own wait"
		case d.f.near >= 0:
			t += "; the capture was taken near the " + sideName(dr^1) + ", so each includes a round trip (" + fmtDur(d.f.rtt) + "): the " + sideName(dr) + " itself waited about " + fmtDur(med) + " (median)"
		case d.f.rtt >= 1e6:
			t += "; less the round trip (" + fmtDur(d.f.rtt) + ") that may be in them, the " + sideName(dr) + " waited about " + fmtDur(med) + " (median)"
		}
		t += ": this suggests delayed ACK (the receiver waits, hoping to piggyback the ACK on data), " + delAckRange(med)
		d.add(d.segs[first[dr]].Frame, KindDelayedAck, SevInfo, t)
	}
}

// delAckRange places an estimated delayed-ACK wait among the platforms' timers, so the
// sentence never contradicts the range it states.
func delAckRange(est int64) string {
	switch {
	case est < 36e6:
		return "though shorter than Linux's 40 ms minimum (another stack, or the round trip varied)"
	case est <= 60e6:
		return "close to Linux's 40 ms minimum"
	case est <= 220e6:
		return "within Linux's 40 to 200 ms range (Windows waits 200 ms by default)"
	}
	return "longer than the usual 200 ms, within RFC 9293's 500 ms limit"
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
	// The total is the one count conns shows (RETX): every segment classed
	// retransmission, SYN and FIN included.
	total := d.ci.Retrans[0] + d.ci.Retrans[1]
	if total == 0 {
		total = uint64(n + ctlRetrans(segs))
	}
	if n > maxDetailed || total != uint64(n) {
		t := plural(int(total), "retransmitted segment", "retransmitted segments") + " in all"
		if other := int(total) - n; other > 0 && n > 0 {
			t += " (" + plural(n, "with data", "with data") + ", " + fmtBytes(bytes) + " bytes sent again; " + strconv.Itoa(other) + " SYN, FIN or empty)"
		} else if n > 0 {
			t += " (" + fmtBytes(bytes) + " bytes sent again)"
		} else {
			t += " (SYN, FIN or empty segments, no data)"
		}
		d.add(0, KindRetransmission, SevWarn, t)
	}
}

// ctlRetrans counts retransmissions without payload (SYN, FIN), for a ConnInfo without
// Retrans (unit tests).
func ctlRetrans(segs []SegRecord) int {
	n := 0
	for i := range segs {
		if segs[i].Len == 0 && segs[i].isRetrans() {
			n++
		}
	}
	return n
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

// gaps tells holes that were filled later (segments out of order, or a retransmission of
// a segment the capture missed) from bytes never captured: the reassembler's gap count
// (conns' GAP) and the exchanges with verdict gap are what is missing for good.
func (d *diag) gaps() {
	holes, filled := d.f.holes(d.segs)
	var ackedUnseen int
	for i := range d.segs {
		if d.segs[i].Class.Has(tcp.ClassAckedUnseenSegment) {
			ackedUnseen++
		}
	}
	var ks []string
	for k := range d.xs {
		if d.xs[k].HTTP.Verdict == "gap" {
			ks = append(ks, strconv.Itoa(d.xs[k].HTTP.Depth))
		}
	}
	missing := d.ci.GapBytes[0] + d.ci.GapBytes[1]
	if len(holes) == 0 && ackedUnseen == 0 && len(ks) == 0 && missing == 0 {
		return
	}
	first := uint64(0)
	if len(holes) > 0 {
		first = d.segs[holes[0]].Frame
	}
	if missing == 0 && len(ks) == 0 {
		if len(holes) == 0 {
			return // an ACK of unseen data whose bytes came later: nothing is missing
		}
		t := plural(len(holes), "segment", "segments") + " arrived after a hole in the sequence space (first: frame " + strconv.FormatUint(first, 10) + "), and "
		if filled == len(holes) {
			t += "every hole was filled later by a retransmission or by a segment that came out of order"
		} else {
			t += "the holes were filled later (by retransmissions, segments out of order, or segments the recorder no longer holds)"
		}
		t += ": no byte is missing from the capture; the holes show loss or reordering on the path before the capture point"
		d.add(first, KindGap, SevInfo, t)
		return
	}
	var t string
	switch {
	case len(ks) > 0 && missing > 0:
		t = fmtBytes(int64(missing)) + " bytes were never captured, in exchange " + strings.Join(ks, ", ")
	case len(ks) > 0:
		t = "bytes of exchange " + strings.Join(ks, ", ") + " were never captured"
	default:
		t = fmtBytes(int64(missing)) + " bytes were never captured"
	}
	if len(holes) > 0 {
		t += "; " + plural(len(holes), "segment follows", "segments follow") + " a hole in the sequence space"
	}
	if ackedUnseen > 0 {
		t += "; " + plural(ackedUnseen, "ACK acknowledges", "ACKs acknowledge") + " data the capture never saw, so the receiver did get it: the capture dropped packets, not the network"
	}
	d.add(first, KindGap, SevWarn, t)
}

func (d *diag) halfClose() {
	for dr := range uint8(2) {
		h := d.f.halfClosed(d.segs, dr^1)
		if h.first < 0 {
			continue
		}
		fi := d.f.firstFIN[dr]
		d.add(d.frame(h.first), KindHalfClose, SevInfo, "half-close: after the "+sideName(dr)+"'s FIN (frame "+strconv.FormatUint(d.segs[fi].Frame, 10)+
			") the "+sideName(dr^1)+" still sent "+fmtBytes(h.bytes)+" new bytes before its own FIN; a FIN only ends one direction (shutdown(SHUT_WR)), the "+sideName(dr)+" kept receiving")
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

// timeWait says who holds TIME_WAIT. Only a FIN exchange leads to TIME_WAIT: a
// connection without any FIN gets a no_close finding instead (still open, or idle, at the
// end of the capture).
func (d *diag) timeWait() {
	c := d.f.closer()
	if c < 0 {
		if d.ci.Close == "open" || d.ci.Close == "timeout" || d.ci.Close == "evicted" || d.ci.Close == "" {
			if len(d.segs) > 0 && d.f.rst < 0 {
				d.add(0, KindNoClose, SevInfo, "no FIN was seen: the connection was still open at the end of the capture (or went idle), so neither side has reached TIME_WAIT")
			}
		}
		return
	}
	fi := d.f.firstFIN[c]
	peer := uint8(c) ^ 1
	t := "the " + sideName(uint8(c)) + " sent the first FIN (frame " + strconv.FormatUint(d.segs[fi].Frame, 10) + "): an active close, so the " +
		sideName(uint8(c)) + " holds the connection in TIME_WAIT for 2*MSL (60 s on Linux) after the last ACK so that stray segments die out; meanwhile a new connection on this 4-tuple gets past it only with a recognisably newer SYN (higher sequence number or timestamp), while the " +
		sideName(peer) + ", which closed passively, holds nothing"
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
