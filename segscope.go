// Package segscope is the library behind the segscope command: it wires a capture
// Source through decode, reassembly and http1 into report records, and hands them to a
// report.Sink. One Pipeline processes one input, in capture order, on one goroutine;
// everything it remembers is proportional to the open connections and their
// out-of-order bytes, never to the size of the input.
package segscope

import (
	"errors"
	"io"
	"sync/atomic"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// Mode says what a run computes and reports.
type Mode uint8

const (
	ModePackets  Mode = iota // one record per TCP segment
	ModeConns                // one record per connection
	ModeHTTP                 // one record per HTTP exchange
	ModeFollow               // the reassembled bytes of connections
	ModeAnatomy              // how each HTTP message of a connection was segmented
	ModeLadder               // a connection as a sequence diagram
	ModeDiagnose             // connection-management findings
	// ModeReport is everything the HTML report shows, for every connection: http and
	// anatomy records as exchanges complete; at each close the connection's picture (to a
	// report.PictureSink), findings, ladder events and, last, its conn record.
	ModeReport
)

var modeNames = [...]string{"packets", "conns", "http", "follow", "anatomy", "ladder", "diagnose", "report"}

// String returns the command name of the mode.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode?"
}

// Config configures a run.
type Config struct {
	Mode     Mode
	Conn     uint64    // report only this connection (0: all)
	ConnKey  *flow.Key // report only connections between these endpoints (nil: all)
	Count    uint64    // stop after this many frames (0: all)
	Absolute bool      // raw sequence numbers in segment records instead of relative ones
	MaxRows  int       // ladder: collapse runs of data segments beyond this many rows (0: never)
	Msg      int       // anatomy: only this exchange depth (0: all)
	MsgDir   string    // anatomy: "req", "resp" or "" for both

	Decode  decode.Config
	Tracker reassembly.Config
	HTTP    http1.Limits

	// Stream receives reassembled bytes in ModeFollow.
	Stream report.Stream

	// Stop, when set to non-zero by another goroutine (a signal handler), ends the run
	// after the current frame; everything read so far is flushed.
	Stop *atomic.Bool
	// Progress, if set, is called every few thousand frames with the frame count.
	Progress func(frames uint64)
	// Workers > 1 uses that many goroutines besides the reader (at most MaxWorkers): in
	// the packets, conns and http modes (without Conn) each tracks and parses the
	// connections whose 4-tuple hashes to it, and the main goroutine merges their records
	// in capture order; in the other modes reading and decoding run on a goroutine of
	// their own, in parallel with the rest. The output is byte-identical to a run with one
	// worker, unless the tracker's limits are reached: they are split between workers.
	// Segments go to the other goroutines in batches of 256, so a live or streamed source,
	// whose records should show as packets arrive, wants one worker.
	Workers int
}

// ErrStopped is returned by Run when Config.Stop ended it early. Output is complete up
// to that point.
var ErrStopped = errors.New("stopped")

// Run reads src to the end (or Count frames, or until Stop), writes records to sink and
// returns the summary. An error from src ends the run after everything read before it
// has been processed and flushed; Run then returns that error with the summary.
func Run(src capture.Source, sink report.Sink, cfg Config) (*report.Summary, error) {
	p := newPipeline(sink, cfg)
	var srcErr error
	switch {
	case shardable(&cfg):
		srcErr = runSharded(src, p)
	case cfg.Workers > 1:
		srcErr = runPipelined(src, p)
	default:
		srcErr = readFrames(src, &p.cfg, func(f *capture.Frame, n uint64) bool {
			p.frame(f)
			return p.err == nil
		})
	}
	p.finish()
	if p.err != nil {
		return &p.sum, p.err
	}
	return &p.sum, srcErr
}

// readFrames reads src until its end, Count frames or Stop, calling each for every frame
// (with the count of frames read so far) and Progress every 16,384 frames; each returns
// false to stop. It returns the source's error (nil at its end) or ErrStopped.
func readFrames(src capture.Source, cfg *Config, each func(f *capture.Frame, n uint64) bool) error {
	var n uint64
	var f capture.Frame // one for the whole run: each may not keep it, but it escapes
	var err error
	for {
		if cfg.Stop != nil && cfg.Stop.Load() {
			return ErrStopped
		}
		if cfg.Count > 0 && n >= cfg.Count {
			return nil
		}
		f, err = src.Next()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		n++
		if !each(&f, n) {
			return nil
		}
		if cfg.Progress != nil && n&0x3fff == 0 {
			cfg.Progress(n)
		}
	}
}
