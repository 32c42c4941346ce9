// Package parallel runs a pipeline on several goroutines (Config.Workers > 1): pipelined,
// with reading and decoding on a goroutine of their own, or sharded, with the
// connections split between workers that each own a pipeline. Either way the output is
// byte-identical to a one-goroutine run. It imports internal/pipeline, never the reverse.
package parallel

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/internal/pipeline"
)

// Run processes src with p's Config.Workers goroutines besides the caller's, then
// flushes p (Finish). It returns the source's or ctx's error. A panic on any of its
// goroutines is raised again on the caller's.
func Run(ctx context.Context, src capture.Source, p *pipeline.Pipeline) error {
	var err error
	if shardable(p.Config()) {
		err = runSharded(ctx, src, p)
	} else {
		err = runPipelined(ctx, src, p)
	}
	p.Finish()
	return err
}

// With Config.Workers > 1, in the modes that are not sharded (shard.go: anatomy, ladder,
// diagnose, follow, and --conn N), the run is split in two stages on two goroutines: one
// reads and decodes frames, the other tracks connections, parses HTTP and writes records.
// Segments cross between them in batches, with their payload copied into the batch, so
// the second stage does exactly what a single-goroutine run does, in the same order:
// the output is byte-identical whatever the number of workers.

const (
	batchSegs  = 256
	batchBytes = capture.MaxCapLen // payload bytes per batch: any frame's payload fits an empty batch
	batchDepth = 4                 // batches in flight
)

// goPanic holds the first panic of a run's goroutines other than the caller's. A panic
// is a bug; it must reach the caller of Run (the command turns it into an error message,
// not a crash with a stack trace), so each goroutine recovers it here, lets the run wind
// down, and Run's goroutine panics again with it (rethrow).
type goPanic struct {
	p atomic.Pointer[panicValue]
}

type panicValue struct{ v any }

// catch, deferred, records a panic of the goroutine.
func (g *goPanic) catch() {
	if r := recover(); r != nil {
		g.p.CompareAndSwap(nil, &panicValue{v: r})
	}
}

func (g *goPanic) happened() bool { return g.p.Load() != nil }

// rethrow panics on the calling goroutine with the recorded panic, if any.
func (g *goPanic) rethrow() {
	if pv := g.p.Load(); pv != nil {
		panic(fmt.Sprintf("%v (in a worker goroutine)", pv.v))
	}
}

// segBatch is a run of decoded TCP segments with their payload, and where the input
// stood after them.
type segBatch struct {
	segs   []decode.Segment
	buf    []byte
	first  int64 // timestamp of the input's first frame (valid in every batch once set)
	hasFst bool
	last   int64  // timestamp of the last frame read so far
	frames uint64 // frames read so far (all kinds)
	err    error  // set on the last batch: the source's error (nil at io.EOF)
	end    bool   // the last batch
}

func newSegBatch() segBatch {
	return segBatch{segs: make([]decode.Segment, 0, batchSegs), buf: make([]byte, 0, batchBytes)}
}

// full reports whether seg does not fit in b.
func (b *segBatch) full(seg *decode.Segment) bool {
	return len(b.segs) == cap(b.segs) || len(b.buf)+len(seg.Payload) > cap(b.buf)
}

// add appends seg, copying its payload: it borrows the frame (or the defragmenter). The
// raw options, which also alias the frame, are not kept (nothing after decode reads them).
func (b *segBatch) add(seg *decode.Segment) {
	off := len(b.buf)
	b.buf = append(b.buf, seg.Payload...)
	s := *seg
	s.Payload = b.buf[off:len(b.buf):len(b.buf)]
	s.Opts.Raw = nil
	b.segs = append(b.segs, s)
}

func (b *segBatch) reset() { b.segs, b.buf = b.segs[:0], b.buf[:0] }

// reader is the read-and-decode stage of a run with workers.
type reader struct {
	frames      uint64
	first, last int64
	hasFirst    bool
}

// run reads and decodes src (as pipeline.ReadFrames does) and calls each for every TCP segment,
// whose payload is borrowed for the call; each returns false to stop.
func (r *reader) run(ctx context.Context, src capture.Source, cfg *pipeline.Config, dec *decode.Decoder, each func(seg *decode.Segment) bool) error {
	var seg decode.Segment
	return pipeline.ReadFrames(ctx, src, cfg, func(f *capture.Frame, n uint64) bool {
		r.frames = n
		if !r.hasFirst {
			r.first, r.hasFirst = f.TS, true
		}
		r.last = f.TS
		if dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg) != decode.KindTCP {
			return true
		}
		return each(&seg)
	})
}

// mark records where the input stands in b.
func (r *reader) mark(b *segBatch, end bool, err error) {
	b.first, b.hasFst, b.last, b.frames, b.end, b.err = r.first, r.hasFirst, r.last, r.frames, end, err
}

func runPipelined(ctx context.Context, src capture.Source, p *pipeline.Pipeline) error {
	cfg := p.Config()
	full := make(chan *segBatch, batchDepth)
	free := make(chan *segBatch, batchDepth+1)
	done := make(chan struct{})
	for range batchDepth + 1 {
		b := newSegBatch()
		free <- &b
	}

	// Stage 1: read and decode.
	var gp goPanic
	go func() {
		defer close(full)
		defer gp.catch()
		var rd reader
		b := <-free
		send := func(end bool, err error) bool {
			rd.mark(b, end, err)
			select {
			case full <- b:
			case <-done:
				return false
			}
			if end {
				return true
			}
			select {
			case b = <-free:
				b.reset()
				return true
			case <-done:
				return false
			}
		}
		err := rd.run(ctx, src, cfg, p.Decoder(), func(seg *decode.Segment) bool {
			if b.full(seg) && !send(false, nil) {
				return false
			}
			b.add(seg)
			return true
		})
		send(true, err)
	}()

	// Stage 2: everything else, exactly as in a single-goroutine run.
	var srcErr error
	for b := range full {
		if b.hasFst {
			p.Start(b.first)
		}
		for i := range b.segs {
			if p.Err() != nil {
				break
			}
			p.AddSegment(&b.segs[i])
		}
		p.Reached(b.frames, b.last)
		if b.end {
			srcErr = b.err
		}
		if p.Err() != nil {
			break
		}
		free <- b
	}
	close(done)
	for range full { // let stage 1 finish before its decoder's statistics are read
	}
	gp.rethrow()
	return srcErr
}
