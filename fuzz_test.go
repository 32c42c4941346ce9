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
// no panic; the same input gives the same output with one, two and three workers; a run
// that fails still returns its summary. Run it with a short minimisation budget, or the
// fuzzer spends its time shrinking inputs instead of exploring:
//
//	go test -run XXX -fuzz FuzzPipeline -fuzzminimizetime 2s -fuzztime 5m .
func FuzzPipeline(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "pcaps", "*.pcap*"))
	// Seeds are the project's captures cut to their first 8 KiB: a fuzzer's execs and the
	// minimisation of each new input cost time in proportion to the input's length.
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data[:min(len(data), 8<<10)], uint8(0))
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
		// One, two and three workers: any difference between runs (map order, a race
		// between the goroutines of a run) shows between these as well as between two
		// runs with one worker, at three runs' cost instead of four.
		a, c, d := run(1), run(2), run(3)
		if a != c || a != d {
			t.Fatalf("mode %s: output differs between worker counts", mode)
		}
	})
}
