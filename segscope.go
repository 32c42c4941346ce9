// Package segscope is the library behind the segscope command: Run wires a capture
// Source through decode, reassembly and http1 into report records, and hands them to a
// report.Sink. A run processes one input in capture order; everything it remembers is
// proportional to the open connections and their out-of-order bytes, never to the size
// of the input.
//
// This package is the API only. The record-building pipeline lives in
// internal/pipeline, and the runners with several goroutines in internal/parallel.
package segscope

import (
	"context"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/internal/parallel"
	"github.com/segscope/segscope/internal/pipeline"
	"github.com/segscope/segscope/report"
)

// Mode says what a run computes and reports.
type Mode = pipeline.Mode

const (
	ModePackets  = pipeline.ModePackets  // one record per TCP segment
	ModeConns    = pipeline.ModeConns    // one record per connection
	ModeHTTP     = pipeline.ModeHTTP     // one record per HTTP exchange
	ModeFollow   = pipeline.ModeFollow   // the reassembled bytes of connections
	ModeAnatomy  = pipeline.ModeAnatomy  // how each HTTP message of a connection was segmented
	ModeLadder   = pipeline.ModeLadder   // a connection as a sequence diagram
	ModeDiagnose = pipeline.ModeDiagnose // connection-management findings
)

// Config configures a run: what it reports (Mode, the connection selection), the
// limits of decode, reassembly and http1, and how many goroutines it uses (Workers).
type Config = pipeline.Config

// ConnSelect selects connections for display (--conn lists, ranges, endpoints).
type ConnSelect = pipeline.ConnSelect

// FilterError is a filter expression that cannot be compiled for a frame's link type.
type FilterError = pipeline.FilterError

// MaxWorkers bounds Config.Workers (more are taken as MaxWorkers).
const MaxWorkers = parallel.MaxWorkers

// Run reads src to the end (or Count frames, or until ctx ends), writes records to sink
// and returns the summary. ctx is looked at every few thousand frames; when it ends the
// run, everything read so far is flushed and Run returns ctx's error. An error from src
// also ends the run after everything read before it has been processed and flushed; Run
// then returns that error with the summary.
func Run(ctx context.Context, src capture.Source, sink report.Sink, cfg Config) (*report.Summary, error) {
	p := pipeline.New(sink, cfg)
	var srcErr error
	if cfg.Workers > 1 {
		srcErr = parallel.Run(ctx, src, p)
	} else {
		srcErr = p.Run(ctx, src)
	}
	if err := p.Err(); err != nil {
		return p.Summary(), err
	}
	return p.Summary(), srcErr
}
