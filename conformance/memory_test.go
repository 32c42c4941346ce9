package conformance_test

// A memory test, not a timing test: a generated capture of millions of packets (many
// short HTTP connections, interleaved, with 4-tuples reused after close, and a flood of
// SYN-only connections that are never answered) streams through segscope.Run in
// ModeHTTP, and the live heap, sampled through Config.Progress, must stay under a fixed
// bound and must not grow with the number of connections seen once the connection table
// is full. The frames are produced one at a time into a reused buffer (synth.Source), so
// the test itself holds no capture in memory.
//
// SEGSCOPE_MEMTEST_PROFILE=FILE writes a heap profile (go tool pprof -sample_index
// inuse_space) at the sample with the most live heap.

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/internal/synth"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

const (
	memFrames     = 2_500_000 // frames generated
	memSlots      = 48        // HTTP connections open at once
	memPortPool   = 3000      // client ports: a port is reused every memPortPool connections
	memSynEvery   = 8         // one frame in memSynEvery is a SYN nobody answers
	memStepNS     = 10_000    // packet time between frames (25 s in all)
	memBodyLen    = 1000
	memSampleEach = 4 // force a GC and sample every memSampleEach Progress calls

	// memMaxConns is the configured size of the connection table. The SYN flood fills it
	// within the first tenth of the run; from then on every new connection evicts the
	// oldest tombstone (closed connections linger 60 s of packet time, longer than the
	// run) or SYN-only connection.
	memMaxConns = 8192
	// memPerConn is the budget of live heap per table entry, in bytes: the reassembly.Conn,
	// the pipeline's connection state and, for connections that carried bytes, an
	// http1.Parser (pooled) with its exchange records. Measured (see BENCHMARKS.md): about
	// 4,000 bytes per entry at 3e2259c, 6,300 from fa57c44, 2,120 since b7dca69 (parsers
	// only for connections that carry bytes). Lower it as the per-connection state shrinks.
	memPerConn = 3 << 10
	// memFixed covers everything not proportional to the table: rings of recently
	// delivered bytes of the open connections, decoder and pipeline buffers, map buckets.
	memFixed = 8 << 20
)

// memLiveBound is the most live heap the run may add, in bytes.
const memLiveBound = memMaxConns*memPerConn + memFixed

var (
	memReq  = []byte("GET /index.html HTTP/1.1\r\nHost: mem.test\r\nUser-Agent: memtest\r\n\r\n")
	memResp = append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", memBodyLen)),
		make([]byte, memBodyLen)...)
)

// memSlot plays one HTTP connection after another: handshake, 1 to 3 exchanges
// (request; response in one segment; ACK), FIN from the client, FIN from the server,
// last ACK.
type memSlot struct {
	cli, srv   netip.AddrPort
	cseq, sseq uint32
	exchanges  int
	step       int
}

type memGen struct {
	slots [memSlots]memSlot
	next  int    // slot to play next
	conns uint64 // HTTP connections started
	reqs  uint64 // HTTP requests generated
	resps uint64 // HTTP responses generated
	syns  uint64 // SYN-only connections
	srv   netip.AddrPort
}

func (g *memGen) start(s *memSlot) {
	n := g.conns
	g.conns++
	port := uint16(10000 + n%memPortPool)
	*s = memSlot{
		cli:       netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, 0, 2}), port),
		srv:       g.srv,
		cseq:      uint32(n*2654435761 + 12345),
		sseq:      uint32(n*40503 + 777),
		exchanges: 1 + int(n%3),
	}
}

// frame appends frame number i (1-based) to b.
func (g *memGen) frame(b []byte, i uint64) []byte {
	if i%memSynEvery == 0 {
		n := g.syns
		g.syns++
		p := synth.Packet{
			Src:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 3, byte(n >> 16), byte(n >> 8)}), uint16(20000+n%256)),
			Dst:   g.srv,
			Seq:   uint32(n * 7919),
			Flags: tcp.SYN, Win: 64240, MSS: 1460,
		}
		return p.AppendFrame(b)
	}
	s := &g.slots[g.next]
	g.next = (g.next + 1) % memSlots
	if s.step == 0 {
		g.start(s)
	}
	p := synth.Packet{Win: 502, ID: uint16(s.step)}
	c2s := func(flags tcp.Flags, payload []byte) {
		p.Src, p.Dst, p.Seq, p.Ack, p.Flags, p.Payload = s.cli, s.srv, s.cseq, s.sseq, flags, payload
		s.cseq += uint32(len(payload))
		if flags.Any(tcp.SYN | tcp.FIN) {
			s.cseq++
		}
	}
	s2c := func(flags tcp.Flags, payload []byte) {
		p.Src, p.Dst, p.Seq, p.Ack, p.Flags, p.Payload = s.srv, s.cli, s.sseq, s.cseq, flags, payload
		s.sseq += uint32(len(payload))
		if flags.Any(tcp.SYN | tcp.FIN) {
			s.sseq++
		}
	}
	last := 3 + 3*s.exchanges // first step of the close
	switch st := s.step; {
	case st == 0:
		c2s(tcp.SYN, nil)
		p.Ack, p.MSS = 0, 1460
	case st == 1:
		s2c(tcp.SYN|tcp.ACK, nil)
		p.MSS = 1460
	case st == 2:
		c2s(tcp.ACK, nil)
	case st < last:
		switch (st - 3) % 3 {
		case 0:
			c2s(tcp.PSH|tcp.ACK, memReq)
			g.reqs++
		case 1:
			s2c(tcp.PSH|tcp.ACK, memResp)
			g.resps++
		case 2:
			c2s(tcp.ACK, nil)
		}
	case st == last:
		c2s(tcp.FIN|tcp.ACK, nil)
	case st == last+1:
		s2c(tcp.FIN|tcp.ACK, nil)
	default:
		c2s(tcp.ACK, nil)
	}
	if s.step == last+2 {
		s.step = 0
	} else {
		s.step++
	}
	return p.AppendFrame(b)
}

// memSink counts HTTP records.
type memSink struct {
	synth.Discard
	http, ok uint64
}

func (s *memSink) HTTP(h *report.HTTP) error {
	s.http++
	if h.Status == 200 && h.RespBodyLen == memBodyLen && h.Verdict == "complete" {
		s.ok++
	}
	return nil
}

func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 2.5 million packets; skipped with -short")
	}
	if raceEnabled {
		t.Skip("too slow under -race, and the race runtime changes what is allocated")
	}
	// One worker, and two sharding the connections (each with half the table).
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { memoryFlat(t, workers) })
	}
}

func memoryFlat(t *testing.T, workers int) {
	g := &memGen{srv: netip.MustParseAddrPort("10.2.0.1:80")}
	const t0 = 1_700_000_000e9
	src := &synth.Source{Buf: make([]byte, 0, 2048), Frames: func(b []byte, i uint64) ([]byte, int64, bool) {
		if i > memFrames {
			return nil, 0, false
		}
		return g.frame(b, i), t0 + int64(i)*memStepNS, true
	}}

	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	type point struct {
		frames      uint64
		live, total uint64
	}
	var points []point
	calls := 0
	profile := os.Getenv("SEGSCOPE_MEMTEST_PROFILE") // a heap profile at the highest sample
	var maxSeen uint64
	sample := func(frames uint64) {
		metrics.Read(samples[1:]) // heap objects, live and dead, before collecting
		total := samples[1].Value.Uint64()
		runtime.GC()
		metrics.Read(samples[:1])
		live := samples[0].Value.Uint64()
		points = append(points, point{frames, live, total})
		if profile != "" && live > maxSeen {
			maxSeen = live
			if f, err := os.Create(profile); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
	runtime.GC()
	sample(0)
	base := points[0].live
	sink := &memSink{}
	cfg := segscope.Config{Mode: segscope.ModeHTTP, Workers: workers, Progress: func(frames uint64) {
		if calls++; calls%memSampleEach == 0 {
			sample(frames)
		}
	}}
	cfg.Tracker.MaxConns = memMaxConns
	sum, err := segscope.Run(context.Background(), src, sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sample(sum.Frames)

	var maxLive, maxTotal uint64
	var maxLiveAt uint64
	for _, p := range points {
		if p.live > maxLive {
			maxLive, maxLiveAt = p.live, p.frames
		}
		maxTotal = max(maxTotal, p.total)
	}
	mib := func(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }
	t.Logf("%d frames, %d HTTP connections (%d requests), %d SYN-only connections; summary: %d conns, %d evicted",
		sum.Frames, g.conns, g.reqs, g.syns, sum.Conns, sum.Evicted)
	t.Logf("live heap: %s before the run, at most %s (at frame %d), %s at the end; heap objects incl. garbage at most %s; %d samples",
		mib(base), mib(maxLive), maxLiveAt, mib(points[len(points)-1].live), mib(maxTotal), len(points))
	for i, p := range points {
		if i%8 == 0 || i == len(points)-1 {
			t.Logf("  frame %8d: live %s, heap objects %s", p.frames, mib(p.live), mib(p.total))
		}
	}

	if sum.Frames != memFrames {
		t.Errorf("Run read %d frames, want %d", sum.Frames, memFrames)
	}
	// Every request is reported, those answered as complete exchanges; the connections
	// still open at the end are flushed too.
	if sink.http != g.reqs || sink.ok != g.resps {
		t.Errorf("HTTP records: %d, %d of them complete 200 with a %d-byte body; want %d and %d", sink.http, sink.ok, memBodyLen, g.reqs, g.resps)
	}
	t.Logf("%.0f bytes of live heap per connection-table entry (MaxConns %d)", float64(maxLive-base)/memMaxConns, memMaxConns)
	if maxLive-base > memLiveBound {
		t.Errorf("live heap grew by %s during the run, want at most %s (%d table entries of %d bytes, plus %s)\n"+
			"hint: SEGSCOPE_MEMTEST_PROFILE=/tmp/heap.pprof go test -run TestMemoryFlat . && go tool pprof -sample_index=inuse_space -top /tmp/heap.pprof",
			mib(maxLive-base), mib(memLiveBound), memMaxConns, memPerConn, mib(memFixed))
	}
	// Flat: the second half of the run (connection table long full) holds no more than
	// the first half did, give or take 25% and 2 MiB of noise.
	half := len(points) / 2
	var first, second uint64
	for i, p := range points {
		if i < half {
			first = max(first, p.live)
		} else {
			second = max(second, p.live)
		}
	}
	if second > first+first/4+2<<20 {
		t.Errorf("live heap still growing: at most %s in the first half of the run, %s in the second", mib(first), mib(second))
	}
}

// raceEnabled reports a -race build (the race runtime changes what is allocated).
var raceEnabled = func() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}()
