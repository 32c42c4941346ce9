package reassembly

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// truth is the byte every segment carries at sequence number x, so any two copies of a
// byte agree and every delivered byte can be checked.
func truth(x tcpseq.Seq) byte { return byte(uint32(x)*31 ^ uint32(x)>>8 ^ uint32(x)>>16) }

// fuzzHandler checks, on top of the recorder's order checks, that delivered bytes are
// the true bytes of their offsets.
type fuzzHandler struct {
	*recorder
}

func (h fuzzHandler) OnData(c *Conn, d flow.Dir, off uint64, data []byte, frame uint64, ts int64) {
	base := c.Dir[d].ISN.Add(1).Add(uint32(off))
	for i, b := range data {
		if want := truth(base.Add(uint32(i))); b != want {
			h.t.Fatalf("conn %d %s: byte at offset %d = %#x, want %#x", c.ID, d, off+uint64(i), b, want)
		}
	}
	h.recorder.OnData(c, d, off, data, frame, ts)
}

// FuzzTracker feeds arbitrary segment sequences of two 4-tuples (7 bytes per segment:
// direction/tuple/flags, seq, length/truncation, ack, time step) and checks: no panic,
// each direction's OnData and OnGap calls are contiguous and non-overlapping (so data plus
// gaps cover the stream exactly once), every delivered byte is the one sent, no conflict
// is reported for consistent copies, and held bytes stay within the limits.
func FuzzTracker(f *testing.F) {
	f.Add([]byte{0x08, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{
		0x08, 0x00, 0x00, 0, 0, 0, 1, // SYN
		0x19, 0x00, 0x00, 0, 0x00, 0x01, 1, // SYN-ACK
		0x10, 0x00, 0x01, 10, 0x00, 0x01, 1, // data
		0x10, 0x00, 0x20, 10, 0x00, 0x01, 1, // data beyond a hole
		0x10, 0x00, 0x0b, 21, 0x00, 0x01, 1, // fills it
		0x04 | 0x10, 0x00, 0x2a, 0, 0x00, 0x01, 1, // FIN
	})
	f.Fuzz(runFuzzBody)
}

func runFuzzBody(t *testing.T, in []byte) {
	{
		cfg := Config{MaxConns: 2, MaxBufferedPerConn: 300, MaxBufferedTotal: 500, IdleTimeout: 200e6, CloseWait: 5e6, ClosedLinger: 50e6, RecentPerDir: 64}
		r := newRecorder(t)
		tr := NewTracker(cfg, fuzzHandler{r})
		cli := [2]netip.AddrPort{cliEP, netipPort(cliEP, 40001)}
		bases := [2]tcpseq.Seq{0xffffff00, 0x7fffff00}
		var frame uint64
		ts := int64(1e18)
		payload := make([]byte, 128)
		for len(in) >= 7 {
			op := in[:7]
			in = in[7:]
			fromServer := op[0]&1 != 0
			tuple := int(op[0]>>1) & 1
			var flags tcp.Flags
			if op[0]&0x04 != 0 {
				flags |= tcp.FIN
			}
			if op[0]&0x08 != 0 {
				flags |= tcp.SYN
			}
			if op[0]&0x10 != 0 {
				flags |= tcp.ACK
			}
			if op[0]&0x20 != 0 {
				flags |= tcp.RST
			}
			if op[0]&0x40 != 0 {
				flags |= tcp.PSH
			}
			seq := bases[b2i(fromServer)].Add(uint32(binary.BigEndian.Uint16(op[1:3])))
			if op[0]&0x80 != 0 { // a far jump, for new ISNs and bogus segments
				seq = seq.Add(uint32(op[1]) << 24)
			}
			n := int(op[3] & 0x7f)
			ack := bases[1-b2i(fromServer)].Add(uint32(binary.BigEndian.Uint16(op[4:6])))
			frame++
			ts += int64(op[6]) * 1e6
			for i := range n {
				payload[i] = truth(seq.Add(uint32(i) + b2u32(flags.Has(tcp.SYN))))
			}
			seg := &decode.Segment{Frame: frame, TS: ts, Seq: seq, Ack: ack, Flags: flags, Window: 512,
				Payload: payload[:n], PayloadLen: n}
			if op[3]&0x80 != 0 && n > 1 {
				seg.Payload = seg.Payload[:n/2]
				seg.Truncated = true
			}
			seg.Src, seg.Dst = cli[tuple], srvEP
			if fromServer {
				seg.Src, seg.Dst = seg.Dst, seg.Src
			}
			tr.Add(seg)
			checkLimits(t, tr)
		}
		tr.Flush(ts)
		st := tr.Stats()
		if st.Buffered != 0 || tr.Len() != 0 {
			t.Fatalf("after Flush: %d bytes held, %d conns", st.Buffered, tr.Len())
		}
		if st.ConflictBytes != 0 {
			t.Fatalf("%d conflict bytes with consistent copies", st.ConflictBytes)
		}
		for id := uint64(1); id <= st.Conns; id++ {
			if r.closed[id] != 1 {
				t.Fatalf("conn %d closed %d times", id, r.closed[id])
			}
		}
	}
}

func checkLimits(t *testing.T, tr *Tracker) {
	st := tr.Stats()
	if st.Buffered > tr.cfg.MaxBufferedTotal || st.Buffered < 0 {
		t.Fatalf("%d bytes held, limit %d", st.Buffered, tr.cfg.MaxBufferedTotal)
	}
	if tr.Len() > tr.cfg.MaxConns {
		t.Fatalf("%d conns, limit %d", tr.Len(), tr.cfg.MaxConns)
	}
	sum := 0
	for _, c := range tr.conns {
		for d := range c.Dir {
			b := c.Dir[d].st.buffered
			if b > tr.cfg.MaxBufferedPerConn {
				t.Fatalf("conn %d dir %d holds %d bytes, limit %d", c.ID, d, b, tr.cfg.MaxBufferedPerConn)
			}
			sum += b
			for _, ch := range c.Dir[d].st.live() {
				if ch.off < c.Dir[d].st.nxt {
					t.Fatalf("conn %d dir %d holds a chunk at %d below %d", c.ID, d, ch.off, c.Dir[d].st.nxt)
				}
			}
		}
	}
	if sum != st.Buffered {
		t.Fatalf("held bytes %d, stats say %d", sum, st.Buffered)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func b2u32(b bool) uint32 { return uint32(b2i(b)) }
