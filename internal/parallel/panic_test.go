package parallel

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/internal/pipeline"
	"github.com/segscope/segscope/report"
)

// nopSink drops every record.
type nopSink struct{}

func (nopSink) Segment(*report.Segment) error { return nil }
func (nopSink) Conn(*report.Conn) error       { return nil }
func (nopSink) HTTP(*report.HTTP) error       { return nil }
func (nopSink) Anatomy(*report.Anatomy) error { return nil }
func (nopSink) Event(*report.Event) error     { return nil }
func (nopSink) Finding(*report.Finding) error { return nil }
func (nopSink) Close() error                  { return nil }

// panicSource yields the frames of a capture, then panics.
type panicSource struct {
	capture.Source
	n, after int
}

func (s *panicSource) Next() (capture.Frame, error) {
	if s.n++; s.n > s.after {
		panic("source broke")
	}
	return s.Source.Next()
}

// TestPanicReachesCaller checks that a panic on a goroutine of a run with workers (the
// reader, a worker) comes back as a panic of Run's caller, which the command reports as
// an internal error, instead of crashing the process with a stack trace; and that the
// run's goroutines end.
func TestPanicReachesCaller(t *testing.T) {
	data, err := os.ReadFile("../../testdata/pcaps/keepalive.pcap")
	if err != nil {
		t.Skip(err)
	}
	open := func() capture.Source {
		src, err := capture.NewReader(bytes.NewReader(data), "keepalive.pcap")
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	run := func(src capture.Source, cfg pipeline.Config) (msg string) {
		defer func() {
			if r := recover(); r != nil {
				msg, _ = r.(string)
			}
		}()
		Run(context.Background(), src, pipeline.New(nopSink{}, cfg))
		return ""
	}
	for _, tc := range []struct {
		name  string
		cfg   pipeline.Config
		after int // frames before the source panics
		hook  func(int)
		want  string
	}{
		{"reader, sharded", pipeline.Config{Mode: pipeline.ModePackets, Workers: 2}, 10, nil, "source broke"},
		{"reader, pipelined", pipeline.Config{Mode: pipeline.ModeLadder, Workers: 2, Conn: 1}, 10, nil, "source broke"},
		{"worker", pipeline.Config{Mode: pipeline.ModeHTTP, Workers: 3}, 1 << 30, func(w int) {
			if w == 1 {
				panic("worker broke")
			}
		}, "worker broke"},
	} {
		testHookBatch = tc.hook
		msg := run(&panicSource{Source: open(), after: tc.after}, tc.cfg)
		testHookBatch = nil
		if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "in a worker goroutine") {
			t.Errorf("%s: Run's caller got panic %q, want one with %q", tc.name, firstLine(msg), tc.want)
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
