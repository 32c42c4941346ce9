package segscope

import (
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
)

// With Config.Workers > 1 the run is split in two stages on two goroutines: one reads
// and decodes frames, the other tracks connections, parses HTTP and writes records.
// Segments cross between them in batches, with their payload copied into the batch, so
// the second stage does exactly what a single-goroutine run does, in the same order:
// the output is byte-identical whatever the number of workers.

const (
	batchSegs  = 512
	batchBytes = 1 << 20 // payload bytes per batch; larger than any frame (capture.MaxCapLen)
	batchDepth = 4       // batches in flight
)

// batch is a run of decoded TCP segments with their payload.
type batch struct {
	segs   []decode.Segment
	buf    []byte
	first  int64 // timestamp of the input's first frame (valid in every batch once set)
	hasFst bool
	last   int64  // timestamp of the last frame read so far
	frames uint64 // frames read so far (all kinds)
	err    error  // set on the last batch: the source's error (nil at io.EOF)
	end    bool   // the last batch
}

func runPipelined(src capture.Source, p *pipeline) error {
	cfg := &p.cfg
	full := make(chan *batch, batchDepth)
	free := make(chan *batch, batchDepth+1)
	done := make(chan struct{})
	for range batchDepth + 1 {
		free <- &batch{segs: make([]decode.Segment, 0, batchSegs), buf: make([]byte, 0, batchBytes)}
	}

	// Stage 1: read and decode.
	go func() {
		defer close(full)
		var frames uint64
		var first, last int64
		hasFirst := false
		b := <-free
		send := func(end bool, err error) bool {
			b.first, b.hasFst, b.last, b.frames, b.end, b.err = first, hasFirst, last, frames, end, err
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
				return true
			case <-done:
				return false
			}
		}
		var seg decode.Segment
		err := readFrames(src, cfg, func(f *capture.Frame, n uint64) bool {
			frames = n
			if !hasFirst {
				first, hasFirst = f.TS, true
			}
			last = f.TS
			if p.dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg) != decode.KindTCP {
				return true
			}
			if len(b.segs) == cap(b.segs) || len(b.buf)+len(seg.Payload) > cap(b.buf) {
				if !send(false, nil) {
					return false
				}
				b.segs, b.buf = b.segs[:0], b.buf[:0]
			}
			// The payload borrows the frame (or the defragmenter): copy it into the batch.
			off := len(b.buf)
			b.buf = append(b.buf, seg.Payload...)
			seg.Payload = b.buf[off:len(b.buf):len(b.buf)]
			b.segs = append(b.segs, seg)
			return true
		})
		send(true, err)
	}()

	// Stage 2: everything else, exactly as in a single-goroutine run.
	var srcErr error
	for b := range full {
		if b.hasFst && !p.firstSet {
			p.first, p.firstSet = b.first, true
		}
		for i := range b.segs {
			if p.err != nil {
				break
			}
			p.sum.TCPSegments++
			p.trk.Add(&b.segs[i])
		}
		p.sum.Frames, p.lastTS = b.frames, b.last
		if b.end {
			srcErr = b.err
		}
		b.segs, b.buf = b.segs[:0], b.buf[:0]
		if p.err != nil {
			break
		}
		free <- b
	}
	close(done)
	for range full { // let stage 1 finish before its decoder's statistics are read
	}
	return srcErr
}
