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
		want     string
	}{
		{"192.168.1.102:50955", "74.125.19.104:80", 0, "192.168.001.102.50955-074.125.019.104.00080"},
		{"10.0.0.1:1", "10.0.0.2:80", 2, "010.000.000.001.00001-010.000.000.002.00080c2"},
		{"[fd77::1]:43968", "[fd77::2]:80", 0, "fd77::1.43968-fd77::2.00080"},
	} {
		got := Name(netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst), tc.index)
		if got != tc.want {
			t.Errorf("Name(%s, %s, %d) = %s, want %s", tc.src, tc.dst, tc.index, got, tc.want)
		}
	}
}

// TestGapIsAHoleAndListed writes a stream with a hole: the file keeps the bytes at their
// offsets, the hole reads back as zeros, and NAME.gaps lists it.
func TestGapIsAHoleAndListed(t *testing.T) {
	dir := t.TempDir()
	w := New(dir)
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
	w := New(dir)
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
