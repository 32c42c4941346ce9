package reassembly

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
)

// nopHandler ignores everything.
type nopHandler struct{}

func (nopHandler) OnOpen(*Conn)                                          {}
func (nopHandler) OnSegment(*Conn, flow.Dir, *decode.Segment, *SegInfo)  {}
func (nopHandler) OnData(*Conn, flow.Dir, uint64, []byte, uint64, int64) {}
func (nopHandler) OnGap(*Conn, flow.Dir, uint64, uint64, int64)          {}
func (nopHandler) OnClose(*Conn)                                         {}

// countHandler counts opens and closes.
type countHandler struct {
	nopHandler
	opens, closes int
}

func (h *countHandler) OnOpen(*Conn)  { h.opens++ }
func (h *countHandler) OnClose(*Conn) { h.closes++ }

func TestMillionSYNsStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 1_000_000
	const maxConns = 20000
	h := &countHandler{}
	tr := NewTracker(Config{MaxConns: maxConns}, h)
	seg := &decode.Segment{Flags: tcp.SYN, Window: 65535, Dst: srvEP}
	var ms runtime.MemStats
	var peakHeap uint64
	for i := range n {
		seg.Frame = uint64(i + 1)
		seg.TS = 1e18 + int64(i)*1000
		seg.Seq = 12345
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		seg.Src = netip.AddrPortFrom(ip, uint16(1024+i%50000))
		tr.Add(seg)
		if i%100_000 == 99_999 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	st := tr.Stats()
	if tr.Len() > maxConns || st.PeakConns > maxConns {
		t.Errorf("%d conns held (peak %d), limit %d", tr.Len(), st.PeakConns, maxConns)
	}
	if st.Evictions != n-maxConns {
		t.Errorf("Evictions = %d, want %d", st.Evictions, n-maxConns)
	}
	if h.closes != n-maxConns || h.opens != n {
		t.Errorf("opens %d closes %d", h.opens, h.closes)
	}
	// A conn costs well under 1 KiB; allow 64 MiB for 20000 of them plus the map.
	if peakHeap > 64<<20 {
		t.Errorf("heap in use %d MiB", peakHeap>>20)
	}
	t.Logf("peak heap in use %.1f MiB for %d conns; stats %+v", float64(peakHeap)/(1<<20), tr.Len(), st)
	tr.Flush(seg.TS)
	if h.closes != n || tr.Len() != 0 {
		t.Errorf("after Flush: %d closes, %d conns", h.closes, tr.Len())
	}
}

// establish returns a tracker with an established connection, warmed up so that the
// conflict ring exists, and the client's next relative seq.
func establish(tb testing.TB, h Handler) (*Tracker, *conv, *decode.Segment) {
	v := newConv()
	tr := NewTracker(Config{}, h)
	for _, s := range v.handshake() {
		tr.Add(s)
	}
	seg := v.c(PA, 1, 1, string(make([]byte, 1460)))
	tr.Add(seg)
	return tr, v, seg
}

func TestZeroAllocsInOrder(t *testing.T) {
	tr, _, seg := establish(t, nopHandler{})
	allocs := testing.AllocsPerRun(1000, func() {
		seg.Seq = seg.Seq.Add(uint32(len(seg.Payload)))
		seg.Frame++
		seg.TS += 1000
		tr.Add(seg)
	})
	if allocs != 0 {
		t.Errorf("%v allocs per in-order segment, want 0", allocs)
	}
	if got := tr.Stats().Segments; got < 1000 {
		t.Errorf("segments = %d", got)
	}
}

func BenchmarkInOrder(b *testing.B) {
	tr, _, seg := establish(b, nopHandler{})
	b.SetBytes(int64(len(seg.Payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		seg.Seq = seg.Seq.Add(uint32(len(seg.Payload)))
		seg.Frame++
		seg.TS += 1000
		tr.Add(seg)
	}
}

// BenchmarkReordered swaps every pair of segments, so half are buffered and copied.
func BenchmarkReordered(b *testing.B) {
	tr, _, seg := establish(b, nopHandler{})
	n := uint32(len(seg.Payload))
	base := seg.Seq.Add(n)
	b.SetBytes(int64(2 * n))
	b.ReportAllocs()
	for b.Loop() {
		seg.Seq = base.Add(n)
		seg.Frame++
		tr.Add(seg)
		seg.Seq = base
		seg.Frame++
		tr.Add(seg)
		base = base.Add(2 * n)
	}
}

func BenchmarkNewConns(b *testing.B) {
	tr := NewTracker(Config{MaxConns: 10000}, nopHandler{})
	seg := &decode.Segment{Flags: tcp.SYN, Window: 65535, Dst: srvEP}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		seg.Frame = uint64(i)
		seg.TS = 1e18 + int64(i)
		seg.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%50000))
		tr.Add(seg)
	}
}
