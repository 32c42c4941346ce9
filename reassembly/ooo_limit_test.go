package reassembly

import (
	"net/netip"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// streamCounter checks that each direction's data and gaps follow each other without a
// hole or an overlap, and counts them.
type streamCounter struct {
	nopHandler
	t          *testing.T
	next       map[uint64]uint64
	data, gaps uint64
}

func (h *streamCounter) OnData(c *Conn, d flow.Dir, off uint64, b []byte, _ uint64, _ int64) {
	h.step(c, d, off, uint64(len(b)))
	h.data += uint64(len(b))
}

func (h *streamCounter) OnGap(c *Conn, d flow.Dir, off, n uint64, _ int64) {
	h.step(c, d, off, n)
	h.gaps += n
}

func (h *streamCounter) step(c *Conn, d flow.Dir, off, n uint64) {
	k := c.ID*2 + uint64(d)
	if h.next[k] != off {
		h.t.Fatalf("conn %d %s: event at %d, want %d", c.ID, d, off, h.next[k])
	}
	h.next[k] = off + n
}

// TestHugeOutOfOrderWindowStaysBounded loses the first data segment of 64 connections,
// then sends 40,000 more segments (58 MB each, 3.5 GB in all) after each hole: far more out-of-order data
// than the per-connection and total limits allow. The tracker must stay within its
// limits, give holes up as gaps, and still cover every byte exactly once.
func TestHugeOutOfOrderWindowStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const conns, perConn, mss = 64, 40000, 1448
	cfg := Config{MaxBufferedPerConn: 1 << 20, MaxBufferedTotal: 16 << 20}
	h := &streamCounter{t: t, next: map[uint64]uint64{}}
	tr := NewTracker(cfg, h)
	payload := make([]byte, mss)
	ts := int64(1_700_000_000e9)
	var frame uint64
	add := func(s *decode.Segment) {
		frame++
		ts += 1000
		s.Frame, s.TS = frame, ts
		tr.Add(s)
	}
	for c := range conns {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(c)}), 40000)
		srv := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, 0, 1}), 80)
		add(&decode.Segment{Src: cli, Dst: srv, Seq: 100, Flags: tcp.SYN, Window: 65535})
		add(&decode.Segment{Src: srv, Dst: cli, Seq: 900, Ack: 101, Flags: tcp.SYN | tcp.ACK, Window: 65535})
		add(&decode.Segment{Src: cli, Dst: srv, Seq: 101, Ack: 901, Flags: tcp.ACK, Window: 65535})
		// Segment 0 is lost; segments 1..perConn arrive, none acknowledged, so only the
		// buffer limits can make the stream progress.
		for i := 1; i <= perConn; i++ {
			add(&decode.Segment{Src: srv, Dst: cli, Seq: 901 + tcpseqOff(i*mss), Ack: 101, Flags: tcp.ACK,
				Window: 65535, Payload: payload, PayloadLen: mss})
		}
		st := tr.Stats()
		if st.BufferedPeak > cfg.MaxBufferedTotal || st.Buffered > cfg.MaxBufferedTotal {
			t.Fatalf("after conn %d: %d bytes buffered (peak %d), total limit %d", c, st.Buffered, st.BufferedPeak, cfg.MaxBufferedTotal)
		}
	}
	tr.Flush(ts)
	st := tr.Stats()
	want := uint64(conns) * (perConn + 1) * mss
	if h.data+h.gaps != want {
		t.Errorf("data %d + gaps %d = %d, want %d", h.data, h.gaps, h.data+h.gaps, want)
	}
	if h.gaps < conns*mss || st.PerConnLimitHits == 0 {
		t.Errorf("gaps %d, per-conn limit hits %d: the lost segments must be given up as gaps", h.gaps, st.PerConnLimitHits)
	}
	// One connection at a time holds out-of-order data here, so the peak is that
	// connection's: the limit may be passed by the one segment that triggers it.
	if st.BufferedPeak > cfg.MaxBufferedPerConn+mss {
		t.Errorf("peak buffered %d over the per-connection limit %d (+1 segment)", st.BufferedPeak, cfg.MaxBufferedPerConn)
	}
	t.Logf("%d MB sent; %d bytes delivered, %d given up as gaps; peak buffered %d; stats %+v", want>>20, h.data, h.gaps, st.BufferedPeak, st)
}

func tcpseqOff(n int) tcpseq.Seq { return tcpseq.Seq(n) }
