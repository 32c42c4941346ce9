package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// memFile is a RotFile kept in memory; committed files are stored under their name.
type memFile struct {
	bytes.Buffer
	name  string
	store map[string][]byte
}

func (f *memFile) Commit(keep bool) error {
	if keep {
		f.store[f.name] = append([]byte(nil), f.Bytes()...)
	}
	return nil
}

func memCreate(store map[string][]byte) func(string) (RotFile, error) {
	return func(name string) (RotFile, error) { return &memFile{name: name, store: store}, nil }
}

// framesOf reads the frames of one stored file.
func framesOf(t *testing.T, data []byte) []Frame {
	t.Helper()
	src, err := NewReader(bytes.NewReader(data), "mem")
	if err != nil {
		t.Fatal(err)
	}
	var out []Frame
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Data = append([]byte(nil), f.Data...)
		out = append(out, f)
	}
}

func TestRotateSize(t *testing.T) {
	for _, ng := range []bool{false, true} {
		store := map[string][]byte{}
		// Each frame is 1000 bytes of data: with Size 2500, a file takes 3 frames (the size
		// is checked before each frame) and is never split.
		r, err := NewRotator(RotateConfig{Name: "cap", Size: 2500, Pcapng: ng, Link: 1, Create: memCreate(store)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if err := r.WritePacket(Info{TS: int64(i) * 1e9, LinkType: 1}, frameData(i, 1000)); err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
		if got := r.Names(); !slices.Equal(got, []string{"cap", "cap1", "cap2", "cap3"}) {
			t.Errorf("pcapng %v: files %v, want cap cap1 cap2 cap3", ng, got)
		}
		i := 0
		for _, n := range r.Names() {
			fr := framesOf(t, store[n])
			if n != "cap3" && len(fr) != 3 {
				t.Errorf("%s has %d frames, want 3", n, len(fr))
			}
			for _, f := range fr {
				if f.TS != int64(i)*1e9 || !bytes.Equal(f.Data, frameData(i, 1000)) {
					t.Errorf("%s: frame ts %d, want frame %d", n, f.TS, i)
				}
				i++
			}
		}
		if i != 10 {
			t.Errorf("pcapng %v: %d frames in all the files, want 10", ng, i)
		}
	}
}

func TestRotateRing(t *testing.T) {
	store := map[string][]byte{}
	r, _ := NewRotator(RotateConfig{Name: "ring", Size: 1500, Files: 3, Link: 1, Create: memCreate(store)}, 0)
	for i := range 8 { // two frames a file: files 0 1 2 0 (frames 0-1, 2-3, 4-5, 6-7)
		if err := r.WritePacket(Info{TS: int64(i), LinkType: 1}, frameData(i, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	if got := r.Names(); !slices.Equal(got, []string{"ring0", "ring1", "ring2", "ring0"}) {
		t.Errorf("names = %v", got)
	}
	if fr := framesOf(t, store["ring0"]); len(fr) != 2 || fr[0].TS != 6 {
		t.Errorf("ring0 after wrapping holds %d frames from ts %d, want frames 6-7", len(fr), fr[0].TS)
	}
}

func TestRotateTime(t *testing.T) {
	store := map[string][]byte{}
	const s = int64(1e9)
	start := int64(1700000000) * s // 2023-11-14 22:13:20 UTC
	r, _ := NewRotator(RotateConfig{Name: "t-%Y%m%d-%H%M%S.pcap", Every: 10 * s, Files: 2, Link: 1, Create: memCreate(store)}, start)
	var err error
	n := 0
	for i := int64(0); i < 40; i += 3 {
		if err = r.WritePacket(Info{TS: start + i*s, LinkType: 1}, frameData(int(i), 60)); err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, ErrRotationDone) {
		t.Fatalf("err = %v, want ErrRotationDone after 2 files", err)
	}
	r.Close()
	want := []string{"t-20231114-221320.pcap", "t-20231114-221332.pcap"}
	if got := r.Names(); !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	// Frames at 0 3 6 9 | 12 15 18 21 — the frame at 24 s ends the run.
	if a, b := len(framesOf(t, store[want[0]])), len(framesOf(t, store[want[1]])); a != 4 || b != 4 || n != 8 {
		t.Errorf("files hold %d and %d frames (%d written), want 4 and 4", a, b, n)
	}
	// Without time verbs -G numbers the files instead of overwriting one.
	store = map[string][]byte{}
	r, _ = NewRotator(RotateConfig{Name: "g", Every: 10 * s, Link: 1, Create: memCreate(store)}, start)
	for i := int64(0); i < 25; i += 5 {
		r.WritePacket(Info{TS: start + i*s, LinkType: 1}, frameData(int(i), 60))
	}
	r.Close()
	if got := r.Names(); !slices.Equal(got, []string{"g", "g1", "g2"}) {
		t.Errorf("names = %v, want g g1 g2", got)
	}
}

// Files on disk: the same frames come back from the rotated files read as one capture.
func TestRotateFilesReadBack(t *testing.T) {
	dir := t.TempDir()
	create := func(name string) (RotFile, error) {
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		return osFile{f}, nil
	}
	r, err := NewRotator(RotateConfig{Name: filepath.Join(dir, "c.pcapng"), Size: 5000, Pcapng: true, Link: 1, Create: create}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		r.WritePacket(Info{TS: int64(i), LinkType: 1}, frameData(i, 300+i))
	}
	r.Close()
	e, err := ExpandInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	src, err := OpenFiles(e.Paths)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for {
		f, err := src.Next()
		if err != nil {
			break
		}
		if f.Frame != uint64(i+1) || !bytes.Equal(f.Data, frameData(i, 300+i)) {
			t.Fatalf("frame %d differs", i+1)
		}
		i++
	}
	if i != 50 || len(e.Paths) < 3 {
		t.Errorf("%d frames from %d files, want 50 from several", i, len(e.Paths))
	}
}

type osFile struct{ *os.File }

func (f osFile) Commit(bool) error { return f.Close() }
