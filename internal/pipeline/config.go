// Package pipeline wires one input through decode, reassembly, http1 and analysis into
// report records, and hands them to a report.Sink. A Pipeline processes its input in
// capture order on one goroutine; everything it remembers is proportional to the open
// connections and their out-of-order bytes, never to the size of the input.
//
// It owns the record-building tracker handler, the per-connection state, the segment
// log kept for the explanatory views, and the loop that reads frames. It does not own
// concurrency: internal/parallel runs pipelines on several goroutines, and imports this
// package, never the reverse. The module root (package segscope) is the public API.
package pipeline

import (
	"context"
	"io"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/filter"
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
)

var modeNames = [...]string{"packets", "conns", "http", "follow", "anatomy", "ladder", "diagnose"}

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
	// CommunityIDSeed is the seed of the records' Community IDs (0, the default, is what
	// Zeek, Suricata and Wireshark use unless configured otherwise).
	CommunityIDSeed uint16

	// Select, if set, selects connections (--conn lists, ranges, hosts, ports), as Conn
	// and ConnKey do; all three may be given, a connection must match each.
	Select *ConnSelect

	// Filter, if set, decides on each raw frame before anything else: a frame it rejects
	// is not decoded and does not count for Count. Frame numbers stay the input's.
	Filter *filter.Filter

	// Keep, if set, is called with every selected frame, in input order, to write it
	// (-w): every frame that passed Filter, or with a connection selection (Select, Conn,
	// ConnKey) the frames of selected connections. f is borrowed for the call. An error
	// ends the run. Keep needs Workers 1.
	Keep func(f *capture.Frame) error
	// MsgFrames, if set, replaces Keep's rule: it is called once per selected connection
	// with exchange Msg, with the frames that delivered that exchange's bytes and the
	// connection's handshake, sorted (for -w --msg, which reads the input again).
	MsgFrames func(conn uint64, frames []uint64)

	rejected uint64 // frames Filter rejected
	frags    *[maxFragKeys]filter.FragKey
	fragNext int

	Decode  decode.Config
	Tracker reassembly.Config
	HTTP    http1.Limits

	// Stream receives reassembled bytes in ModeFollow.
	Stream report.Stream

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

// checkEvery is how many frames ReadFrames reads between looks at its context.
const checkEvery = 4096

// ReadFrames reads src until its end, Count frames or the end of ctx (looked at every
// 4,096 frames), calling each for every frame (with the count of frames read so far) and
// Progress every 16,384 frames; each returns false to stop. It returns the source's
// error (nil at its end) or ctx's.
func ReadFrames(ctx context.Context, src capture.Source, cfg *Config, each func(f *capture.Frame, n uint64) bool) error {
	var n uint64
	var f capture.Frame // one for the whole run: each may not keep it, but it escapes
	var err error
	for {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
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
		if cfg.Filter != nil {
			ok, err := filterFrame(cfg, &f)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
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

// Run processes src to the end on the calling goroutine, as ReadFrames reads it, then
// flushes p (Finish). It returns the source's or ctx's error.
func (p *Pipeline) Run(ctx context.Context, src capture.Source) error {
	err := ReadFrames(ctx, src, &p.cfg, func(f *capture.Frame, n uint64) bool {
		p.Frame(f)
		return p.err == nil
	})
	p.Finish()
	return err
}
