package capture

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// bigCapture returns a capture of n frames of 60..1514 bytes in the given format.
func bigCapture(ng bool, n int) []byte {
	var buf bytes.Buffer
	var w *Writer
	if ng {
		w, _ = NewPcapngWriter(&buf, 1, 0)
	} else {
		w, _ = NewPcapWriter(&buf, 1, 0)
	}
	data := frameData(1, 1514)
	for i := range n {
		l := 60 + (i*97)%1455
		w.WritePacket(Info{TS: int64(i) * 1e6, OrigLen: l, LinkType: 1}, data[:l])
	}
	w.Flush()
	return buf.Bytes()
}

// TestZeroAllocs proves Next does not allocate in steady state.
func TestZeroAllocs(t *testing.T) {
	for _, c := range []struct {
		name string
		file []byte
	}{
		{"pcap", bigCapture(false, 5000)},
		{"pcapng", bigCapture(true, 5000)},
		{"pcap gzip", gzipBytes(bigCapture(false, 5000))},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(c.file), "x")
			if err != nil {
				t.Fatal(err)
			}
			for range 100 { // warm up
				src.Next()
			}
			allocs := testing.AllocsPerRun(4000, func() {
				if _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("Next: %v allocs per frame, want 0", allocs)
			}
		})
	}
}

func TestWriterZeroAllocs(t *testing.T) {
	for _, ng := range []bool{false, true} {
		var w *Writer
		if ng {
			w, _ = NewPcapngWriter(io.Discard, 1, 0)
		} else {
			w, _ = NewPcapWriter(io.Discard, 1, 0)
		}
		data := frameData(1, 1514)
		allocs := testing.AllocsPerRun(1000, func() {
			w.WritePacket(Info{TS: 1, LinkType: 1}, data)
		})
		if allocs != 0 {
			t.Errorf("WritePacket (pcapng %v): %v allocs, want 0", ng, allocs)
		}
	}
}

func benchRead(b *testing.B, file []byte) {
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	rd := bytes.NewReader(file)
	for b.Loop() {
		rd.Reset(file)
		src, err := NewReader(rd, "x")
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := src.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

func BenchmarkReadPcap(b *testing.B)   { benchRead(b, bigCapture(false, 20000)) }
func BenchmarkReadPcapng(b *testing.B) { benchRead(b, bigCapture(true, 20000)) }
func BenchmarkReadPcapGzip(b *testing.B) {
	file := bigCapture(false, 20000)
	benchRead(b, gzipBytes(file))
	b.SetBytes(int64(len(file))) // MB/s of uncompressed capture
}

// BenchmarkReadSharedCorpus reads all files of the shared corpus (from memory).
func BenchmarkReadSharedCorpus(b *testing.B) {
	var files [][]byte
	var total int64
	for _, p := range sharedPcaps(b) {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, d)
		total += int64(len(d))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			src, err := NewReader(bytes.NewReader(f), "x")
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := src.Next(); err != nil {
					break
				}
			}
		}
	}
}

// BenchmarkNext measures one Next in steady state (no per-file setup).
func BenchmarkNext(b *testing.B) {
	for _, ng := range []bool{false, true} {
		name := "pcap"
		if ng {
			name = "pcapng"
		}
		b.Run(name, func(b *testing.B) {
			file := bigCapture(ng, 20000)
			rd := bytes.NewReader(file)
			src, _ := NewReader(rd, "x")
			b.ReportAllocs()
			b.SetBytes(int64(len(file)) / 20000)
			for b.Loop() {
				if _, err := src.Next(); err == io.EOF {
					rd.Reset(file)
					src, _ = NewReader(rd, "x")
				}
			}
		})
	}
}

func BenchmarkWritePcapng(b *testing.B) {
	w, _ := NewPcapngWriter(io.Discard, 1, 0)
	data := frameData(1, 1514)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w.WritePacket(Info{TS: 1, LinkType: 1, OrigLen: 1514}, data)
	}
}

// BenchmarkOpenSharedCorpus reads every file of the shared corpus from disk with Open.
func BenchmarkOpenSharedCorpus(b *testing.B) {
	files := sharedPcaps(b)
	var total int64
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		src, err := OpenFiles(files)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := src.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
		src.Close()
	}
}
