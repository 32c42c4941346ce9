package capture

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tsharkFrame is what tshark reports for one frame.
type tsharkFrame struct {
	num     uint64
	ts      int64
	len     int
	capLen  int
	iface   int
	hasIfID bool
	md5     string // of the captured bytes
}

// tsharkFrames runs tshark on path; it skips the test when tshark is not installed.
func tsharkFrames(t testing.TB, path string) []tsharkFrame {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	cmd := exec.Command(bin, "-n", "-r", path, "-o", "frame.generate_md5_hash:TRUE", "-T", "fields", "-E", "separator=/t",
		"-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_id", "-e", "frame.md5_hash")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Logf("tshark -r %s: %v: %s", path, err, stderr.String())
	}
	var fs []tsharkFrame
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			t.Fatalf("tshark line %q", line)
		}
		var tf tsharkFrame
		tf.num, _ = strconv.ParseUint(f[0], 10, 64)
		tf.ts = parseEpoch(t, f[1])
		tf.len, _ = strconv.Atoi(f[2])
		tf.capLen, _ = strconv.Atoi(f[3])
		if len(f) > 4 && f[4] != "" {
			tf.iface, _ = strconv.Atoi(f[4])
			tf.hasIfID = true
		}
		if len(f) > 5 {
			tf.md5 = f[5]
		}
		fs = append(fs, tf)
	}
	return fs
}

// parseEpoch parses "1362692526.869344000" into nanoseconds exactly.
func parseEpoch(t testing.TB, s string) int64 {
	if s == "" {
		return 0 // no timestamp (SPB, non-packet records)
	}
	sec, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(sec, "-")
	v, err := strconv.ParseInt(strings.TrimPrefix(sec, "-"), 10, 64)
	if err != nil {
		t.Fatalf("time_epoch %q: %v", s, err)
	}
	frac = (frac + "000000000")[:9]
	ns, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		t.Fatalf("time_epoch %q: %v", s, err)
	}
	r := v*1e9 + ns
	if neg {
		r = -r
	}
	return r
}

func readAll(t testing.TB, src Source) ([]Frame, error) {
	t.Helper()
	var fs []Frame
	for {
		f, err := src.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return fs, err
		}
		if len(f.Data) != f.CapLen {
			t.Fatalf("frame %d: len(Data) = %d, CapLen = %d", f.Frame, len(f.Data), f.CapLen)
		}
		f.Data = bytes.Clone(f.Data)
		fs = append(fs, f)
	}
}

// compareTshark checks that our frames equal tshark's view of path: records is the number
// of records (frame numbers) the Reader counted, got the frames it returned.
func compareTshark(t *testing.T, path string, records uint64, got []Frame) {
	t.Helper()
	want := tsharkFrames(t, path)
	if records != uint64(len(want)) {
		t.Errorf("%s: %d records, tshark says %d", path, records, len(want))
	}
	bad := 0
	for i, g := range got {
		if g.Frame < 1 || g.Frame > uint64(len(want)) {
			t.Errorf("%s: frame %d (index %d) not listed by tshark", path, g.Frame, i)
			continue
		}
		w := want[g.Frame-1]
		sum := fmt.Sprintf("%x", md5.Sum(g.Data))
		if g.Frame != w.num || g.TS != w.ts || g.OrigLen != w.len || g.CapLen != w.capLen || (w.hasIfID && g.Interface != w.iface) || (w.md5 != "" && w.md5 != sum) {
			t.Errorf("%s: frame %d: got (num %d, ts %d, len %d, caplen %d, if %d, md5 %s), tshark (num %d, ts %d, len %d, caplen %d, if %d, md5 %s)",
				path, i+1, g.Frame, g.TS, g.OrigLen, g.CapLen, g.Interface, sum, w.num, w.ts, w.len, w.capLen, w.iface, w.md5)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

// sharedDir is the shared corpus of other projects' captures: $SEGSCOPE_CORPUS, or
// ../shared/pcaps next to the repository.
func sharedDir() string {
	if d := os.Getenv("SEGSCOPE_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "pcaps")
}

func sharedPcaps(t testing.TB) []string {
	dir := sharedDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s skipped: shared corpus %s absent (SEGSCOPE_CORPUS=DIR points elsewhere)", t.Name(), dir)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), ".pcap") &&
			(strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng") || strings.HasSuffix(p, ".gz")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("no captures in shared corpus")
	}
	return files
}

// TestSharedCorpusMatchesTshark reads every capture of the shared corpus and compares
// every frame's number, timestamp and lengths with tshark's.
func TestSharedCorpusMatchesTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs tshark on each capture")
	}
	for _, p := range sharedPcaps(t) {
		t.Run(strings.TrimPrefix(p, sharedDir()+"/"), func(t *testing.T) {
			t.Parallel()
			src, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := readAll(t, src)
			if err != nil {
				t.Errorf("reading: %v", err)
			}
			compareTshark(t, p, src.(*Reader).Frames(), got)
		})
	}
}

// TestOpenFilesContinuesNumbering reads the whole corpus as one capture.
func TestOpenFilesContinuesNumbering(t *testing.T) {
	files := sharedPcaps(t)
	var total, records uint64
	for _, p := range files {
		src, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := readAll(t, src)
		if err != nil && !errors.Is(err, ErrTruncated) {
			t.Fatal(err)
		}
		total += uint64(len(fs))
		records += src.(*Reader).Frames()
	}
	src, err := OpenFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		if i > 0 && f.Frame <= fs[i-1].Frame {
			t.Fatalf("frame %d numbered %d after %d", i+1, f.Frame, fs[i-1].Frame)
		}
	}
	if got := src.(*Reader).Frames(); got != records {
		t.Errorf("OpenFiles counted %d records, files hold %d", got, records)
	}
	if uint64(len(fs)) != total {
		t.Errorf("OpenFiles read %d frames, files hold %d", len(fs), total)
	}
	r := src.(*Reader)
	if read, size := r.Progress(); read != size {
		t.Errorf("Progress() = %d, %d; want equal at end", read, size)
	}
	var n uint64
	for _, ifc := range r.Interfaces() {
		n += ifc.Frames
	}
	if n != total {
		t.Errorf("Interfaces() frames sum %d, want %d", n, total)
	}
	t.Logf("%d files, %d frames, link types %v", len(files), total, r.LinkTypes())
}
