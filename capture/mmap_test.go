package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Files are read two ways: mapped (SEGSCOPE_MMAP=1; Linux, regular uncompressed files)
// and through the read buffer (everything else, and the default). The tests here run the same
// inputs through both and through NewReader, and require the same frames and errors.

// readPath names one way of reading files.
type readPath struct {
	name string
	mmap bool
}

var readPaths = []readPath{{"mmap", true}, {"read", false}}

// openPath opens paths the given way, with the default buffer size.
func openPath(t testing.TB, paths []string, p readPath) (*Reader, error) {
	t.Helper()
	return openFiles(paths, p.mmap, defaultBufSize)
}

// isGzip reports whether b starts with the gzip magic number.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// wantMapped reports whether reading file the given way must use a mapping.
func wantMapped(file []byte, p readPath) bool {
	return p.mmap && runtime.GOOS == "linux" && len(file) > 0 && !isGzip(file)
}

func writeTemp(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// outcome is everything a Reader returned for one input.
type outcome struct {
	frames []Frame // Data copied
	err    error   // nil at a clean end
	off    int64   // Offset() at the end
}

func readOutcome(t testing.TB, src Source) outcome {
	t.Helper()
	fs, err := readAll(t, src)
	return outcome{frames: fs, err: err, off: src.(*Reader).Offset()}
}

// errString renders err for comparison: the file name replaced by "F", and the fields of
// the structured errors spelled out.
func errString(err error, name string) string {
	if err == nil {
		return "<nil>"
	}
	s := strings.ReplaceAll(err.Error(), name, "F")
	var te *TruncatedError
	var ce *CorruptError
	switch {
	case errors.As(err, &te):
		s += fmt.Sprintf(" {truncated offset %d frame %d record %d block %q}", te.Offset, te.Frame, te.Record, te.Block)
	case errors.As(err, &ce):
		s += fmt.Sprintf(" {corrupt offset %d frame %d}", ce.Offset, ce.Frame)
	}
	return s
}

// sameOutcome fails the test unless got (read from a file named gotName) equals want
// (read from one named wantName).
func sameOutcome(t testing.TB, what string, got outcome, gotName string, want outcome, wantName string) {
	t.Helper()
	if g, w := errString(got.err, gotName), errString(want.err, wantName); g != w {
		t.Errorf("%s: error %s, want %s", what, g, w)
	}
	if got.off != want.off {
		t.Errorf("%s: Offset() = %d, want %d", what, got.off, want.off)
	}
	if len(got.frames) != len(want.frames) {
		t.Errorf("%s: %d frames, want %d", what, len(got.frames), len(want.frames))
		return
	}
	for i, g := range got.frames {
		w := want.frames[i]
		if g.Info != w.Info || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("%s: frame %d = %+v (data equal %v), want %+v", what, i+1, g.Info, bytes.Equal(g.Data, w.Data), w.Info)
			return
		}
	}
}

// fromBytes reads file through NewReader, named name.
func fromBytes(t testing.TB, file []byte, name string) (outcome, error) {
	t.Helper()
	src, err := NewReader(bytes.NewReader(file), name)
	if err != nil {
		return outcome{}, err
	}
	return readOutcome(t, src), nil
}

// checkFileMatchesBytes writes file to dir and reads it with Open both ways; each must
// give what NewReader gives on the same bytes, and the mapping must be used when it can.
func checkFileMatchesBytes(t *testing.T, dir, what string, file []byte) {
	t.Helper()
	p := writeTemp(t, dir, "F", file)
	want, wantOpenErr := fromBytes(t, file, "x")
	for _, rp := range readPaths {
		src, err := openPath(t, []string{p}, rp)
		if errString(err, p) != errString(wantOpenErr, "x") {
			t.Errorf("%s (%s): Open error %s, want %s", what, rp.name, errString(err, p), errString(wantOpenErr, "x"))
			continue
		}
		if err != nil {
			continue
		}
		if mapped := src.in != nil && src.in.m != nil; mapped != wantMapped(file, rp) {
			t.Errorf("%s (%s): mapped = %v, want %v", what, rp.name, mapped, !mapped)
		}
		got := readOutcome(t, src)
		sameOutcome(t, what+" ("+rp.name+")", got, p, want, "x")
		if _, err2 := src.Next(); errString(err2, p) != errString(got.err, p) && !(got.err == nil && err2 == io.EOF) {
			t.Errorf("%s (%s): Next after the end = %v, want %v again", what, rp.name, err2, got.err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("%s (%s): Close: %v", what, rp.name, err)
		}
	}
}

// TestSyntheticFiles runs the synthetic table through Open, mapped and read.
func TestSyntheticFiles(t *testing.T) {
	dir := t.TempDir()
	for i, c := range syntheticCases() {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, dir, strconv.Itoa(i), c.file)
			for _, rp := range readPaths {
				src, err := openPath(t, []string{p}, rp)
				if err != nil {
					t.Fatalf("%s: Open: %v", rp.name, err)
				}
				if mapped := src.in.m != nil; mapped != wantMapped(c.file, rp) {
					t.Errorf("%s: mapped = %v", rp.name, mapped)
				}
				got, err := readAll(t, src)
				if err != nil {
					t.Fatalf("%s: Next: %v", rp.name, err)
				}
				checkFrames(t, got, c.want)
				if _, err := src.Next(); err != io.EOF {
					t.Errorf("%s: Next after end = %v, want io.EOF", rp.name, err)
				}
				if off := src.Offset(); !isGzip(c.file) && off != int64(len(c.file)) {
					t.Errorf("%s: Offset() = %d, want %d", rp.name, off, len(c.file))
				}
				if read, size := src.Progress(); read != int64(len(c.file)) || size != int64(len(c.file)) {
					t.Errorf("%s: Progress() = %d, %d, want %d, %d", rp.name, read, size, len(c.file), len(c.file))
				}
				src.Close()
			}
		})
	}
}

// TestTruncatedEverywhereFiles cuts files at every byte and requires the same frames and
// the same error (message, offset, frame, record, block) from Open, mapped or read, as
// from NewReader.
func TestTruncatedEverywhereFiles(t *testing.T) {
	dir := t.TempDir()
	for name, file := range truncationFiles() {
		for cut := 0; cut <= len(file); cut++ {
			checkFileMatchesBytes(t, dir, fmt.Sprintf("%s cut at %d", name, cut), file[:cut])
		}
	}
}

// TestBadInputsFiles: the malformed inputs of TestBadInputs, both ways.
func TestBadInputsFiles(t *testing.T) {
	dir := t.TempDir()
	huge := pcapFile{snaplen: 65535, link: 1, recs: []pcapRec{{data: frameData(1, 10)}}}.bytes()
	huge = append(huge, pcapFile{recs: []pcapRec{{caplen: 300000, data: frameData(2, 10)}}}.bytes()[24:]...)
	ngHuge := pcapngBytes(ngSection{blocks: []ngBlock{idb{link: 1, tsresol: -1}, epb{data: frameData(1, 8)}}})
	ngHuge = append(ngHuge, 6, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f)
	ngBadIf := pcapngBytes(ngSection{blocks: []ngBlock{idb{link: 1, tsresol: -1}, epb{iface: 3, data: frameData(1, 8)}}})
	ngBadTrailer := pcapngBytes(ngSection{blocks: []ngBlock{idb{link: 1, tsresol: -1}, epb{data: frameData(1, 8)}}})
	ngBadTrailer[len(ngBadTrailer)-1] ^= 0x40
	for name, file := range map[string][]byte{
		"text": []byte("hello, world\n"), "three bytes": {0xd4, 0xc3, 0xb2}, "gzip of text": gzipBytes([]byte("hello")),
		"absurd caplen": huge, "absurd block": ngHuge, "unknown interface": ngBadIf, "bad trailer": ngBadTrailer,
		"truncated header": huge[:10], "empty gzip": gzipBytes(nil), "one byte": {0x1f},
	} {
		checkFileMatchesBytes(t, dir, name, file)
	}
}

// TestBlockLargerThanBufferFiles: a pcapng block longer than the read buffer is skipped
// alike both ways (its trailing length is not checked), and cuts inside and around it are
// reported alike.
func TestBlockLargerThanBufferFiles(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, defaultBufSize+defaultBufSize/2)
	file := pcapngBytes(ngSection{blocks: []ngBlock{
		idb{link: 1, tsresol: -1},
		epb{ts: 1, data: frameData(1, 10)},
		rawBlock{typ: 4, data: big},
		epb{ts: 2, data: frameData(2, 10)},
	}})
	bad := bytes.Clone(file)
	start := bytes.Index(bad, []byte{4, 0, 0, 0})
	bad[start+12+len(big)] ^= 1 // the big block's trailing length
	checkFileMatchesBytes(t, dir, "whole", file)
	checkFileMatchesBytes(t, dir, "bad trailing length", bad)
	for _, cut := range []int{start + 4, start + 8, defaultBufSize, start + defaultBufSize, start + defaultBufSize + 1, start + len(big) + 12, start + len(big) + 16, len(file) - 1} {
		checkFileMatchesBytes(t, dir, fmt.Sprintf("cut at %d", cut), file[:cut])
	}
}

// TestOpenFilesBothPaths reads mapped and gzip (read) files as one capture.
func TestOpenFilesBothPaths(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	var files [][]byte
	for i, c := range syntheticCases() {
		if i%2 == 0 {
			paths = append(paths, writeTemp(t, dir, fmt.Sprintf("f%02d", i), c.file))
			files = append(files, c.file)
		}
	}
	var want outcome
	var size int64
	for _, f := range files {
		o, err := fromBytes(t, f, "x")
		if err != nil {
			t.Fatal(err)
		}
		want.frames = append(want.frames, o.frames...)
		want.off += o.off
		size += int64(len(f))
	}
	for _, rp := range readPaths {
		src, err := openPath(t, paths, rp)
		if err != nil {
			t.Fatal(err)
		}
		got := readOutcome(t, src)
		// frame numbers across files are TestOpenFilesSynthetic's business
		for i := range got.frames {
			got.frames[i].Frame = uint64(i + 1)
		}
		w := want
		w.frames = append([]Frame(nil), want.frames...)
		for i := range w.frames {
			w.frames[i].Frame = uint64(i + 1)
		}
		sameOutcome(t, rp.name, got, "", w, "")
		if read, sz := src.Progress(); read != size || sz != size {
			t.Errorf("%s: Progress() = %d, %d, want %d, %d", rp.name, read, sz, size, size)
		}
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Next(); err != io.EOF {
			t.Errorf("%s: Next after Close = %v, want io.EOF", rp.name, err)
		}
	}
}

// TestMmapEnv: SEGSCOPE_MMAP=1, and only that, makes Open map the file.
func TestMmapEnv(t *testing.T) {
	p := writeTemp(t, t.TempDir(), "x.pcap", bigCapture(false, 10))
	for _, c := range []struct {
		env    string
		mapped bool
	}{{"", false}, {"0", false}, {"1", runtime.GOOS == "linux"}} {
		t.Setenv(MmapEnv, c.env)
		src, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if mapped := src.(*Reader).in.m != nil; mapped != c.mapped {
			t.Errorf("%s=%q: mapped = %v, want %v", MmapEnv, c.env, mapped, c.mapped)
		}
		src.Close()
	}
}

// TestMappedReleasesPages reads a capture larger than releaseChunk from a mapping: the
// frames equal those read through the buffer, the pages read are released as reading
// goes, and the resident file-backed memory does not grow by the file's size.
func TestMappedReleasesPages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("files are mapped only on Linux")
	}
	file := bigCapture(false, 40000) // ~31 MB
	p := writeTemp(t, t.TempDir(), "big.pcap", file)
	want, err := fromBytes(t, file, "x")
	if err != nil {
		t.Fatal(err)
	}
	src, err := openPath(t, []string{p}, readPaths[0])
	if err != nil {
		t.Fatal(err)
	}
	rss0 := rssFile(t)
	maxRSS := rss0
	var got outcome
	for {
		f, err := src.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		if src.in != nil && src.in.pos-src.in.rel > releaseChunk+pageSize {
			t.Fatalf("frame %d: %d bytes read but not released", f.Frame, src.in.pos-src.in.rel)
		}
		if f.Frame%1000 == 0 {
			maxRSS = max(maxRSS, rssFile(t))
		}
		f.Data = bytes.Clone(f.Data)
		got.frames = append(got.frames, f)
	}
	got.off = src.Offset()
	sameOutcome(t, "mapped", got, "", want, "")
	if grow := maxRSS - rss0; grow > 12<<20 {
		t.Errorf("file-backed RSS grew by %d KiB reading a %d KiB file", grow>>10, len(file)>>10)
	}
}

// rssFile returns the process's resident file-backed memory (RssFile in
// /proc/self/status) in bytes.
func rssFile(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestZeroAllocsFiles: Next on a file, mapped or read, does not allocate either.
func TestZeroAllocsFiles(t *testing.T) {
	dir := t.TempDir()
	for _, ng := range []bool{false, true} {
		for _, rp := range readPaths {
			p := writeTemp(t, dir, fmt.Sprintf("ng%v", ng), bigCapture(ng, 5000))
			src, err := openPath(t, []string{p}, rp)
			if err != nil {
				t.Fatal(err)
			}
			for range 100 {
				src.Next()
			}
			allocs := testing.AllocsPerRun(4000, func() {
				if _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("Next (pcapng %v, %s): %v allocs per frame, want 0", ng, rp.name, allocs)
			}
			src.Close()
		}
	}
}

// fuzzFile checks that a file holding data reads, mapped, as data does from memory.
func fuzzFile(t *testing.T, data []byte, whole readResult) {
	p := writeTemp(t, t.TempDir(), "x", data)
	src, err := openFiles([]string{p}, true, fuzzBufSize)
	var res readResult
	if err != nil {
		res.err = strings.ReplaceAll(err.Error(), p, "x")
	} else {
		for {
			f, err := src.Next()
			if err != nil {
				if err != io.EOF {
					res.err = strings.ReplaceAll(err.Error(), p, "x")
				}
				break
			}
			res.frames = append(res.frames, fmt.Sprintf("%d %d %d %d %d %d %x", f.Frame, f.TS, f.CapLen, f.OrigLen, f.LinkType, f.Interface, f.Data))
		}
		src.Close()
	}
	if res.err != whole.err || len(res.frames) != len(whole.frames) {
		t.Fatalf("file read: %d frames, error %q; memory read: %d frames, error %q", len(res.frames), res.err, len(whole.frames), whole.err)
	}
	for i := range res.frames {
		if res.frames[i] != whole.frames[i] {
			t.Fatalf("file read frame %d = %s, memory read %s", i+1, res.frames[i], whole.frames[i])
		}
	}
}

func benchOpen(b *testing.B, file []byte, rp readPath) {
	p := writeTemp(b, b.TempDir(), "x", file)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		src, err := openPath(b, []string{p}, rp)
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

// BenchmarkOpen reads a 16 MB capture file with Open, mapped and read.
func BenchmarkOpen(b *testing.B) {
	for _, ng := range []bool{false, true} {
		file := bigCapture(ng, 20000)
		for _, rp := range readPaths {
			b.Run(fmt.Sprintf("pcapng=%v/%s", ng, rp.name), func(b *testing.B) { benchOpen(b, file, rp) })
		}
	}
}

// BenchmarkNextMapped is BenchmarkNext on a mapped file.
func BenchmarkNextMapped(b *testing.B) {
	for _, ng := range []bool{false, true} {
		b.Run(fmt.Sprintf("pcapng=%v", ng), func(b *testing.B) {
			file := bigCapture(ng, 20000)
			p := writeTemp(b, b.TempDir(), "x", file)
			src, _ := openPath(b, []string{p}, readPaths[0])
			b.ReportAllocs()
			b.SetBytes(int64(len(file)) / 20000)
			for b.Loop() {
				if _, err := src.Next(); err == io.EOF {
					src.Close()
					src, _ = openPath(b, []string{p}, readPaths[0])
				}
			}
			src.Close()
		})
	}
}
