package segscope_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/text"
)

// FuzzPipeline feeds arbitrary files through the whole pipeline in every mode. Invariants:
// no panic; the same input gives the same output twice and with two and three workers; a run that
// fails still returns its summary.
func FuzzPipeline(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "pcaps", "*.pcap*"))
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil && len(data) < 40<<10 {
			f.Add(data, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		// A run that does not end (a deadlock between the goroutines of a run with
		// workers, a loop) crashes the fuzzing process with every goroutine's stack, so
		// the input is kept; without this it would only stall the fuzzer.
		watchdog := time.AfterFunc(20*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("FuzzPipeline: a run took over 20 s\n%s", buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		mode := segscope.Mode(m % 7)
		run := func(workers int) string {
			src, err := capture.NewReader(bytes.NewReader(data), "fuzz")
			if err != nil {
				return "open: " + err.Error()
			}
			var out bytes.Buffer
			cfg := segscope.Config{Mode: mode, Workers: workers}
			if mode == segscope.ModeFollow {
				cfg.Stream = text.NewFollow(&out, text.FollowHex)
			}
			sum, err := segscope.Run(context.Background(), src, jsonl.New(&out), cfg)
			if sum == nil {
				t.Fatalf("Run returned no summary (err %v)", err)
			}
			if cfg.Stream != nil {
				cfg.Stream.(*text.Follow).Flush()
			}
			if err != nil {
				out.WriteString("error: " + err.Error())
			}
			return out.String()
		}
		a, b, c, d := run(1), run(1), run(2), run(3)
		if a != b || a != c || a != d {
			t.Fatalf("mode %s: output differs between runs or worker counts", mode)
		}
	})
}
