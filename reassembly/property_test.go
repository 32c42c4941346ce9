package reassembly

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

type piece struct {
	off  int
	data []byte
}

// randomPieces cuts stream into segments, adds duplicates and overlapping copies (with
// altered bytes when mutate), and reorders them within a small window.
func randomPieces(rng *rand.Rand, stream []byte, mutate bool) []piece {
	var ps []piece
	for off := 0; off < len(stream); {
		n := min(1+rng.IntN(1500), len(stream)-off)
		ps = append(ps, piece{off, stream[off : off+n]})
		off += n
	}
	extra := rng.IntN(len(ps) + 1)
	for range extra {
		a := rng.IntN(len(stream))
		b := min(len(stream), a+1+rng.IntN(2000))
		data := bytes.Clone(stream[a:b])
		if mutate && rng.IntN(2) == 0 {
			for range 1 + rng.IntN(4) {
				data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
			}
		}
		at := rng.IntN(len(ps) + 1)
		ps = append(ps[:at], append([]piece{{a, data}}, ps[at:]...)...)
	}
	// Reorder within a window of 6.
	for i := range ps {
		j := min(len(ps)-1, i+rng.IntN(6))
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

func TestPropertyDeliveredOnceInOrder(t *testing.T) {
	totalConflicts, totalSegs := 0, 0
	defer func() {
		if totalConflicts == 0 {
			t.Errorf("no conflicting overlaps generated")
		}
		t.Logf("%d segments, %d conflicting bytes", totalSegs, totalConflicts)
	}()
	for iter := range 300 {
		rng := rand.New(rand.NewPCG(uint64(iter), 42))
		mutate := iter%2 == 1
		stream := make([]byte, 1+rng.IntN(30000))
		for i := range stream {
			stream[i] = byte(rng.IntN(256))
		}
		ps := randomPieces(rng, stream, mutate)

		// Expected: each byte from the first piece (in arrival order) that covers it; a
		// later covering byte that differs is one conflict byte.
		want := make([]byte, len(stream))
		have := make([]bool, len(stream))
		wantConflicts := 0

		v := newConv()
		v.cISN = tcpseq.Seq(0xffff0000 + uint32(rng.IntN(1<<20))) // cross the wrap-around often
		segs := v.handshake()
		for _, p := range ps {
			segs = append(segs, v.c(PA, uint32(p.off)+1, 1, string(p.data)))
		}
		r := newRecorder(t)
		keepAlive := map[uint64]bool{}
		kh := &classSpy{Handler: r, fn: func(seg *decode.Segment, info *SegInfo) {
			if info.Class.Has(tcp.ClassKeepAlive) {
				keepAlive[seg.Frame] = true
			}
		}}
		tr := NewTracker(Config{RecentPerDir: 1 << 20}, kh)
		for i, s := range segs {
			tr.Add(s)
			if i < 3 || keepAlive[s.Frame] {
				continue
			}
			p := ps[i-3]
			for k, b := range p.data {
				x := p.off + k
				if !have[x] {
					have[x], want[x] = true, b
				} else if want[x] != b {
					wantConflicts++
				}
			}
		}
		tr.Flush(v.ts)
		totalConflicts += wantConflicts
		totalSegs += len(segs)
		c := tr.conns // emptied by Flush
		if len(c) != 0 {
			t.Fatalf("iter %d: %d conns left after Flush", iter, len(c))
		}
		got := r.data[1][flow.C2S]
		if !bytes.Equal(got, want) {
			t.Fatalf("iter %d (mutate %v): delivered %d bytes, want %d; first difference at %d",
				iter, mutate, len(got), len(want), firstDiff(got, want))
		}
		if n := tr.Stats().ConflictBytes; n != uint64(wantConflicts) {
			t.Fatalf("iter %d: ConflictBytes = %d, want %d", iter, n, wantConflicts)
		}
		if !mutate && wantConflicts != 0 {
			t.Fatalf("iter %d: conflicts without mutation", iter)
		}
		if g := tr.Stats().GapBytes; g != 0 {
			t.Fatalf("iter %d: %d gap bytes", iter, g)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// classSpy wraps a Handler and sees every OnSegment.
type classSpy struct {
	Handler
	fn func(seg *decode.Segment, info *SegInfo)
}

func (s *classSpy) OnSegment(c *Conn, d flow.Dir, seg *decode.Segment, info *SegInfo) {
	s.fn(seg, info)
	s.Handler.OnSegment(c, d, seg, info)
}
