package segscope

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/segscope/segscope/capture"
)

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
	data, err := os.ReadFile("testdata/pcaps/keepalive.pcap")
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
	run := func(src capture.Source, cfg Config) (msg string) {
		defer func() {
			if r := recover(); r != nil {
				msg, _ = r.(string)
			}
		}()
		Run(src, nopSink{}, cfg)
		return ""
	}
	for _, tc := range []struct {
		name  string
		cfg   Config
		after int // frames before the source panics
		hook  func(int)
		want  string
	}{
		{"reader, sharded", Config{Mode: ModePackets, Workers: 2}, 10, nil, "source broke"},
		{"reader, pipelined", Config{Mode: ModeLadder, Workers: 2, Conn: 1}, 10, nil, "source broke"},
		{"worker", Config{Mode: ModeHTTP, Workers: 3}, 1 << 30, func(w int) {
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
