package analysis

import (
	"slices"
	"testing"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// bulkConn: handshake with the server 1 ms away (capture near the client), a request,
// a response of four segments of which the second is lost and retransmitted after a
// SACK, and a FIN from the server.
func bulkConn() *conn {
	c := newConn()
	c.handshake(ms)                                            // 1-3
	c.add(ms/10, dirC2S, tcp.ACK|tcp.PSH, 80)                  // 4 request
	c.add(ms+ms/10, dirS2C, tcp.ACK, 1448)                     // 5 first response segment (1.1 ms after the request)
	lost := c.next[dirS2C]                                     //
	c.skip(dirS2C, 1448)                                       // the second is lost before the capture point
	c.add(ms/100, dirS2C, tcp.ACK, 1448)                       // 6
	sack := c.add(ms/100, dirC2S, tcp.ACK, 0, tcp.ClassDupAck) // 7 dup ACK with SACK
	sack.SACK = [][2]uint32{{uint32(lost + 1448 + 1), uint32(lost + 2*1448 + 1)}}
	sack.Ack = uint32(lost + 1)
	c.retrans(2*ms, dirS2C, lost, 1448, tcp.ClassFastRetransmission) // 8
	c.add(ms/100, dirC2S, tcp.ACK, 0)                                // 9 acks everything
	c.add(ms, dirS2C, tcp.ACK|tcp.FIN, 0)                            // 10
	return c
}

func TestTimeSeq(t *testing.T) {
	c := bulkConn()
	ts := TimeSeq(&c.ci, c.segs, dirS2C)
	if ts.Dir != "s2c" || ts.Sender != c.ci.Server || ts.Receiver != c.ci.Client {
		t.Errorf("TimeSeq = dir %s, %s -> %s", ts.Dir, ts.Sender, ts.Receiver)
	}
	var frames []uint64
	for _, d := range ts.Data {
		frames = append(frames, d.Frame)
	}
	if want := []uint64{2, 5, 6, 8, 10}; !slices.Equal(frames, want) {
		t.Fatalf("data frames %v, want %v (SYN-ACK, data, retransmission, FIN)", frames, want)
	}
	d := ts.Data
	if !d[0].SYN || d[0].Seq != 0 || d[1].Seq != 1 || d[2].Seq != 1+2*1448 || d[3].Seq != 1+1448 || !d[3].Retrans || !d[4].FIN || d[4].Seq != 1+3*1448 {
		t.Errorf("data points %+v", d)
	}
	if got := d[1].Rel; got != report.Duration(c.segs[4].TS-c.ci.FirstTS) {
		t.Errorf("rel %v, want time since the first packet", got)
	}
	// ACKs from the client: handshake ACK, request (acks the SYN-ACK only), dup ACK with
	// SACK (acks the first segment), final ACK.
	var acks []int64
	for _, a := range ts.Acks {
		acks = append(acks, a.Ack)
	}
	if want := []int64{1, 1, 1 + 1448, 1 + 3*1448}; !slices.Equal(acks, want) {
		t.Errorf("acks %v, want %v", acks, want)
	}
	a := ts.Acks[2]
	if !a.DupAck || len(a.SACK) != 1 || a.SACK[0] != [2]int64{1 + 2*1448, 1 + 3*1448} || a.Win != 64240 {
		t.Errorf("SACK ack = %+v, want the block of the third segment", a)
	}
}

// TestTimeSeqWraps: relative numbers past 2^32 keep growing.
func TestTimeSeqWraps(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	const chunk = 1 << 30
	for range 5 {
		c.add(ms, dirS2C, tcp.ACK, chunk)
		c.add(ms, dirC2S, tcp.ACK, 0)
	}
	ts := TimeSeq(&c.ci, c.segs, dirS2C)
	last := ts.Data[len(ts.Data)-1]
	if want := int64(1 + 4*chunk); last.Seq != want {
		t.Errorf("last seq %d, want %d", last.Seq, want)
	}
	if got, want := ts.Acks[len(ts.Acks)-1].Ack, int64(1+5*chunk); got != want {
		t.Errorf("last ack %d, want %d (unwrapped past 2^32)", got, want)
	}
}

func TestVantage(t *testing.T) {
	c := bulkConn()
	v := VantageOf(&c.ci, c.segs)
	// To the server: SYN -> SYN-ACK 1 ms, request -> response 1.1 ms: 1 ms, so 0.5 ms
	// each way. To the client: SYN-ACK -> ACK 0.05 ms; frame 5 -> its ACK (frame 7)
	// 0.02 ms: 0.01 ms each way.
	if !v.Known || v.ToServer != report.Duration(ms/2) || v.ToClient != report.Duration(ms/100) || v.Where != "client" {
		t.Errorf("VantageOf = %+v, want known, 0.5 ms to the server, 10 µs to the client, near the client", v)
	}
	// The handshake alone overstates a round trip: the smaller data round trip wins.
	c2 := newConn()
	c2.handshake(10 * ms)
	c2.add(ms, dirC2S, tcp.ACK|tcp.PSH, 80)
	c2.add(ms/5, dirS2C, tcp.ACK, 100)
	c2.add(ms/50, dirC2S, tcp.ACK, 0)
	v = VantageOf(&c2.ci, c2.segs)
	if v.ToServer != report.Duration(ms/10) {
		t.Errorf("ToServer = %v, want 0.1 ms (half the request's round trip, not the handshake's)", v.ToServer)
	}
	// Without any round trip to the client it is unknown.
	c3 := newConn()
	c3.add(0, dirC2S, tcp.ACK|tcp.PSH, 80)
	c3.add(ms, dirS2C, tcp.ACK, 100)
	if v := VantageOf(&c3.ci, c3.segs); v.Known || v.Where != "unknown" {
		t.Errorf("VantageOf(no round trip to the client) = %+v, want unknown", v)
	}
}

func TestInterest(t *testing.T) {
	c := &report.Conn{Conn: 3, Duration: 5e9, Retransmissions: report.PerDir{S2C: 2}, GapBytes: report.PerDir{C2S: 100}}
	hs := []report.HTTP{
		{Timing: report.Timing{Send: 1e6, Wait: 200e6, Receive: 3e6}, Verdict: "complete"},
		{Timing: report.Timing{Send: 0, Wait: -1, Receive: -1}, Verdict: "no_response"},
	}
	fs := []report.Finding{{Severity: "warn"}, {Severity: "info"}}
	in := Interest(c, hs, fs)
	if in.Conn != 3 || in.Slow != 204e6 || in.Anomalies != 1+2+1+1 {
		t.Errorf("Interest = %+v, want slow 204 ms, anomalies 5", in)
	}
	if len(in.Reasons) != 5 {
		t.Errorf("reasons %q", in.Reasons)
	}
	if in := Interest(c, nil, nil); in.Slow != 5e9 {
		t.Errorf("without exchanges Slow = %v, want the duration", in.Slow)
	}
}

func TestOverview(t *testing.T) {
	conns := []report.Conn{
		{Conn: 2, Start: report.Time(t0 + 2e9), End: report.Time(t0 + 3e9), Bytes: report.PerDir{C2S: 10, S2C: 1000}},
		{Conn: 1, Start: report.Time(t0), End: report.Time(t0 + 1e9), Bytes: report.PerDir{C2S: 5, S2C: 500}, HandshakeRTT: 2e6},
	}
	hs := []report.HTTP{
		{Conn: 1, TS: report.Time(t0 + 1e6), Host: "a.example", RespBodyLen: 500, Status: 200, Verdict: "complete", Timing: report.Timing{Connect: 2e6, Send: 0, Wait: 10e6, Receive: 1e6}},
		{Conn: 2, TS: report.Time(t0 + 2e9 + 1e6), Host: "a.example", RespBodyLen: 1000, Status: 404, Verdict: "complete", Timing: report.Timing{Connect: -1, Send: 0, Wait: 30e6, Receive: 1e6}},
		{Conn: 2, TS: report.Time(t0 + 2e9 + 9e8), Server: "10.0.0.2:80", Status: 0, Verdict: "no_response", Timing: report.Timing{Connect: -1, Send: 0, Wait: -1, Receive: -1}},
	}
	fs := []report.Finding{{Kind: "handshake"}, {Kind: "handshake"}, {Kind: "gap"}}
	ov := Overview(conns, hs, fs, nil)
	if ov.Conns != 2 || ov.Exchanges != 3 || ov.Span != 3e9 || ov.Bytes.S2C != 1500 || ov.Handshake != 2e6 || ov.Handshakes != 1 {
		t.Errorf("Overview totals = %+v", ov)
	}
	if !slices.Equal(ov.Verdicts, []report.Count{{Name: "complete", N: 2}, {Name: "no_response", N: 1}}) {
		t.Errorf("verdicts %v", ov.Verdicts)
	}
	if !slices.Equal(ov.FindingKinds, []report.Count{{Name: "handshake", N: 2}, {Name: "gap", N: 1}}) {
		t.Errorf("finding kinds %v", ov.FindingKinds)
	}
	if len(ov.Hosts) != 2 || ov.Hosts[0].Host != "a.example" || ov.Hosts[0].Exchanges != 2 || ov.Hosts[0].Errors != 1 || ov.Hosts[0].WaitMax != 30e6 || ov.Hosts[0].WaitMed != 10e6 {
		t.Errorf("hosts %+v", ov.Hosts)
	}
	// A 3-second capture: 50 ms steps (the round step giving at most 120 intervals).
	if ov.Step != 50e6 || len(ov.Intervals) != 61 {
		t.Errorf("step %v with %d intervals", ov.Step, len(ov.Intervals))
	}
	n := 0
	for _, iv := range ov.Intervals {
		n += iv.Exchanges
	}
	if n != 3 || ov.Intervals[0].Exchanges != 1 || ov.Intervals[0].Conns != 1 {
		t.Errorf("intervals hold %d exchanges; first %+v", n, ov.Intervals[0])
	}
	// Order does not matter.
	slices.Reverse(hs)
	if ov2 := Overview(conns, hs, fs, nil); ov2.Hosts[0] != ov.Hosts[0] || len(ov2.Intervals) != len(ov.Intervals) {
		t.Error("Overview depends on record order")
	}
}
