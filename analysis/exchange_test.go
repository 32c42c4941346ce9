package analysis

import (
	"net/netip"
	"testing"

	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
)

func TestHandshakeRTT(t *testing.T) {
	for _, tc := range []struct {
		name             string
		syn, synAck, ack int64
		want             int64
	}{
		{"whole handshake", 100, 150, 210, 110},
		{"no SYN", 0, 150, 210, 0},
		{"no SYN-ACK", 100, 0, 210, 0},
		{"no ACK", 100, 150, 0, 0},
		{"times run backwards", 300, 150, 210, 0},
	} {
		if got := HandshakeRTT(tc.syn, tc.synAck, tc.ack); got != tc.want {
			t.Errorf("%s: HandshakeRTT(%d, %d, %d) = %d, want %d", tc.name, tc.syn, tc.synAck, tc.ack, got, tc.want)
		}
	}
}

func TestExchangeVerdict(t *testing.T) {
	for _, tc := range []struct {
		v                   http1.Verdict
		conflict, truncated bool
		want                http1.Verdict
	}{
		{http1.VerdictComplete, false, false, http1.VerdictComplete},
		{http1.VerdictGap, false, false, http1.VerdictGap},
		{http1.VerdictComplete, true, false, http1.VerdictConflict},
		{http1.VerdictGap, true, true, http1.VerdictConflict},
		{http1.VerdictNoResponse, true, false, http1.VerdictConflict},
		{http1.VerdictComplete, false, true, http1.VerdictTruncated},
		{http1.VerdictGap, false, true, http1.VerdictTruncated},
		{http1.VerdictNoResponse, false, true, http1.VerdictNoResponse},
	} {
		if got := ExchangeVerdict(tc.v, tc.conflict, tc.truncated); got != tc.want {
			t.Errorf("ExchangeVerdict(%v, conflict %v, truncated %v) = %v, want %v", tc.v, tc.conflict, tc.truncated, got, tc.want)
		}
	}
}

func TestExchangeTiming(t *testing.T) {
	req := &http1.Message{FirstTS: 1000, LastTS: 1300}
	resp := &http1.Message{FirstTS: 2000, LastTS: 2500}
	for _, tc := range []struct {
		name    string
		x       http1.Exchange
		connect int64
		want    report.Timing
	}{
		{"first exchange", http1.Exchange{Depth: 1, Req: req, Resp: resp}, 42, report.Timing{Connect: 42, Send: 300, Wait: 700, Receive: 500}},
		{"second exchange: no connect", http1.Exchange{Depth: 2, Req: req, Resp: resp}, 42, report.Timing{Connect: -1, Send: 300, Wait: 700, Receive: 500}},
		{"handshake not seen", http1.Exchange{Depth: 1, Req: req, Resp: resp}, 0, report.Timing{Connect: -1, Send: 300, Wait: 700, Receive: 500}},
		{"no response", http1.Exchange{Depth: 1, Req: req}, 42, report.Timing{Connect: 42, Send: 300, Wait: -1, Receive: -1}},
		{"response only", http1.Exchange{Depth: 1, Resp: resp}, 42, report.Timing{Connect: -1, Send: -1, Wait: -1, Receive: 500}},
	} {
		if got := ExchangeTiming(&tc.x, tc.connect); got != tc.want {
			t.Errorf("%s: ExchangeTiming = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestParallel(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.0.0.1:80"), netip.MustParseAddrPort("10.0.0.2:80")
	var p Parallel
	var c1, c2, c3, c4 ParallelConn
	p.Open(a, &c1)
	p.Open(a, &c2) // c1 and c2 overlap
	p.Open(b, &c4) // another server
	p.Close(&c1)
	p.Open(a, &c3) // overlaps c2 only
	p.Close(&c2)
	p.Close(&c3)
	p.Close(&c4)
	for _, tc := range []struct {
		name string
		c    *ParallelConn
		want int
	}{{"c1", &c1, 2}, {"c2", &c2, 2}, {"c3", &c3, 2}, {"c4", &c4, 1}} {
		if tc.c.Max != tc.want {
			t.Errorf("%s.Max = %d, want %d", tc.name, tc.c.Max, tc.want)
		}
	}
	if len(p.open) != 0 {
		t.Errorf("%d servers still listed after every connection closed", len(p.open))
	}
}
