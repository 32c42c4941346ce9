package parquet_test

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/parquet"
	"github.com/segscope/segscope/report"
)

// BenchmarkPackets compares the whole run of `segscope packets` into Parquet and into
// JSON Lines, on SEGSCOPE_BENCH_PCAP (default: the repository's parallel.pcap), output
// discarded.
func BenchmarkPackets(b *testing.B) {
	path := os.Getenv("SEGSCOPE_BENCH_PCAP")
	if path == "" {
		path = capturePath
	}
	for _, c := range []struct {
		name string
		sink func() report.Sink
	}{
		{"json", func() report.Sink { return jsonl.New(io.Discard) }},
		{"parquet", func() report.Sink { return parquet.New(io.Discard, parquet.Segments) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				src, err := capture.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := segscope.Run(context.Background(), src, c.sink(), segscope.Config{Mode: segscope.ModePackets}); err != nil {
					b.Fatal(err)
				}
				src.Close()
			}
		})
	}
}
