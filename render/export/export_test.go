package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segscope/segscope/internal/safefile"
	"github.com/segscope/segscope/report"
)

func TestBaseName(t *testing.T) {
	for _, c := range []struct {
		uri   string
		frame uint64
		want  string
	}{
		{"/a/b/c.txt", 1, "c.txt"},
		{"/a/b/c.txt?x=/etc/passwd#f", 1, "c.txt"},
		{"/", 7, "object7"},
		{"/dir/", 8, "object8"},
		{"", 9, "object9"},
		{"http://host.test/x/y.png", 1, "y.png"},
		{"http://host.test", 3, "object3"},
		{"/..", 1, "_."},
		{"/.hidden", 1, "_hidden"},
		{"/a%2Fb", 1, "a_b"},
		{"/my%20file.txt", 1, "my_file.txt"},
		{"/x%00y", 1, "x_y"},
		{"/caf%C3%A9", 1, "caf__"},
		{"/" + strings.Repeat("n", 300) + ".json", 1, strings.Repeat("n", 195) + ".json"},
		{"host:443", 1, "host_443"},
	} {
		got := BaseName(c.uri, c.frame)
		if got != c.want {
			t.Errorf("BaseName(%q) = %q, want %q", c.uri, got, c.want)
		}
		if err := safefile.CheckName(got); err != nil {
			t.Errorf("BaseName(%q) = %q: %v", c.uri, got, err)
		}
	}
}

// FuzzBaseName: any URI gives one safe, short path element.
func FuzzBaseName(f *testing.F) {
	for _, s := range []string{"/a/b", "/../../etc/passwd", "/%2e%2e", "/\x00", "http://x/../y", "/%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		n := BaseName(uri, 1)
		if err := safefile.CheckName(n); err != nil || len(n) > maxName || n[0] == '.' || strings.ContainsAny(n, "/\\\x00") {
			t.Fatalf("BaseName(%q) = %q (%v)", uri, n, err)
		}
	})
}

func rec(depth int, uri string, body string) *report.HTTP {
	return &report.HTTP{Conn: 1, Depth: depth, Method: "GET", URI: uri, Status: 200, Verdict: "complete",
		RespBodyLen: int64(len(body)), RespFrames: report.FrameRange{uint64(depth) * 10, uint64(depth) * 10},
		ContentType: "text/plain", RespBody: report.Body{Data: []byte(body), Kept: true}}
}

func readIndex(t *testing.T, dir string) []map[string]any {
	f, err := os.Open(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var xs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", err, sc.Bytes())
		}
		xs = append(xs, m)
	}
	return xs
}

func TestExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	run := func(o Options, rs ...*report.HTTP) (Stats, error) {
		s, err := Open(dir, o)
		if err != nil {
			return Stats{}, err
		}
		for _, r := range rs {
			if err := s.HTTP(r); err != nil {
				s.Close()
				return s.Stats(), err
			}
		}
		return s.Stats(), s.Close()
	}
	gap := rec(3, "/g.bin", "ab\x00\x00cd")
	gap.RespGapBytes = 2
	cut := rec(4, "/big", "part")
	cut.RespBody.Cut = true
	post := rec(5, "/up", "ok")
	post.Method, post.ReqBodyLen = "POST", 4
	post.ReqBody = report.Body{Data: []byte("data"), Kept: true}
	st, err := run(Options{}, rec(1, "/a.txt", "one"), rec(2, "/x/a.txt", "two"), gap, cut, post)
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 4 || st.Skipped != 2 {
		t.Errorf("stats %+v, want 4 written, 2 skipped", st)
	}
	for name, want := range map[string]string{"a.txt": "one", "a(1).txt": "two", "up": "data", "up(1)": "ok"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	idx := readIndex(t, dir)
	if len(idx) != 6 {
		t.Fatalf("index has %d lines, want 6", len(idx))
	}
	if idx[2]["skipped"] != "gap" || idx[2]["file"] != "" || idx[3]["skipped"] != "cut" || idx[4]["dir"] != "req" {
		t.Errorf("index = %v", idx)
	}
	if idx[0]["sha256"] != "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed" {
		t.Errorf("sha256 of \"one\" = %v", idx[0]["sha256"])
	}

	// Again: the files exist, an error without --force.
	if _, err := run(Options{}, rec(1, "/a.txt", "one")); !errors.Is(err, safefile.ErrExists) {
		t.Errorf("second run without Force: %v, want ErrExists", err)
	}
	// --force and --fill-gaps: the gap body is written, zero-filled.
	if _, err := run(Options{Force: true, FillGaps: true}, gap); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "g.bin")); string(b) != "ab\x00\x00cd" {
		t.Errorf("g.bin = %q", b)
	}
	// A link planted where a body goes is never followed, even with Force.
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	os.Remove(filepath.Join(dir, "a.txt"))
	if err := os.Symlink(victim, filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := run(Options{Force: true}, rec(1, "/a.txt", "evil")); !errors.Is(err, safefile.ErrLink) {
		t.Errorf("through a link: %v, want ErrLink", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target was written: %q", b)
	}
}
