package analysis

import (
	"net/netip"

	"github.com/segscope/segscope/tcp"
	"strings"
	"testing"

	"github.com/segscope/segscope/report"
)

func findingOf(fs []report.Finding, k Kind) (report.Finding, bool) {
	for _, f := range fs {
		if f.Kind == string(k) {
			return f, true
		}
	}
	return report.Finding{}, false
}

// A hole that a retransmission fills later is not "missing from the capture".
func TestGapFilledLater(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	c.add(ms, dirS2C, tcp.ACK, 1448)
	c.skip(dirS2C, 1448)
	c.add(ms, dirS2C, tcp.ACK, 1448, tcp.ClassPreviousSegmentNotCaptured)
	c.gaps = nil
	c.retrans(ms, dirS2C, 1448, 1448) // fills the hole
	c.exchange(1, "GET", "/", 200, 0, 38, 0, 4344)
	fs := Diagnose(&c.ci, c.segs, c.xs)
	g, ok := findingOf(fs, KindGap)
	if !ok {
		t.Fatalf("no gap finding in:\n%s", findingsString(fs))
	}
	if g.Severity != string(SevInfo) || !strings.Contains(g.Text, "every hole was filled later") || !strings.Contains(g.Text, "no byte is missing") || strings.Contains(g.Text, "are missing") {
		t.Errorf("gap finding = %s %q, want info, filled later, nothing missing", g.Severity, g.Text)
	}
	// The same hole never filled, with the reassembler's gap count: never captured.
	c2 := newConn()
	c2.handshake(ms)
	c2.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	c2.add(ms, dirS2C, tcp.ACK, 1448)
	c2.skip(dirS2C, 1448)
	c2.add(ms, dirS2C, tcp.ACK, 1448, tcp.ClassPreviousSegmentNotCaptured)
	c2.ci.GapBytes[dirS2C] = 1448
	c2.exchange(1, "GET", "/", 200, 0, 38, 0, 4344)
	g2, ok := findingOf(Diagnose(&c2.ci, c2.segs, c2.xs), KindGap)
	if !ok || g2.Severity != string(SevWarn) || !strings.Contains(g2.Text, "1,448 bytes were never captured") {
		t.Errorf("unfilled gap finding = %+v", g2)
	}
}

// A capture taken at the client sees the server's delayed ACK a round trip late: the
// estimate subtracts it and the sentence agrees with the range it states.
func TestDelayedAckNearSender(t *testing.T) {
	c := newConn()
	// Capture at the client: SYN-ACK 20 ms after the SYN, the ACK 0.05 ms after it.
	c.handshake(20 * ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	c.add(62*ms, dirS2C, tcp.ACK, 0) // 62 ms after the request: 42 ms at the server
	c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 100)
	c.exchange(1, "GET", "/", 200, 0, 38, 0, 100)
	c.ci.Close = "open"
	fs := Diagnose(&c.ci, c.segs, c.xs)
	f, ok := findingOf(fs, KindDelayedAck)
	if !ok {
		t.Fatalf("no delayed_ack in:\n%s", findingsString(fs))
	}
	for _, want := range []string{"came 62.0 ms after", "near the client", "includes a round trip (20.1 ms)", "waited about 42.0 ms", "close to Linux's 40 ms minimum"} {
		if !strings.Contains(f.Text, want) {
			t.Errorf("delayed_ack text %q lacks %q", f.Text, want)
		}
	}
	if strings.Contains(f.Text, "at least") {
		t.Errorf("delayed_ack text %q still states a minimum", f.Text)
	}
	for _, tc := range []struct {
		est  int64
		want string
	}{{20 * ms, "shorter than Linux's 40 ms minimum"}, {45 * ms, "close to Linux's"}, {150 * ms, "within Linux's 40 to 200 ms range"}, {300 * ms, "longer than the usual 200 ms"}} {
		if got := delAckRange(tc.est); !strings.Contains(got, tc.want) {
			t.Errorf("delAckRange(%d ms) = %q, want %q", tc.est/ms, got, tc.want)
		}
	}
}

// Super-segments (TSO/GRO) are counted in MSS units; a response that ends in its second
// flight is not "not a clean doubling".
func TestSlowStartOffload(t *testing.T) {
	c := newConn()
	c.handshake(20 * ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	const mss = 1448 // 1460 less 12 option bytes
	// flight 1: one 10-MSS super-segment; flight 2: 20 MSS in two; then it ends.
	c.add(5*ms, dirS2C, tcp.ACK, 10*mss)
	c.add(20*ms, dirS2C, tcp.ACK, 10*mss)
	c.add(ms/10, dirS2C, tcp.ACK, 10*mss)
	c.add(20*ms, dirS2C, tcp.ACK|tcp.PSH, 3*mss)
	for i := range c.segs {
		c.segs[i].TCPHdrLen = 32
	}
	c.exchange(1, "GET", "/big", 200, 0, 38, 0, 33*mss)
	c.ci.Close = "open"
	fs := Diagnose(&c.ci, c.segs, c.xs)
	f, ok := findingOf(fs, KindSlowStart)
	if !ok {
		t.Fatalf("no slow_start in:\n%s", findingsString(fs))
	}
	for _, want := range []string{"4 captured data segments, 33 MSS-sized segments", "offload merged segments", "10, 20, 3 segments"} {
		if !strings.Contains(f.Text, want) {
			t.Errorf("slow_start %q lacks %q", f.Text, want)
		}
	}
	if strings.Contains(f.Text, "not a clean doubling") || strings.Contains(f.Text, "did not double") {
		t.Errorf("slow_start %q calls a doubling window irregular", f.Text)
	}
	// Two flights only: the response ended too soon to judge.
	c2 := newConn()
	c2.handshake(20 * ms)
	c2.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	for range 10 {
		c2.add(ms/100, dirS2C, tcp.ACK, mss)
	}
	c2.add(20*ms, dirS2C, tcp.ACK, mss)
	c2.add(ms/100, dirS2C, tcp.ACK|tcp.PSH, mss)
	c2.exchange(1, "GET", "/b", 200, 0, 38, 0, 12*mss)
	f2, _ := findingOf(Diagnose(&c2.ci, c2.segs, c2.xs), KindSlowStart)
	if !strings.Contains(f2.Text, "ended during the second flight") || strings.Contains(f2.Text, "doubling:") {
		t.Errorf("slow_start (2 flights) = %q", f2.Text)
	}
}

// A spurious retransmission after both FINs is not a half-close, in the ladder and in
// diagnose alike; new data after the peer's FIN is, in both.
func TestHalfCloseOneDefinition(t *testing.T) {
	late := newConn()
	late.handshake(ms)
	late.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	late.add(ms, dirS2C, tcp.ACK|tcp.PSH, 500)
	late.add(ms, dirC2S, tcp.ACK|tcp.FIN, 0)
	late.add(ms, dirS2C, tcp.ACK|tcp.FIN, 0)
	late.retrans(200*ms, dirS2C, 0, 500, tcp.ClassSpuriousRetransmission)
	late.exchange(1, "GET", "/", 200, 0, 38, 0, 500)
	real := newConn()
	real.handshake(ms)
	real.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	real.add(ms, dirC2S, tcp.ACK|tcp.FIN, 0)
	real.add(ms, dirS2C, tcp.ACK|tcp.PSH, 500)
	real.add(ms, dirS2C, tcp.ACK|tcp.FIN, 0)
	real.exchange(1, "GET", "/", 200, 0, 38, 0, 500)
	for _, tc := range []struct {
		name string
		c    *conn
		want bool
	}{{"retransmission after both FINs", late, false}, {"data after the peer's FIN", real, true}} {
		_, inDiag := findingOf(Diagnose(&tc.c.ci, tc.c.segs, tc.c.xs), KindHalfClose)
		inLadder := false
		for _, e := range Ladder(&tc.c.ci, tc.c.segs, tc.c.xs, 0) {
			for _, n := range e.Notes {
				if strings.HasPrefix(n, "half-close") {
					inLadder = true
				}
			}
		}
		if inDiag != tc.want || inLadder != tc.want {
			t.Errorf("%s: half-close in diagnose %v, in ladder %v; want %v", tc.name, inDiag, inLadder, tc.want)
		}
	}
}

func TestState(t *testing.T) {
	cl := func(s Side) Side { return s }
	sv := func(s Side) Side { s.Server = true; return s }
	tests := []struct {
		name           string
		client, server Side
		want           string // client/server
	}{
		{"SYN only", cl(Side{Seen: true, SYN: true}), sv(Side{}), "SYN-SENT/unknown"},
		{"SYN-ACK, no ACK", cl(Side{Seen: true, SYN: true}), sv(Side{Seen: true, SYN: true}), "SYN-SENT/SYN-RECEIVED"},
		{"server sent only its SYN-ACK, client ACKed", cl(Side{Seen: true, SYN: true, Data: true}), sv(Side{Seen: true, SYN: true}), "ESTABLISHED/ESTABLISHED"},
		{"client closed, FIN unacked", cl(Side{Seen: true, Data: true, FIN: true, FINFrame: 9}), sv(Side{Seen: true, Data: true}), "FIN-WAIT-1/CLOSE-WAIT"},
		{"client closed, acked", cl(Side{Seen: true, Data: true, FIN: true, FINAcked: true, FINFrame: 9}), sv(Side{Seen: true, Data: true}), "FIN-WAIT-2/CLOSE-WAIT"},
		{"server answered FIN, unacked", cl(Side{Seen: true, Data: true, FIN: true, FINAcked: true, FINFrame: 9}), sv(Side{Seen: true, Data: true, FIN: true, FINFrame: 10}), "TIME-WAIT/LAST-ACK"},
		{"both closed, server first", cl(Side{Seen: true, Data: true, FIN: true, FINAcked: true, FINFrame: 12}), sv(Side{Seen: true, Data: true, FIN: true, FINAcked: true, FINFrame: 10}), "CLOSED/TIME-WAIT"},
		{"simultaneous close", cl(Side{Seen: true, Data: true, FIN: true, FINFrame: 9}), sv(Side{Seen: true, Data: true, FIN: true, FINFrame: 10}), "CLOSING/LAST-ACK"},
		{"reset", cl(Side{Seen: true, Data: true}), sv(Side{Seen: true, Data: true, RST: true}), "CLOSED/CLOSED"},
	}
	for _, tc := range tests {
		if got := State(tc.client, tc.server) + "/" + State(tc.server, tc.client); got != tc.want {
			t.Errorf("%s: State = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestParallelGroups(t *testing.T) {
	a := func(id uint64, first, last int64) Activity {
		return Activity{Conn: id, Server: "10.0.0.2:80", First: t0 + first, Last: t0 + last, FirstFrame: id * 10, Selected: true}
	}
	// One after the other: the next starts after the previous one's last data segment
	// (its final ACK and FIN are not activity).
	if fs := Parallel([]Activity{a(1, 0, 10*ms), a(2, 11*ms, 20*ms), a(3, 21*ms, 30*ms)}); len(fs) != 0 {
		t.Errorf("sequential connections: %d findings, want none: %+v", len(fs), fs)
	}
	fs := Parallel([]Activity{a(1, 0, 10*ms), a(2, 1*ms, 12*ms), a(3, 11*ms, 20*ms), a(4, 40*ms, 50*ms)})
	if len(fs) != 1 || fs[0].Conn != 1 || !strings.Contains(fs[0].Text, "connections 1, 2 and 3 to 10.0.0.2:80") || !strings.Contains(fs[0].Text, "2 at once at most") {
		t.Errorf("overlapping connections: %+v", fs)
	}
	// --conn 3: the group is still stated, on the selected connection.
	sel := []Activity{a(1, 0, 10*ms), a(2, 1*ms, 12*ms), a(3, 11*ms, 20*ms)}
	sel[0].Selected, sel[1].Selected = false, false
	if fs := Parallel(sel); len(fs) != 1 || fs[0].Conn != 3 {
		t.Errorf("--conn 3: %+v, want one finding on conn 3", fs)
	}
	sel[2].Selected = false
	if fs := Parallel(sel); len(fs) != 0 {
		t.Errorf("nothing selected: %+v", fs)
	}
}

func TestSortFindings(t *testing.T) {
	fs := []report.Finding{{Frame: 0, Kind: "a"}, {Frame: 9, Kind: "b"}, {Frame: 3, Kind: "c"}, {Frame: 3, Kind: "d"}}
	sortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Kind)
	}
	if strings.Join(got, "") != "cdba" {
		t.Errorf("sortFindings order %v, want c d b a", got)
	}
}

func TestRounds(t *testing.T) {
	for _, tc := range []struct {
		bytes, w int64
		want     int
	}{{1000, 10, 1}, {14600, 10, 1}, {14601, 10, 2}, {43800, 10, 2}, {43801, 10, 3}, {100000, 40, 2}} {
		if got, _ := rounds(tc.bytes, tc.w, 1460); got != tc.want {
			t.Errorf("rounds(%d, %d, 1460) = %d, want %d", tc.bytes, tc.w, got, tc.want)
		}
	}
	if WhatIf("10.0.0.1", "10.0.0.2:80", []Txn{{Conn: 1}}) != nil {
		t.Error("WhatIf of one exchange: want nil")
	}
}

func TestFindLookup(t *testing.T) {
	cl, other := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.9")
	srv := netip.MustParseAddr("10.0.0.2")
	as := []DNSAnswer{
		{Client: cl, Name: "old.test", QueryTS: t0, AnswerTS: t0 + ms, Addrs: []netip.Addr{srv}},
		{Client: cl, Name: "www.test", QueryFrame: 5, AnswerFrame: 6, QueryTS: t0 + 20e9, AnswerTS: t0 + 20e9 + 3*ms, Addrs: []netip.Addr{srv}},
		{Client: other, Name: "x.test", QueryTS: t0 + 20e9, AnswerTS: t0 + 20e9 + ms, Addrs: []netip.Addr{srv}},
	}
	l, ok := FindLookup(as, cl, srv, t0+20e9+5*ms)
	if !ok || l.Name != "www.test" || l.Duration != 3*ms || l.Before != 2*ms || l.QueryFrame != 5 {
		t.Errorf("FindLookup = %+v, %v", l, ok)
	}
	if _, ok := FindLookup(as, cl, srv, t0+40e9); ok {
		t.Error("an answer 20 s old counted as the lookup")
	}
	if _, ok := FindLookup(as, cl, netip.MustParseAddr("10.0.0.3"), t0+20e9+5*ms); ok {
		t.Error("a lookup for another address counted")
	}
	if _, ok := FindLookup(as, cl, srv, t0+20e9); ok {
		t.Error("an answer after the connection counted")
	}
}

// Every finding kind Diagnose can write has an explanation.
func TestExplainEveryKind(t *testing.T) {
	for _, k := range []Kind{KindHandshake, KindKeepAlive, KindNoKeepAlive, KindPipelining, KindParallel, KindSlowStart, KindNagle,
		KindDelayedAck, KindRetransmission, KindZeroWindow, KindGap, KindHalfClose, KindReset, KindTimeWait, KindNoClose,
		KindTupleReuse, KindDNS, KindTruncated} {
		if txt, ok := Explain(string(k)); !ok || !strings.HasPrefix(txt, string(k)+" — ") {
			t.Errorf("Explain(%q) = %q, %v", k, txt, ok)
		}
	}
	if _, ok := Explain("nope"); ok {
		t.Error("Explain(nope) ok")
	}
}

// Socket calls on the ladder: connect() on the SYN, accept() at the handshake's end,
// write() ends at PSH, shutdown(SHUT_WR) for a half-close, close() otherwise.
func TestSocketCalls(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	c.add(ms, dirC2S, tcp.ACK|tcp.FIN, 0)
	c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 500)
	c.add(ms, dirS2C, tcp.ACK|tcp.FIN, 0)
	c.add(ms, dirC2S, tcp.ACK, 0)
	c.exchange(1, "GET", "/", 200, 0, 38, 0, 500)
	want := map[uint64]string{
		1: "client: connect()",
		3: "server: accept() can return",
		4: "client: end of a write() (PSH)",
		5: "client: shutdown(SHUT_WR): half-close, still receiving",
		6: "server: end of a write() (PSH)",
		7: "server: close() or shutdown()",
	}
	for _, e := range Ladder(&c.ci, c.segs, c.xs, 0) {
		got := strings.Join(e.Calls, "; ")
		if got != want[e.Frame] {
			t.Errorf("frame %d calls = %q, want %q", e.Frame, got, want[e.Frame])
		}
	}
}
