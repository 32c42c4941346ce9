package analysis

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/segscope/segscope/report"
)

// What-if estimates: for a client's exchanges with one server, the total time under the
// alternatives the connection-management chapter discusses, from what the capture shows:
// each connection's round trip, each exchange's request send time, the server's think
// time, the response's size and transfer time, the client's own gaps between exchanges,
// and Nagle stalls. The model (README "What-if estimates"):
//
//   - a new connection costs one round trip (the handshake) before its request;
//   - a request costs its send time plus one round trip plus the server's think time
//     (the wait less the round trip when the capture point is near the client or
//     unknown; the wait itself near the server) before the first response byte;
//   - a response of S bytes on a connection with congestion window W segments takes
//     r-1 more round trips, r the smallest number of rounds with W*MSS*(2^r-1) >= S,
//     plus its serialization time (its measured transfer time less the round trips the
//     same model gives the captured case); W starts at 10 (RFC 6928) and doubles per
//     round (slow start, no loss, no idle restart);
//   - one connection per request pays a handshake and a fresh window each time; a
//     persistent connection pays one handshake and keeps its window; pipelining sends
//     every request at once and receives the responses back to back; N parallel
//     persistent connections take the exchanges in order, each to the connection free
//     first, and cannot beat the serialization of all the bytes; the client's own gaps
//     between exchanges are kept in the serial cases and dropped when requests go out at
//     once;
//   - TCP_NODELAY removes the time each Nagle-held write waited.

// Txn is what the what-if model keeps of one exchange.
type Txn struct {
	Conn      uint64
	Fresh     bool  // the first exchange of its connection
	ConnStart int64 // its connection's SYN (or first segment)
	Start     int64 // the request's first byte
	SendTime  int64
	Wait      int64 // last request byte to first response byte
	Receive   int64 // first to last response byte
	Bytes     int64 // response bytes (head and body)
	RTT       int64
	MSS       int
	Near      int   // capture point: 0 client, 1 server, -1 unknown
	Nagle     int64 // time Nagle-held writes of this connection waited (on its first exchange)
	End       int64 // last response byte
}

// Txns extracts the exchanges of one connection for the what-if model; exchanges without
// a request and a response are left out.
func Txns(ci *ConnInfo, segs []SegRecord, xs []ExchangeInfo) []Txn {
	f := findFacts(ci, segs, xs)
	start := ci.FirstTS
	if ci.SYNTime != 0 {
		start = ci.SYNTime
	}
	var nagle int64
	for _, n := range findNagle(ci, f, segs, xs) {
		nagle += segs[n.held].TS - segs[n.prev].TS
	}
	mss := senderMSS(ci, dirS2C, segs)
	var out []Txn
	for k := range xs {
		x := &xs[k]
		tm := x.HTTP.Timing
		if !x.HasReq || !x.HasResp || tm.Send < 0 || tm.Wait < 0 || tm.Receive < 0 || x.HTTP.TS == 0 {
			continue
		}
		t := Txn{
			Conn: ci.ID, Fresh: len(out) == 0, ConnStart: start, Start: int64(x.HTTP.TS),
			SendTime: int64(tm.Send), Wait: int64(tm.Wait), Receive: int64(tm.Receive),
			Bytes: int64(x.RespEnd - x.RespStart), RTT: f.rtt, MSS: mss, Near: f.near,
		}
		t.End = t.Start + t.SendTime + t.Wait + t.Receive
		if t.Fresh {
			t.Nagle = nagle
		}
		out = append(out, t)
	}
	return out
}

// initialWindow is the congestion window of a fresh connection, in segments (RFC 6928).
const initialWindow = 10

// rounds returns the round trips a response of n bytes needs from a window of w
// segments of mss bytes, and the window after it.
func rounds(n int64, w int64, mss int) (r int, after int64) {
	if mss <= 0 {
		mss = 1460
	}
	r, sent := 1, w*int64(mss)
	for sent < n && r < 40 {
		w *= 2
		sent += w * int64(mss)
		r++
	}
	return r, min(w*2, 1<<20)
}

// WhatIf estimates the total time of one client's exchanges with one server (txns of all
// its recorded connections, any order) under the alternatives; nil with fewer than two
// exchanges.
func WhatIf(client, server string, txns []Txn) *report.WhatIf {
	if len(txns) < 2 {
		return nil
	}
	ts := slices.Clone(txns)
	slices.SortStableFunc(ts, func(a, b Txn) int { return cmp.Compare(a.Start, b.Start) })
	var rtts []int64
	conns := map[uint64]bool{}
	var ids []uint64
	for _, t := range ts {
		if !conns[t.Conn] {
			conns[t.Conn] = true
			ids = append(ids, t.Conn)
			if t.RTT > 0 {
				rtts = append(rtts, t.RTT)
			}
		}
	}
	slices.Sort(ids)
	slices.Sort(rtts)
	var rtt int64
	if len(rtts) > 0 {
		rtt = rtts[len(rtts)/2]
	}
	mss := ts[0].MSS
	// Per exchange: think time, serialization time (under the captured case's window),
	// and the client's gap before it.
	n := len(ts)
	think, xfer, gap := make([]int64, n), make([]int64, n), make([]int64, n)
	cwnd := map[uint64]int64{}
	var nagle int64
	begin, end := ts[0].ConnStart, int64(0)
	for i, t := range ts {
		think[i] = t.Wait
		if t.Near != 1 {
			think[i] = max(t.Wait-rtt, 0)
		}
		w, ok := cwnd[t.Conn]
		if !ok || t.Fresh {
			w = initialWindow
		}
		r, after := rounds(t.Bytes, w, t.MSS)
		cwnd[t.Conn] = after
		xfer[i] = max(t.Receive-int64(r-1)*rtt, 0)
		if i > 0 {
			from := t.Start
			if t.Fresh {
				from = t.ConnStart
			}
			gap[i] = max(from-ts[i-1].End, 0)
		}
		begin = min(begin, t.ConnStart)
		end = max(end, t.End)
		nagle += t.Nagle
	}
	wi := &report.WhatIf{Client: client, Server: server, Conns: ids, Exchanges: n, RTT: report.Duration(rtt), Measured: report.Duration(end - begin)}
	// Which way was captured.
	overlap := false
	for i := 1; i < n; i++ {
		if ts[i].Start < ts[i-1].End {
			overlap = true
		}
	}
	switch {
	case len(ids) == 1 && overlap:
		wi.MeasuredAs = "pipelined"
	case len(ids) == 1:
		wi.MeasuredAs = "persistent"
	case overlap:
		wi.MeasuredAs = "parallel"
	case len(ids) == n:
		wi.MeasuredAs = "per_request"
	default:
		wi.MeasuredAs = "mixed"
	}

	exchange := func(i int, w int64) (int64, int64) { // request to last byte, window after
		r, after := rounds(ts[i].Bytes, w, ts[i].MSS)
		return ts[i].SendTime + rtt + think[i] + int64(r-1)*rtt + xfer[i], after
	}
	// One connection per request.
	var perReq int64
	for i := range ts {
		d, _ := exchange(i, initialWindow)
		perReq += gap[i] + rtt + d
	}
	// One persistent connection.
	persist, w := rtt, int64(initialWindow)
	for i := range ts {
		var d int64
		d, w = exchange(i, w)
		persist += gap[i] + d
	}
	// Pipelining: all requests at once, responses back to back.
	var sendAll, thinkAll, xferAll, bytesAll int64
	for i := range ts {
		sendAll += ts[i].SendTime
		thinkAll += think[i]
		xferAll += xfer[i]
		bytesAll += ts[i].Bytes
	}
	r, _ := rounds(bytesAll, initialWindow, mss)
	pipe := rtt + sendAll + rtt + thinkAll + int64(r-1)*rtt + xferAll
	// N parallel persistent connections (browsers use up to 6 per server).
	par := min(6, n)
	lanes := make([]int64, par)
	lw := make([]int64, par)
	for k := range lanes {
		lanes[k], lw[k] = rtt, initialWindow
	}
	for i := range ts {
		k := 0
		for j := range lanes {
			if lanes[j] < lanes[k] {
				k = j
			}
		}
		var d int64
		d, lw[k] = exchange(i, lw[k])
		lanes[k] += d
	}
	parTotal := max(slices.Max(lanes), rtt+rtt+xferAll)

	est := func(sc string, c int, total int64, text string) {
		if sc == wi.MeasuredAs {
			text += "; the model for the captured case (measured " + fmtDur(end-begin) + ")"
		}
		wi.Estimates = append(wi.Estimates, report.WhatIfEstimate{Scenario: sc, Conns: c, Total: report.Duration(total), Text: text})
	}
	est("per_request", n, perReq, "one connection per request: "+plural(n, "handshake", "handshakes")+" and a fresh slow start each")
	est("persistent", 1, persist, "one persistent connection: one handshake, the window kept between exchanges")
	est("pipelined", 1, pipe, "pipelining on one connection: every request at once, responses back to back")
	est("parallel", par, parTotal, strconv.Itoa(par)+" parallel persistent connections, exchanges to the first free one, sharing the bandwidth")
	if nagle > 0 {
		est("nodelay", len(ids), end-begin-nagle, "as captured with TCP_NODELAY: the "+fmtDur(nagle)+" Nagle-held writes waited removed")
	}
	return wi
}
