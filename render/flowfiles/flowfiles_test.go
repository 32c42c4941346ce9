package flowfiles

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/segscope/segscope/report"
)

func TestName(t *testing.T) {
	for _, tc := range []struct {
		src, dst string
		index    int
		vlan     int
		want     string
	}{
		{"192.168.1.102:50955", "74.125.19.104:80", 0, -1, "192.168.001.102.50955-074.125.019.104.00080"},
		{"10.0.0.1:1", "10.0.0.2:80", 2, -1, "010.000.000.001.00001-010.000.000.002.00080c2"},
		{"[fd77::1]:43968", "[fd77::2]:80", 0, -1, "fd77::1.43968-fd77::2.00080"},
		// On a VLAN, as tcpflow: "--" and the tag's TCI (priority bits included), before cN.
		{"1.1.1.1:12345", "2.2.2.2:8080", 0, 6, "001.001.001.001.12345-002.002.002.002.08080--6"},
		{"10.0.0.1:1", "10.0.0.2:80", 1, 45056, "010.000.000.001.00001-010.000.000.002.00080--45056c1"},
	} {
		got := Name(netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst), tc.index, tc.vlan)
		if got != tc.want {
			t.Errorf("Name(%s, %s, %d, %d) = %s, want %s", tc.src, tc.dst, tc.index, tc.vlan, got, tc.want)
		}
	}
}

// TestGapIsAHoleAndListed writes a stream with a hole: the file keeps the bytes at their
// offsets, the hole reads back as zeros, and NAME.gaps lists it.
func TestGapIsAHoleAndListed(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	c := &report.Conn{Conn: 1, Client: "10.0.0.1:1000", Server: "10.0.0.2:80"}
	if err := w.StreamOpen(c); err != nil {
		t.Fatal(err)
	}
	w.StreamData(1, "c2s", 0, []byte("GET "))
	w.StreamGap(1, "c2s", 4, 3)
	w.StreamData(1, "c2s", 7, []byte("end"))
	w.StreamGap(1, "s2c", 0, 5)
	if err := w.StreamClose(c); err != nil {
		t.Fatal(err)
	}
	name := "010.000.000.001.01000-010.000.000.002.00080"
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || string(got) != "GET \x00\x00\x00end" {
		t.Errorf("c2s file = %q, %v", got, err)
	}
	gaps, _ := os.ReadFile(filepath.Join(dir, name+".gaps"))
	if string(gaps) != "4 3\n" {
		t.Errorf("gaps = %q", gaps)
	}
	back, _ := os.ReadFile(filepath.Join(dir, "010.000.000.002.00080-010.000.000.001.01000"))
	if len(back) != 5 {
		t.Errorf("a gap at the end extends the file: size %d, want 5", len(back))
	}
}

// TestReusedTupleNeverOverwrites opens two connections on one 4-tuple that both claim
// index 0 (the first left the tracker's table before the second began): the second
// gets the "c1" files.
func TestReusedTupleNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= 2; id++ {
		c := &report.Conn{Conn: id, Client: "10.0.0.1:1000", Server: "10.0.0.2:80"}
		w.StreamOpen(c)
		w.StreamData(id, "c2s", 0, []byte{byte('0' + id)})
		w.StreamClose(c)
	}
	name := "010.000.000.001.01000-010.000.000.002.00080"
	a, _ := os.ReadFile(filepath.Join(dir, name))
	b, _ := os.ReadFile(filepath.Join(dir, name+"c1"))
	if string(a) != "1" || string(b) != "2" {
		t.Errorf("files %q and %q, want \"1\" and \"2\"", a, b)
	}
}

// TestPlantedSymlinkNotFollowed plants a link where a flow file will go: the write fails
// and the link's target is untouched; with force too.
func TestPlantedSymlinkNotFollowed(t *testing.T) {
	for _, force := range []bool{false, true} {
		dir, outside := t.TempDir(), t.TempDir()
		victim := filepath.Join(outside, "victim")
		os.WriteFile(victim, []byte("keep"), 0o644)
		name := "010.000.000.001.01000-010.000.000.002.00080"
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		w, err := Open(dir, force)
		if err != nil {
			t.Fatal(err)
		}
		c := &report.Conn{Conn: 1, Client: "10.0.0.1:1000", Server: "10.0.0.2:80"}
		w.StreamOpen(c)
		if err := w.StreamData(1, "c2s", 0, []byte("evil")); err == nil {
			t.Errorf("force=%v: writing through a planted link succeeded", force)
		}
		w.Close()
		if b, _ := os.ReadFile(victim); string(b) != "keep" {
			t.Errorf("force=%v: link target = %q, want it untouched", force, b)
		}
	}
}

// TestExistingFileNeedsForce: a file of the same name is an error without force and is
// overwritten with it.
func TestExistingFileNeedsForce(t *testing.T) {
	for _, force := range []bool{false, true} {
		dir := t.TempDir()
		name := "010.000.000.001.01000-010.000.000.002.00080"
		os.WriteFile(filepath.Join(dir, name), []byte("old contents"), 0o644)
		w, _ := Open(dir, force)
		c := &report.Conn{Conn: 1, Client: "10.0.0.1:1000", Server: "10.0.0.2:80"}
		w.StreamOpen(c)
		err := w.StreamData(1, "c2s", 0, []byte("new"))
		w.Close()
		got, _ := os.ReadFile(filepath.Join(dir, name))
		switch {
		case !force && (err == nil || string(got) != "old contents"):
			t.Errorf("without force: err %v, file %q; want an error and the old file", err, got)
		case force && (err != nil || string(got) != "new"):
			t.Errorf("with force: err %v, file %q; want \"new\"", err, got)
		}
	}
}

// TestHugeGapIsCut: a sequence jump of 4 GiB after a few bytes makes no 4 GiB file; the
// hole is cut out and listed as cut, and small holes stay holes.
func TestHugeGapIsCut(t *testing.T) {
	dir := t.TempDir()
	w, _ := Open(dir, false)
	c := &report.Conn{Conn: 1, Client: "10.0.0.1:1000", Server: "10.0.0.2:80"}
	w.StreamOpen(c)
	w.StreamData(1, "c2s", 0, []byte("abc"))
	w.StreamGap(1, "c2s", 3, 2)
	w.StreamData(1, "c2s", 5, []byte("de"))
	w.StreamGap(1, "c2s", 7, 4<<30)
	if err := w.StreamData(1, "c2s", 7+4<<30, []byte("fg")); err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 1000; i++ { // many jumps of 1 MiB each
		off := 9 + 4<<30 + i*(1<<20+1)
		w.StreamGap(1, "c2s", off, 1<<20)
		w.StreamData(1, "c2s", off+1<<20, []byte("x"))
	}
	w.Close()
	name := filepath.Join(dir, "010.000.000.001.01000-010.000.000.002.00080")
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 2<<20 {
		t.Errorf("file size %d after 1,007 delivered bytes, want ≤ 2 MiB", st.Size())
	}
	got, _ := os.ReadFile(name)
	if string(got[:9]) != "abc\x00\x00defg" {
		t.Errorf("file starts %q, want the small hole kept and the huge one cut", got[:9])
	}
	gaps, _ := os.ReadFile(name + ".gaps")
	if want := "3 2\n7 4294967296 cut\n"; len(gaps) < len(want) || string(gaps[:len(want)]) != want {
		t.Errorf("gaps start %q, want %q", gaps, want)
	}
}

// TestStateReleased: connections that carry no byte create nothing and keep no state;
// closed connections release theirs; no more than MaxOpen files are open.
func TestStateReleased(t *testing.T) {
	dir := t.TempDir()
	w, _ := Open(dir, false)
	for id := uint64(1); id <= 10000; id++ {
		c := &report.Conn{Conn: id, Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(id >> 8), byte(id)}), 1000).String(), Server: "10.0.0.2:80"}
		w.StreamOpen(c)
		if id%10 == 0 {
			w.StreamData(id, "c2s", 0, []byte("x"))
		}
		if id%20 != 0 {
			w.StreamClose(c)
		}
	}
	if len(w.conns) != 500 {
		t.Errorf("%d connections held, want the 500 still open", len(w.conns))
	}
	if w.lru.Len() > MaxOpen {
		t.Errorf("%d files open, want ≤ %d", w.lru.Len(), MaxOpen)
	}
	if w.Files != 1000 {
		t.Errorf("%d files created, want 1000 (one per connection with data)", w.Files)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1000 {
		t.Errorf("%d files in the directory, want 1000", len(ents))
	}
}
