package capture

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeCapture writes frames with the given timestamps (ns) to a pcap file; frame i
// carries its timestamp's last byte, to tell frames apart.
func writeCapture(t *testing.T, path string, ts ...int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewPcapWriter(f, 1, 65535)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if err := w.WritePacket(Info{TS: x, OrigLen: 60, LinkType: 1}, frameData(int(x&0xff), 60)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func readMerged(t *testing.T, s Source) (ts []int64, frames []uint64, err error) {
	t.Helper()
	for {
		f, e := s.Next()
		if e != nil {
			if !errors.Is(e, io.EOF) {
				err = e
			}
			return
		}
		if f.Data[0] != byte(int(f.TS&0xff)*7) {
			t.Fatalf("frame %d: data of another frame", f.Frame)
		}
		ts = append(ts, f.TS)
		frames = append(frames, f.Frame)
	}
}

func TestMergeTimeOrder(t *testing.T) {
	dir := t.TempDir()
	const s = int64(1e9)
	a, b, c := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap"), filepath.Join(dir, "c.pcap")
	writeCapture(t, a, 5*s+1, 7*s+3, 9*s+5)
	writeCapture(t, b, 6*s+2, 7*s+3, 8*s+4) // 7 s ties with a: a (named first) wins
	writeCapture(t, c, 1*s+9, 2*s+8)        // earliest, named last
	m, err := OpenMerged([]string{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ts, frames, err := readMerged(t, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1*s + 9, 2*s + 8, 5*s + 1, 6*s + 2, 7*s + 3, 7*s + 3, 8*s + 4, 9*s + 5}
	if !slices.Equal(ts, want) {
		t.Errorf("merged times = %v, want %v", ts, want)
	}
	if !slices.Equal(frames, []uint64{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("frame numbers = %v, want 1..8", frames)
	}
}

// Rotated files whose times do not overlap are opened one at a time.
func TestMergeOpensLazily(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 5 {
		p := filepath.Join(dir, "cap"+string(rune('0'+i)))
		writeCapture(t, p, int64(i*10+1)*1e9, int64(i*10+2)*1e9)
		paths = append(paths, p)
	}
	slices.Reverse(paths)
	m, err := OpenMerged(paths)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	maxOpen := 0
	var got []int64
	for {
		f, err := m.Next()
		if err != nil {
			break
		}
		got = append(got, f.TS/1e9)
		maxOpen = max(maxOpen, len(m.active))
	}
	if !slices.Equal(got, []int64{1, 2, 11, 12, 21, 22, 31, 32, 41, 42}) {
		t.Errorf("times = %v", got)
	}
	if maxOpen != 1 {
		t.Errorf("at most %d files open at once, want 1", maxOpen)
	}
}

// A truncated file ends its part of the merge; the error comes after every frame.
func TestMergeTruncated(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	writeCapture(t, a, 1e9, 3e9)
	writeCapture(t, b, 2e9, 4e9)
	st, _ := os.Stat(b)
	os.Truncate(b, st.Size()-10)
	m, err := OpenMerged([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	ts, _, err := readMerged(t, m)
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("err = %v, want ErrTruncated", err)
	}
	if !slices.Equal(ts, []int64{1e9, 2e9, 3e9}) {
		t.Errorf("times = %v, want 1e9 2e9 3e9", ts)
	}
	if _, err := OpenMerged([]string{a, "-"}); !errors.Is(err, ErrMergeStdin) {
		t.Errorf("merge with stdin: err = %v", err)
	}
}

func TestExpandInputs(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"cap", "cap1", "cap10", "cap2"} {
		writeCapture(t, filepath.Join(dir, n), 1e9)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a capture"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	e, err := ExpandInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range e.Paths {
		names = append(names, filepath.Base(p))
	}
	if !slices.Equal(names, []string{"cap", "cap1", "cap2", "cap10"}) {
		t.Errorf("directory = %v, want cap cap1 cap2 cap10", names)
	}
	if len(e.Skipped) != 1 || filepath.Base(e.Skipped[0]) != "notes.txt" {
		t.Errorf("skipped = %v, want notes.txt", e.Skipped)
	}
	e, err = ExpandInputs([]string{filepath.Join(dir, "cap?*"), "-"})
	if err != nil || len(e.Paths) != 4 || filepath.Base(e.Paths[2]) != "cap10" || e.Paths[3] != "-" {
		t.Errorf("glob = %v, %v", e.Paths, err)
	}
	if _, err := ExpandInputs([]string{filepath.Join(dir, "nothing*")}); !errors.Is(err, ErrNoMatch) {
		t.Errorf("unmatched glob: err = %v", err)
	}
	if _, err := ExpandInputs([]string{filepath.Join(dir, "sub")}); err == nil {
		t.Error("empty directory: no error")
	}
}

func TestNaturalCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"a2", "a10", -1}, {"a10", "a2", 1}, {"a", "a1", -1}, {"a01", "a1", 0}, {"b1", "a2", 1}, {"x.pcap9", "x.pcap10", -1}} {
		if got := naturalCompare(c.a, c.b); got != c.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
