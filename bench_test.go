package segscope_test

// Benchmarks per pipeline stage on a real capture, and allocation tests per packet on
// synthetic traffic.
//
// The benchmarks read the small benchmark capture of ../shared/bench/make-corpus.sh
// (/tmp/bench/bench-small-mtu1500.pcap; SEGSCOPE_BENCH_FILE names another file) into
// memory once, so disk I/O does not enter the numbers, and each iteration runs one stage
// more than the one before:
//
//	BenchmarkRead         capture.NewReader + Next to io.EOF
//	BenchmarkDecode       + decode.Decoder.Decode
//	BenchmarkTrack        + reassembly.Tracker.Add with a handler that does nothing
//	BenchmarkConns        segscope.Run ModeConns (HTTP parsed, no bodies decoded) to JSON
//	BenchmarkHTTP         segscope.Run ModeHTTP with a sink that discards
//	BenchmarkHTTPJSON     segscope.Run ModeHTTP rendered by render/jsonl to io.Discard
//	BenchmarkPacketsJSON  segscope.Run ModePackets rendered by render/jsonl to io.Discard
//
// Each reports MB/s of capture file (b.SetBytes), allocations, and packets/s.
//
//	go test -run '^$' -bench . -benchtime 20x .
//
// Test packets are built from field structs (synth.Packet) by hand, not with gopacket:
// gopacket is imported only by capture and decode (DESIGN.md), tests included.
// Identifiers here start with bench (newBench, Bench..., TestAllocs...; mem in memory_test.go)
// to stay clear of the other test files of package segscope_test.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/internal/synth"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

const benchDefaultFile = "/tmp/bench/bench-small-mtu1500.pcap"

type benchInput struct {
	data    []byte
	frames  int
	err     error
	skipped string
}

var (
	benchOnce sync.Once
	benchIn   benchInput
)

// benchLoad returns the benchmark capture, read once into memory, and its frame count.
func benchLoad(b *testing.B) ([]byte, int) {
	benchOnce.Do(func() {
		path := os.Getenv("SEGSCOPE_BENCH_FILE")
		if path == "" {
			path = benchDefaultFile
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			benchIn.skipped = path + " not found; make it with ../shared/bench/make-corpus.sh -m veth -z small (root), or set SEGSCOPE_BENCH_FILE"
			return
		}
		if err != nil {
			benchIn.err = err
			return
		}
		benchIn.data = data
		src, err := capture.NewReader(bytes.NewReader(data), path)
		if err != nil {
			benchIn.err = err
			return
		}
		for {
			if _, err := src.Next(); err != nil {
				if err != io.EOF {
					benchIn.err = err
				}
				break
			}
			benchIn.frames++
		}
	})
	if benchIn.skipped != "" {
		b.Skip(benchIn.skipped)
	}
	if benchIn.err != nil {
		b.Fatal(benchIn.err)
	}
	return benchIn.data, benchIn.frames
}

// benchLoop runs body once per iteration with a fresh Source over the capture, and
// reports bytes, allocations and packets per second.
func benchLoop(b *testing.B, body func(src capture.Source)) {
	data, frames := benchLoad(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		src, err := capture.NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		body(src)
		src.Close()
		n++
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(frames)*float64(n)/s, "packets/s")
	}
}

func BenchmarkRead(b *testing.B) {
	benchLoop(b, func(src capture.Source) {
		for {
			if _, err := src.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				return
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	var seg decode.Segment
	benchLoop(b, func(src capture.Source) {
		dec := decode.NewDecoder(decode.Config{})
		for {
			f, err := src.Next()
			if err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				return
			}
			dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg)
		}
	})
}

func BenchmarkTrack(b *testing.B) {
	var seg decode.Segment
	benchLoop(b, func(src capture.Source) {
		dec := decode.NewDecoder(decode.Config{})
		trk := reassembly.NewTracker(reassembly.Config{}, benchNopHandler{})
		var last int64
		for {
			f, err := src.Next()
			if err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			last = f.TS
			if dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg) == decode.KindTCP {
				trk.Add(&seg)
			}
		}
		trk.Flush(last)
	})
}

func benchRun(b *testing.B, mode segscope.Mode, json bool) { benchRunN(b, mode, json, 1) }

func benchRunN(b *testing.B, mode segscope.Mode, json bool, workers int) {
	benchLoop(b, func(src capture.Source) {
		var sink report.Sink = synth.Discard{}
		if json {
			sink = jsonl.New(io.Discard)
		}
		if _, err := segscope.Run(context.Background(), src, sink, segscope.Config{Mode: mode, Workers: workers}); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkConns(b *testing.B)       { benchRun(b, segscope.ModeConns, true) }
func BenchmarkHTTP(b *testing.B)        { benchRun(b, segscope.ModeHTTP, false) }
func BenchmarkHTTPJSON(b *testing.B)    { benchRun(b, segscope.ModeHTTP, true) }
func BenchmarkPacketsJSON(b *testing.B) { benchRun(b, segscope.ModePackets, true) }

// Sharded runs (--workers 2 and 4).
func BenchmarkHTTPJSONWorkers2(b *testing.B)    { benchRunN(b, segscope.ModeHTTP, true, 2) }
func BenchmarkHTTPJSONWorkers4(b *testing.B)    { benchRunN(b, segscope.ModeHTTP, true, 4) }
func BenchmarkConnsWorkers2(b *testing.B)       { benchRunN(b, segscope.ModeConns, true, 2) }
func BenchmarkPacketsJSONWorkers2(b *testing.B) { benchRunN(b, segscope.ModePackets, true, 2) }

// benchNopHandler is a reassembly.Handler that does nothing.
type benchNopHandler struct{}

func (benchNopHandler) OnOpen(*reassembly.Conn) {}
func (benchNopHandler) OnSegment(*reassembly.Conn, flow.Dir, *decode.Segment, *reassembly.SegInfo) {
}
func (benchNopHandler) OnData(*reassembly.Conn, flow.Dir, uint64, []byte, uint64, int64) {}
func (benchNopHandler) OnGap(*reassembly.Conn, flow.Dir, uint64, uint64, int64)          {}
func (benchNopHandler) OnClose(*reassembly.Conn)                                         {}

// ---- synthetic packets -------------------------------------------------------------------

// benchConn generates one established connection: the handshake, a request, then an
// endless response body of fixed-size segments, each acknowledged by the client.
type benchConn struct {
	cli, srv netip.AddrPort
	cseq     uint32 // next client sequence number
	sseq     uint32 // next server sequence number
	step     int
	ts       int64
	mss      int
	body     []byte
}

func newBenchConn(mss int) *benchConn {
	return &benchConn{
		cli:  netip.MustParseAddrPort("10.1.0.2:40000"),
		srv:  netip.MustParseAddrPort("10.1.0.1:80"),
		cseq: 0xffffffe0, // both directions wrap around early in the run
		sseq: 0xffff0000,
		ts:   1_700_000_000e9,
		mss:  mss,
		body: bytes.Repeat([]byte("0123456789abcdef"), (mss+15)/16)[:mss],
	}
}

var (
	benchReq  = []byte("GET /big HTTP/1.1\r\nHost: bench\r\n\r\n")
	benchResp = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000000000\r\n\r\n")
)

// frame appends the connection's next frame to b. Steps 0..4 are the handshake, the
// request and the response head; after that even steps are server data, odd steps
// client ACKs.
func (c *benchConn) frame(b []byte) []byte {
	c.ts += 10_000 // 10 µs
	p := synth.Packet{Win: 502}
	c2s := func() { p.Src, p.Dst, p.Seq, p.Ack = c.cli, c.srv, c.cseq, c.sseq }
	s2c := func() { p.Src, p.Dst, p.Seq, p.Ack = c.srv, c.cli, c.sseq, c.cseq }
	switch st := c.step; {
	case st == 0:
		c2s()
		p.Ack, p.Flags, p.MSS = 0, tcp.SYN, 1460
		c.cseq++
	case st == 1:
		s2c()
		p.Flags, p.MSS = tcp.SYN|tcp.ACK, 1460
		c.sseq++
	case st == 2:
		c2s()
		p.Flags, p.Payload = tcp.ACK|tcp.PSH, benchReq
		c.cseq += uint32(len(benchReq))
	case st == 3:
		s2c()
		p.Flags, p.Payload = tcp.ACK|tcp.PSH, benchResp
		c.sseq += uint32(len(benchResp))
	case st%2 == 0:
		s2c()
		p.Flags, p.Payload = tcp.ACK, c.body
		c.sseq += uint32(len(c.body))
	default:
		c2s()
		p.Flags = tcp.ACK
	}
	p.ID = uint16(c.step)
	c.step++
	return p.AppendFrame(b)
}

// source returns a Source of the connection's first n frames.
func (c *benchConn) source(n uint64) *synth.Source {
	return &synth.Source{Buf: make([]byte, 0, 2048), Frames: func(b []byte, i uint64) ([]byte, int64, bool) {
		if i > n {
			return nil, 0, false
		}
		b = c.frame(b)
		return b, c.ts, true
	}}
}

// TestAllocsPerPacket proves that an established, in-order connection costs no
// allocation per packet in decode, in reassembly (with a handler that does nothing), in
// `segscope packets --format json` and, for the bytes of a response body, in
// `segscope http`. The first two are measured per frame with testing.AllocsPerRun; the
// runs through segscope.Run are measured as the difference between a long and a short
// run of the same connection, so set-up costs cancel.
func TestAllocsPerPacket(t *testing.T) {
	if testing.CoverMode() != "" || benchRaceEnabled {
		t.Skip("allocation counts are not meaningful with -cover or -race")
	}
	t.Run("decode", func(t *testing.T) {
		c := newBenchConn(1448)
		dec := decode.NewDecoder(decode.Config{})
		var seg decode.Segment
		buf := make([]byte, 0, 2048)
		var n uint64
		step := func() {
			buf = c.frame(buf[:0])
			n++
			if k := dec.Decode(buf, decode.LinkType(1), len(buf), c.ts, n, &seg); k != decode.KindTCP {
				t.Fatalf("frame %d decoded as %v", n, k)
			}
		}
		for range 100 {
			step()
		}
		if a := testing.AllocsPerRun(2000, step); a != 0 {
			t.Errorf("decode.Decoder.Decode: %v allocations per frame, want 0", a)
		}
	})
	t.Run("decode+track", func(t *testing.T) {
		c := newBenchConn(1448)
		dec := decode.NewDecoder(decode.Config{})
		h := &benchCountHandler{}
		trk := reassembly.NewTracker(reassembly.Config{}, h)
		var seg decode.Segment
		buf := make([]byte, 0, 2048)
		var n uint64
		step := func() {
			buf = c.frame(buf[:0])
			n++
			if dec.Decode(buf, decode.LinkType(1), len(buf), c.ts, n, &seg) == decode.KindTCP {
				trk.Add(&seg)
			}
		}
		for range 100 {
			step()
		}
		before := h.bytes
		if a := testing.AllocsPerRun(2000, step); a != 0 {
			t.Errorf("decode + reassembly.Tracker.Add: %v allocations per frame, want 0", a)
		}
		if h.bytes == before || h.gaps != 0 {
			t.Errorf("the handler got %d bytes and %d gaps during the measurement; want in-order data only", h.bytes-before, h.gaps)
		}
	})
	// Run: (allocations of a run of long frames - those of short frames) / (long - short).
	perFrame := func(t *testing.T, cfg segscope.Config, sink func() report.Sink) float64 {
		const short, long = 8_000, 28_000 // short fills every batch of a sharded run once
		allocs := func(n uint64) float64 {
			return testing.AllocsPerRun(3, func() {
				if _, err := segscope.Run(context.Background(), newBenchConn(1448).source(n), sink(), cfg); err != nil {
					t.Fatal(err)
				}
			})
		}
		a1, a2 := allocs(short), allocs(long)
		t.Logf("allocations per run: %v for %d frames, %v for %d frames", a1, short, a2, long)
		return (a2 - a1) / (long - short)
	}
	t.Run("packets JSON", func(t *testing.T) {
		cfg := segscope.Config{Mode: segscope.ModePackets}
		if a := perFrame(t, cfg, func() report.Sink { return jsonl.New(io.Discard) }); a > 0 {
			t.Errorf("segscope.Run(context.Background(), ModePackets, jsonl): %.4f allocations per frame, want 0", a)
		}
	})
	t.Run("http body", func(t *testing.T) {
		cfg := segscope.Config{Mode: segscope.ModeHTTP}
		if a := perFrame(t, cfg, func() report.Sink { return synth.Discard{} }); a > 0 {
			t.Errorf("segscope.Run(context.Background(), ModeHTTP) streaming a response body: %.4f allocations per frame, want 0", a)
		}
	})
	// Sharded: batches, captured records and their arenas are reused. A run's fixed
	// cost (goroutines, batches) cancels out; a fraction of an allocation per frame
	// would be a batch or arena that is not.
	t.Run("packets JSON, 3 workers", func(t *testing.T) {
		cfg := segscope.Config{Mode: segscope.ModePackets, Workers: 3}
		if a := perFrame(t, cfg, func() report.Sink { return jsonl.New(io.Discard) }); a > 0 {
			t.Errorf("segscope.Run(context.Background(), ModePackets, jsonl, 3 workers): %.4f allocations per frame, want 0", a)
		}
	})
}

// benchCountHandler counts what it is handed.
type benchCountHandler struct {
	benchNopHandler
	bytes, gaps uint64
}

func (h *benchCountHandler) OnData(_ *reassembly.Conn, _ flow.Dir, _ uint64, data []byte, _ uint64, _ int64) {
	h.bytes += uint64(len(data))
}
func (h *benchCountHandler) OnGap(*reassembly.Conn, flow.Dir, uint64, uint64, int64) { h.gaps++ }

// benchRaceEnabled reports a -race build (the race runtime changes allocation counts).
var benchRaceEnabled = func() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}()
