package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

type wantFrame struct {
	num    uint64 // 0: index+1
	ts     int64
	caplen int
	orig   int
	link   LinkType
	iface  int
	data   []byte
}

const t0 = 1700000000 // seconds

func syntheticCases() []struct {
	name string
	file []byte
	want []wantFrame
} {
	d := frameData
	type tc = struct {
		name string
		file []byte
		want []wantFrame
	}
	var cases []tc
	for _, big := range []bool{false, true} {
		for _, nano := range []bool{false, true} {
			scale := int64(1000)
			frac := uint32(123456)
			if nano {
				scale, frac = 1, 123456789
			}
			cases = append(cases, tc{
				name: fmt.Sprintf("pcap big=%v nano=%v", big, nano),
				file: pcapFile{big: big, nano: nano, snaplen: 65535, link: 1, recs: []pcapRec{
					{sec: t0, frac: frac, data: d(1, 60)},
					{sec: t0 + 1, frac: 0, data: d(2, 54), orig: 1514},
					{sec: t0 + 2, frac: frac, data: nil},
				}}.bytes(),
				want: []wantFrame{
					{ts: t0*1e9 + int64(frac)*scale, caplen: 60, orig: 60, link: 1, data: d(1, 60)},
					{ts: (t0 + 1) * 1e9, caplen: 54, orig: 1514, link: 1, data: d(2, 54)},
					{ts: (t0+2)*1e9 + int64(frac)*scale, caplen: 0, orig: 0, link: 1, data: []byte{}},
				},
			})
		}
	}
	cases = append(cases,
		tc{
			name: "pcap record longer than snaplen is read",
			file: pcapFile{snaplen: 64, link: 101, recs: []pcapRec{
				{sec: t0, data: d(1, 40)}, {sec: t0, data: d(2, 1500)}, {sec: t0, data: d(3, 40)},
			}}.bytes(),
			want: []wantFrame{
				{ts: t0 * 1e9, caplen: 40, orig: 40, link: 101, data: d(1, 40)},
				{ts: t0 * 1e9, caplen: 1500, orig: 1500, link: 101, data: d(2, 1500)},
				{ts: t0 * 1e9, caplen: 40, orig: 40, link: 101, data: d(3, 40)},
			},
		},
		tc{
			name: "pcap link type with FCS bits",
			file: pcapFile{snaplen: 65535, link: 1 | 0x1<<26 | 0x4<<28, recs: []pcapRec{{sec: t0, data: d(1, 64)}}}.bytes(),
			want: []wantFrame{{ts: t0 * 1e9, caplen: 64, orig: 64, link: 1, data: d(1, 64)}},
		},
		tc{
			name: "modified pcap",
			file: pcapFile{modified: true, snaplen: 65535, link: 1, recs: []pcapRec{{sec: t0, frac: 5, data: d(1, 64)}}}.bytes(),
			want: []wantFrame{{ts: t0*1e9 + 5000, caplen: 64, orig: 64, link: 1, data: d(1, 64)}},
		},
		tc{
			name: "pcap header only",
			file: pcapFile{snaplen: 65535, link: 1}.bytes(),
		},
	)
	for _, big := range []bool{false, true} {
		cases = append(cases, tc{
			name: fmt.Sprintf("pcapng big=%v default resolution", big),
			file: pcapngBytes(ngSection{big: big, blocks: []ngBlock{
				idb{link: 1, snaplen: 0, tsresol: -1, name: "eth0"},
				epb{ts: t0*1e6 + 1, data: d(1, 60)},
				rawBlock{typ: 4, data: []byte{0, 0, 0, 0}},   // NRB
				rawBlock{typ: 5, data: make([]byte, 12)},     // ISB
				rawBlock{typ: 0xBAD, data: []byte("custom")}, // custom block
				epb{ts: t0*1e6 + 2, data: d(2, 61), orig: 1000},
			}}),
			want: []wantFrame{
				{ts: t0*1e9 + 1000, caplen: 60, orig: 60, link: 1, data: d(1, 60)},
				{num: 3, ts: t0*1e9 + 2000, caplen: 61, orig: 1000, link: 1, data: d(2, 61)}, // the custom block is frame 2
			},
		})
	}
	cases = append(cases,
		tc{
			name: "pcapng several interfaces, resolutions and offsets",
			file: pcapngBytes(ngSection{blocks: []ngBlock{
				idb{link: 1, tsresol: 9},
				idb{link: 113, tsresol: 3, tsoffset: 100},
				idb{link: 101, tsresol: 0x80 | 20}, // 2^-20 s
				idb{link: 0, tsresol: 0x80},        // 0x80 | 0: 2^-0 s, whole seconds
				epb{iface: 0, ts: t0*1e9 + 999, data: d(1, 20)},
				epb{iface: 1, ts: t0*1e3 + 7, data: d(2, 20)},
				epb{iface: 2, ts: t0<<20 | 1<<19, data: d(3, 20)},
				epb{iface: 2, ts: t0<<20 | 3, data: d(4, 20)},
				epb{iface: 3, ts: t0, data: d(5, 20)},
			}}),
			want: []wantFrame{
				{ts: t0*1e9 + 999, caplen: 20, orig: 20, link: 1, iface: 0, data: d(1, 20)},
				{ts: (t0+100)*1e9 + 7e6, caplen: 20, orig: 20, link: 113, iface: 1, data: d(2, 20)},
				{ts: t0*1e9 + 5e8, caplen: 20, orig: 20, link: 101, iface: 2, data: d(3, 20)},
				{ts: t0*1e9 + 2861, caplen: 20, orig: 20, link: 101, iface: 2, data: d(4, 20)}, // 3e9/2^20 = 2861.02
				{ts: t0 * 1e9, caplen: 20, orig: 20, link: 0, iface: 3, data: d(5, 20)},
			},
		},
		tc{
			name: "pcapng multi-section, byte orders and interfaces reset",
			file: pcapngBytes(
				ngSection{blocks: []ngBlock{
					idb{link: 1, tsresol: -1},
					epb{ts: t0 * 1e6, data: d(1, 30)},
				}},
				ngSection{big: true, blocks: []ngBlock{
					idb{link: 276, tsresol: 9},
					epb{ts: t0*1e9 + 1, data: d(2, 31)},
				}},
				ngSection{blocks: []ngBlock{
					idb{link: 113, tsresol: 6},
					idb{link: 101, tsresol: 6},
					epb{iface: 1, ts: t0*1e6 + 2, data: d(3, 32)},
					epb{iface: 0, ts: t0*1e6 + 3, data: d(4, 33)},
				}},
			),
			want: []wantFrame{
				{ts: t0 * 1e9, caplen: 30, orig: 30, link: 1, iface: 0, data: d(1, 30)},
				{ts: t0*1e9 + 1, caplen: 31, orig: 31, link: 276, iface: 0, data: d(2, 31)},
				{ts: t0*1e9 + 2000, caplen: 32, orig: 32, link: 101, iface: 1, data: d(3, 32)},
				{ts: t0*1e9 + 3000, caplen: 33, orig: 33, link: 113, iface: 0, data: d(4, 33)},
			},
		},
		tc{
			name: "pcapng simple and obsolete packet blocks",
			file: pcapngBytes(ngSection{blocks: []ngBlock{
				idb{link: 1, snaplen: 64, tsresol: -1},
				idb{link: 101, snaplen: 0, tsresol: -1},
				spb{orig: 100, data: d(1, 64)},
				spb{orig: 50, data: d(2, 50)},
				opb{iface: 1, ts: t0 * 1e6, data: d(3, 40), orig: 44},
				epb{iface: 0, ts: t0*1e6 + 1, data: d(4, 64), orig: 1500},
			}}),
			want: []wantFrame{
				{ts: 0, caplen: 64, orig: 100, link: 1, data: d(1, 64)},
				{ts: 0, caplen: 50, orig: 50, link: 1, data: d(2, 50)},
				{ts: t0 * 1e9, caplen: 40, orig: 44, link: 101, iface: 1, data: d(3, 40)},
				{ts: t0*1e9 + 1000, caplen: 64, orig: 1500, link: 1, data: d(4, 64)},
			},
		},
		tc{
			name: "pcapng no interfaces",
			file: pcapngBytes(ngSection{}),
		},
	)
	n := len(cases)
	for _, c := range cases[:n] {
		cases = append(cases, tc{name: c.name + " gzip", file: gzipBytes(c.file), want: c.want})
	}
	return cases
}

func checkFrames(t *testing.T, got []Frame, want []wantFrame) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d frames, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if w.num == 0 {
			w.num = uint64(i + 1)
		}
		if g.Frame != w.num || g.TS != w.ts || g.CapLen != w.caplen || g.OrigLen != w.orig ||
			g.LinkType != w.link || g.Interface != w.iface || !bytes.Equal(g.Data, w.data) {
			t.Errorf("frame %d = {frame %d ts %d caplen %d orig %d link %d if %d data ok %v}, want {frame %d ts %d caplen %d orig %d link %d if %d}",
				i+1, g.Frame, g.TS, g.CapLen, g.OrigLen, g.LinkType, g.Interface, bytes.Equal(g.Data, w.data),
				w.num, w.ts, w.caplen, w.orig, w.link, w.iface)
		}
	}
}

func TestSynthetic(t *testing.T) {
	for _, c := range syntheticCases() {
		t.Run(c.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(c.file), "x")
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, err := readAll(t, src)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			checkFrames(t, got, c.want)
			if _, err := src.Next(); err != io.EOF {
				t.Errorf("Next after end = %v, want io.EOF", err)
			}
			if off := src.(*Reader).Offset(); !strings.HasSuffix(c.name, "gzip") && off != int64(len(c.file)) {
				t.Errorf("Offset() = %d, want %d", off, len(c.file))
			}
		})
	}
}

// TestSyntheticMatchesTshark checks our reading of the synthetic files against tshark's.
func TestSyntheticMatchesTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs tshark on each case")
	}
	dir := t.TempDir()
	for i, c := range syntheticCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, fmt.Sprintf("c%d", i))
			if err := os.WriteFile(p, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			compareTshark(t, p, src.(*Reader).Frames(), got)
		})
	}
}

// TestTruncatedEverywhere cuts small files at every byte offset: every frame completely
// before the cut is returned, then a *TruncatedError naming the cut and the frame.
// truncationFiles returns the small files that the truncation tests cut at every byte.
func truncationFiles() map[string][]byte {
	return map[string][]byte{
		"pcap": pcapFile{snaplen: 65535, link: 1, recs: []pcapRec{
			{sec: t0, data: frameData(1, 10)}, {sec: t0, data: frameData(2, 7)}, {sec: t0, data: frameData(3, 3)},
		}}.bytes(),
		"pcapng": pcapngBytes(ngSection{blocks: []ngBlock{
			idb{link: 1, tsresol: -1},
			epb{ts: 1, data: frameData(1, 10)},
			rawBlock{typ: 4, data: []byte{0, 0, 0, 0}},
			spb{orig: 7, data: frameData(2, 7)},
			epb{ts: 1, data: frameData(3, 3)},
		}}, ngSection{big: true, blocks: []ngBlock{
			idb{link: 1, tsresol: -1},
			opb{ts: 1, data: frameData(4, 5)},
		}}),
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	files := truncationFiles()
	for name, file := range files {
		// ends[i] = offset where record i+1 ends
		src, _ := NewReader(bytes.NewReader(file), "x")
		var ends []int64
		for {
			if _, err := src.Next(); err != nil {
				break
			}
			ends = append(ends, src.(*Reader).Offset())
		}
		bounds := recordBoundaries(file)
		for cut := 1; cut < len(file); cut++ {
			for _, gz := range []bool{false, true} {
				in := file[:cut]
				if gz {
					in = gzipBytes(in)
				}
				src, err := NewReader(bytes.NewReader(in), "x.cap")
				if cut < 4 {
					if !errors.Is(err, ErrNotCapture) {
						t.Errorf("%s cut at %d: NewReader error %v, want ErrNotCapture", name, cut, err)
					}
					continue
				}
				if err != nil {
					var te *TruncatedError
					if !errors.As(err, &te) || te.Offset != int64(cut) || te.Frame != 0 {
						t.Errorf("%s cut at %d: NewReader error %v, want truncation at %d in header", name, cut, err, cut)
					}
					continue
				}
				got, err := readAll(t, src)
				complete := 0
				for complete < len(ends) && ends[complete] <= int64(cut) {
					complete++
				}
				if len(got) != complete {
					t.Errorf("%s cut at %d (gzip %v): %d frames, want %d", name, cut, gz, len(got), complete)
				}
				if bounds[cut] {
					if err != nil {
						t.Errorf("%s cut at %d (gzip %v) on a record boundary: error %v", name, cut, gz, err)
					}
					continue
				}
				var te *TruncatedError
				if !errors.As(err, &te) || !errors.Is(err, ErrTruncated) {
					t.Errorf("%s cut at %d (gzip %v): error %v, want *TruncatedError", name, cut, gz, err)
					continue
				}
				if te.Offset != int64(cut) || (te.Block == "" && te.Frame != uint64(complete+1)) {
					t.Errorf("%s cut at %d (gzip %v): %v, want offset %d frame %d", name, cut, gz, te, cut, complete+1)
				}
				if !strings.HasPrefix(te.Error(), "x.cap: file truncated at byte ") {
					t.Errorf("message %q", te.Error())
				}
				if _, err2 := src.Next(); err2 != err {
					t.Errorf("Next after error = %v, want the same error", err2)
				}
			}
		}
	}
}

func TestTruncatedMessage(t *testing.T) {
	file := pcapFile{snaplen: 65535, link: 1, recs: []pcapRec{{data: frameData(1, 100)}, {data: frameData(2, 100)}}}.bytes()
	src, err := NewReader(bytes.NewReader(file[:200]), "x.pcap")
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(t, src)
	if want := "x.pcap: file truncated at byte 200 inside frame 2"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	huge := pcapFile{snaplen: 65535, link: 1, recs: []pcapRec{{data: frameData(1, 10)}}}.bytes()
	huge = append(huge, pcapFile{recs: []pcapRec{{caplen: 300000, data: frameData(2, 10)}}}.bytes()[24:]...)
	ngHuge := pcapngBytes(ngSection{blocks: []ngBlock{idb{link: 1, tsresol: -1}, epb{data: frameData(1, 8)}}})
	ngHuge = append(ngHuge, 6, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f)
	ngBadIf := pcapngBytes(ngSection{blocks: []ngBlock{idb{link: 1, tsresol: -1}, epb{iface: 3, data: frameData(1, 8)}}})
	cases := []struct {
		name    string
		file    []byte
		openErr string // error from Open
		nextErr string // error from Next after the good frames
		is      error
	}{
		{name: "empty", file: nil, openErr: "F: empty file", is: ErrEmpty},
		{name: "empty gzip", file: gzipBytes(nil), openErr: "F: empty file", is: ErrEmpty},
		{name: "text", file: []byte("hello, world\n"), openErr: "F: not a pcap or pcapng file", is: ErrNotCapture},
		{name: "text starting like pcapng", file: []byte("\n\r\r\nhello, world\n"), openErr: "F: not a pcap or pcapng file", is: ErrNotCapture},
		{name: "three bytes", file: []byte{0xd4, 0xc3, 0xb2}, openErr: "F: not a pcap or pcapng file", is: ErrNotCapture},
		{name: "gzip of text", file: gzipBytes([]byte("hello")), openErr: "F: not a pcap or pcapng file", is: ErrNotCapture},
		{name: "absurd caplen", file: huge, nextErr: "F: record 2 at offset 50 claims 300000 bytes", is: ErrCorrupt},
		{name: "absurd block", file: ngHuge, nextErr: "F: block at offset 108 claims 2147483632 bytes", is: ErrCorrupt},
		{name: "unknown interface", file: ngBadIf, nextErr: "F: packet 1 at offset 48 refers to interface 3, but the section has 1", is: ErrCorrupt},
		{name: "truncated header", file: huge[:10], openErr: "F: file truncated at byte 10 inside the file header", is: ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "F")
			os.WriteFile(p, c.file, 0o644)
			defer os.Chdir(mustGetwd(t))
			os.Chdir(dir)
			src, err := Open("F")
			if c.openErr != "" {
				if err == nil || err.Error() != c.openErr || !errors.Is(err, c.is) {
					t.Fatalf("Open error = %v, want %q (%v)", err, c.openErr, c.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			_, err = readAll(t, src)
			if err == nil || err.Error() != c.nextErr || !errors.Is(err, c.is) {
				t.Fatalf("Next error = %v, want %q (%v)", err, c.nextErr, c.is)
			}
		})
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.pcap"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.pcap") {
		t.Fatalf("Open error = %v", err)
	}
	_, err = OpenFiles([]string{filepath.Join("testdata", "nothing"), "also-missing"})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenFiles error = %v", err)
	}
}

// TestOpenFilesSynthetic reads a pcap, a gzip pcapng and a pcapng as one capture.
func TestOpenFilesSynthetic(t *testing.T) {
	dir := t.TempDir()
	cases := syntheticCases()
	var paths []string
	var want []wantFrame
	var base uint64
	for i, c := range cases {
		if i%3 != 0 {
			continue
		}
		p := filepath.Join(dir, fmt.Sprintf("f%02d.bin", i))
		os.WriteFile(p, c.file, 0o644)
		paths = append(paths, p)
		for j, w := range c.want {
			if w.num == 0 {
				w.num = uint64(j + 1)
			}
			w.num += base
			want = append(want, w)
		}
		one, _ := Open(p)
		readAll(t, one)
		base += one.(*Reader).Frames()
	}
	src, err := OpenFiles(paths)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].iface = 0 // compared separately below
	}
	for i := range got {
		got[i].Interface = 0
	}
	checkFrames(t, got, want)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
}

// recordBoundaries returns the offsets where a file header, record or block ends.
func recordBoundaries(file []byte) map[int]bool {
	b := map[int]bool{}
	if le.Uint32(file) != blockSHB {
		b[24] = true
		for off := 24; off+16 <= len(file); {
			off += 16 + int(le.Uint32(file[off+8:]))
			b[off] = true
		}
		return b
	}
	var o byteOrder = order(false)
	for off := 0; off+12 <= len(file); {
		if le.Uint32(file[off:]) == blockSHB {
			o = order(le.Uint32(file[off+8:]) != 0x1A2B3C4D)
		}
		off += int(o.Uint32(file[off+4:]))
		b[off] = true
	}
	return b
}

func TestStdinAndDirectory(t *testing.T) {
	file := pcapFile{snaplen: 65535, link: 1, recs: []pcapRec{{sec: t0, data: frameData(1, 10)}}}.bytes()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { pw.Write(gzipBytes(file)); pw.Close() }()
	saved := os.Stdin
	os.Stdin = pr
	defer func() { os.Stdin = saved }()
	src, err := Open("-")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, src)
	if err != nil || len(got) != 1 {
		t.Fatalf("reading stdin: %d frames, %v", len(got), err)
	}
	if _, size := src.(*Reader).Progress(); size != -1 {
		t.Errorf("Progress size for stdin = %d, want -1", size)
	}

	_, err = Open(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is a directory") || strings.Count(err.Error(), "capture") > 2 {
		t.Errorf("Open(directory) = %v", err)
	}
}

// TestBlockLargerThanBuffer: a pcapng block longer than the read buffer is skipped, and a
// file cut inside it is reported at the right offset.
func TestBlockLargerThanBuffer(t *testing.T) {
	big := make([]byte, defaultBufSize+defaultBufSize/2)
	file := pcapngBytes(ngSection{blocks: []ngBlock{
		idb{link: 1, tsresol: -1},
		epb{ts: 1, data: frameData(1, 10)},
		rawBlock{typ: 4, data: big},
		epb{ts: 2, data: frameData(2, 10)},
	}})
	src, err := NewReader(bytes.NewReader(file), "x")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, src)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	cut := defaultBufSize + 1000
	src, _ = NewReader(bytes.NewReader(file[:cut]), "x")
	got, err = readAll(t, src)
	var te *TruncatedError
	if len(got) != 1 || !errors.As(err, &te) || te.Offset != int64(cut) {
		t.Fatalf("cut at %d: %d frames, %v", cut, len(got), err)
	}
}

// TestTruncatedGzip: a gzip stream cut short gives the frames decompressed so far, then
// a *TruncatedError.
func TestTruncatedGzip(t *testing.T) {
	var recs []pcapRec
	for i := range 2000 {
		recs = append(recs, pcapRec{sec: t0, data: frameData(i, 100+i%50)})
	}
	gz := gzipBytes(pcapFile{snaplen: 65535, link: 1, recs: recs}.bytes())
	for _, cut := range []int{len(gz) / 3, len(gz) / 2, len(gz) - 9} {
		src, err := NewReader(bytes.NewReader(gz[:cut]), "x.pcap.gz")
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, src)
		var te *TruncatedError
		if !errors.As(err, &te) || te.Frame != uint64(len(got)+1) {
			t.Errorf("gzip cut at %d of %d: %d frames, error %v", cut, len(gz), len(got), err)
		}
		for i, f := range got {
			if !bytes.Equal(f.Data, recs[i].data) {
				t.Fatalf("frame %d differs", i+1)
			}
		}
		if cut == len(gz)-9 && !strings.Contains(err.Error(), "gzip stream ends early, after frame 2000") {
			t.Errorf("error %q", err)
		}
	}
}

// idbCapture generates a pcapng section with count interface descriptions, each named
// with nameLen bytes (a hostile capture: names kept in full once took gigabytes).
func idbCapture(nameLen, count int) []byte {
	block := func(t uint32, body []byte) []byte {
		n := 12 + (len(body)+3)&^3
		b := make([]byte, n)
		binary.LittleEndian.PutUint32(b, t)
		binary.LittleEndian.PutUint32(b[4:], uint32(n))
		copy(b[8:], body)
		binary.LittleEndian.PutUint32(b[n-4:], uint32(n))
		return b
	}
	var out bytes.Buffer
	shb := make([]byte, 16)
	binary.LittleEndian.PutUint32(shb, 0x1A2B3C4D)
	binary.LittleEndian.PutUint16(shb[4:], 1)
	binary.LittleEndian.PutUint64(shb[8:], ^uint64(0))
	out.Write(block(0x0A0D0D0A, shb))
	for i := 0; i < count; i++ {
		body := make([]byte, 8+4+(nameLen+3)&^3+4)
		binary.LittleEndian.PutUint16(body, 1)
		binary.LittleEndian.PutUint32(body[4:], 65535)
		binary.LittleEndian.PutUint16(body[8:], 2)
		binary.LittleEndian.PutUint16(body[10:], uint16(nameLen))
		for j := 0; j < nameLen; j++ {
			body[12+j] = "aé"[j%3]
		}
		out.Write(block(1, body))
	}
	return out.Bytes()
}

// TestInterfaceNamesBounded: names are cut to MaxIfName bytes (on a character boundary)
// and no more than MaxIfNamesTotal bytes of names are kept in all.
func TestInterfaceNamesBounded(t *testing.T) {
	r, err := NewReader(bytes.NewReader(idbCapture(65000, 6000)), "idb")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	ifs := r.(*Reader).Interfaces()
	if len(ifs) != 6000 {
		t.Fatalf("%d interfaces, want 6000", len(ifs))
	}
	total := 0
	for _, i := range ifs {
		total += len(i.Name)
		if len(i.Name) > MaxIfName || !i.NameCut || !utf8.ValidString(i.Name) {
			t.Fatalf("interface %d: name of %d bytes (valid UTF-8 %v), cut %v", i.Index, len(i.Name), utf8.ValidString(i.Name), i.NameCut)
		}
	}
	if total > MaxIfNamesTotal || ifs[0].Name == "" || ifs[len(ifs)-1].Name != "" {
		t.Errorf("%d bytes of names kept (first %d, last %d), want ≤ %d with later names dropped", total, len(ifs[0].Name), len(ifs[len(ifs)-1].Name), MaxIfNamesTotal)
	}
}
