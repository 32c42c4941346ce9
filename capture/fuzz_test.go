package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// fuzzBufSize is the read buffer used while fuzzing: large enough for any record this
// package accepts, smaller than the default so that fuzzing is fast.
const fuzzBufSize = MaxCapLen + 64<<10

type readResult struct {
	frames []string // a digest of each frame
	err    string
}

// readFuzz reads data through r and checks the per-frame invariants.
func readFuzz(t *testing.T, r io.Reader) readResult {
	var res readResult
	src, err := newReaderSize(r, "x", fuzzBufSize)
	if err != nil {
		checkErr(t, err, false)
		res.err = err.Error()
		return res
	}
	last := uint64(0)
	for range 100000 {
		f, err := src.Next()
		if err != nil {
			if err != io.EOF {
				checkErr(t, err, true)
				res.err = err.Error()
			}
			if err2 := src.Close(); err2 != nil {
				t.Fatalf("Close: %v", err2)
			}
			return res
		}
		if len(f.Data) != f.CapLen || f.CapLen > MaxCapLen || f.CapLen < 0 || f.OrigLen < 0 {
			t.Fatalf("frame %d: len(Data) %d, CapLen %d, OrigLen %d", f.Frame, len(f.Data), f.CapLen, f.OrigLen)
		}
		if f.Frame <= last {
			t.Fatalf("frame number %d after %d", f.Frame, last)
		}
		if f.Interface < 0 {
			t.Fatalf("frame %d: interface %d", f.Frame, f.Interface)
		}
		last = f.Frame
		res.frames = append(res.frames, fmt.Sprintf("%d %d %d %d %d %d %x", f.Frame, f.TS, f.CapLen, f.OrigLen, f.LinkType, f.Interface, f.Data))
	}
	t.Fatal("no end after 100000 frames")
	return res
}

// checkErr checks that err is one of the documented kinds and names the file.
func checkErr(t *testing.T, err error, reading bool) {
	if !strings.HasPrefix(err.Error(), "x: ") {
		t.Fatalf("error %q does not start with the file name", err)
	}
	switch {
	case errors.Is(err, ErrTruncated), errors.Is(err, ErrCorrupt):
	case !reading && (errors.Is(err, ErrNotCapture) || errors.Is(err, ErrEmpty)):
	case strings.HasPrefix(err.Error(), "x: gzip: "), strings.Contains(err.Error(), "gzip: "), strings.Contains(err.Error(), "flate: "):
	default:
		t.Fatalf("unexpected error kind: %v", err)
	}
}

func fuzzCapture(t *testing.T, data []byte) {
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	whole := readFuzz(t, bytes.NewReader(data))
	runtime.ReadMemStats(&ms1)
	// Buffers (two for gzip) plus small change: nothing proportional to a claimed length.
	if a := ms1.TotalAlloc - ms0.TotalAlloc; a > 2*fuzzBufSize+256<<10+uint64(len(whole.frames))*4096+uint64(len(data))*64 {
		t.Fatalf("reading %d bytes allocated %d bytes", len(data), a)
	}
	// Same result however the input is split.
	for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
		split := readFuzz(t, r)
		if split.err != whole.err || len(split.frames) != len(whole.frames) {
			t.Fatalf("split read: %d frames, error %q; whole read: %d frames, error %q", len(split.frames), split.err, len(whole.frames), whole.err)
		}
		for i := range split.frames {
			if split.frames[i] != whole.frames[i] {
				t.Fatalf("split read frame %d = %s, whole read %s", i+1, split.frames[i], whole.frames[i])
			}
		}
	}
	// Same result from a mapped file.
	fuzzFile(t, data, whole)
}

func addSeeds(f *testing.F, ng bool) {
	for _, c := range syntheticCases() {
		isNg := bytes.HasPrefix(c.file, []byte{0x0a, 0x0d, 0x0d, 0x0a})
		if isNg == ng && len(c.file) < 4096 {
			f.Add(c.file)
		}
	}
	f.Add([]byte{})
	f.Add([]byte("not a capture"))
}

func FuzzPcap(f *testing.F) {
	addSeeds(f, false)
	f.Fuzz(fuzzCapture)
}

func FuzzPcapng(f *testing.F) {
	addSeeds(f, true)
	f.Fuzz(fuzzCapture)
}
