package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope/render/export"
)

// corpus lists the project's captures and, when it is there, the public corpus in
// ../shared/pcaps or SEGSCOPE_CORPUS (saying so without it).
func corpus(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", "*.pcap"))
	shared := filepath.Join("..", "..", "..", "shared", "pcaps")
	if d := os.Getenv("SEGSCOPE_CORPUS"); d != "" {
		shared = d
	}
	if _, err := os.Stat(shared); err != nil {
		t.Logf("%s: not present, only testdata/pcaps is used (SEGSCOPE_CORPUS=DIR names the corpus)", shared)
		return files
	}
	filepath.WalkDir(shared, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// name turns a capture path into a unique file name.
func name(p string) string {
	p = filepath.ToSlash(p)
	if i := strings.Index(p, "pcaps/"); i >= 0 {
		p = p[i+len("pcaps/"):]
	}
	return strings.ReplaceAll(p, "/", "_")
}

func runCLI(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, nil, &out, &errb); code != 0 {
		t.Fatalf("segscope %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), errb.String()
}

// TestHARValid makes a HAR of every capture, checks what the HAR must say whatever the
// validator (one entry per http record, time the sum of the timings), and runs
// har-validator (tools/js) on all of them.
func TestHARValid(t *testing.T) {
	dir := t.TempDir()
	var hars []string
	for _, f := range corpus(t) {
		out := filepath.Join(dir, name(f)+".har")
		runCLI(t, "har", "-q", "-o", out, f)
		hars = append(hars, out)
		recs, _ := runCLI(t, "http", "-q", "--format", "json", f)
		var doc struct {
			Log struct {
				Version string
				Entries []struct {
					Time    float64
					Timings map[string]any
					Verdict string `json:"_verdict"`
				}
			}
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: HAR is not JSON: %v", f, err)
		}
		if doc.Log.Version != "1.2" {
			t.Errorf("%s: log.version %q", f, doc.Log.Version)
		}
		if n := strings.Count(recs, "\n"); n != len(doc.Log.Entries) {
			t.Errorf("%s: %d entries, want one per http record (%d): none may be left out", f, len(doc.Log.Entries), n)
		}
		for i, e := range doc.Log.Entries {
			sum := 0.0
			for _, v := range e.Timings {
				if v, ok := v.(float64); ok && v >= 0 {
					sum += v
				}
			}
			if math.Abs(sum-e.Time) > 0.002 {
				t.Errorf("%s entry %d: time %.3f, sum of timings %.3f", f, i, e.Time, sum)
			}
			if e.Verdict == "" {
				t.Errorf("%s entry %d: no _verdict", f, i)
			}
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("har-validator: node not installed")
	}
	js := filepath.Join("..", "..", "tools", "js")
	if _, err := os.Stat(filepath.Join(js, "node_modules", "har-validator")); err != nil {
		t.Skip("har-validator: tools/js/node_modules not installed (npm ci --prefix tools/js)")
	}
	out, err := exec.Command(node, append([]string{filepath.Join(js, "validate-har.js")}, hars...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("har-validator rejects HAR files: %v\n%s", err, out)
	}
	t.Logf("har-validator accepts %d HAR files", len(hars))
}

// exported is one body listed in index.jsonl.
type exported struct {
	Conn     uint64 `json:"conn"`
	Depth    int    `json:"depth"`
	Dir      string `json:"dir"`
	URI      string `json:"uri"`
	Status   int    `json:"status"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Verdict  string `json:"verdict"`
	Gap      uint64 `json:"gap_bytes"`
	File     string `json:"file"`
	Skipped  string `json:"skipped"`
	Encoding string `json:"content_encoding"`
	Decoded  bool   `json:"decoded"`
}

func readIndex(t *testing.T, dir string) []exported {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "index.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var xs []exported
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var x exported
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("index.jsonl: %v: %s", err, sc.Bytes())
		}
		xs = append(xs, x)
	}
	return xs
}

// digests returns the sha256 of every file in dir but index.jsonl, with its name.
func digests(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() == "index.jsonl" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		m[hex.EncodeToString(s[:])] = e.Name()
	}
	return m
}

// TestExportMatchesTshark compares `segscope export` with `tshark --export-objects
// http,DIR` (default preferences) on every capture: the same set of bodies by sha256,
// except for differences with a known reason, each checked against segscope's own
// records (explainOurs, explainTheirs). An unexplained difference fails.
func TestExportMatchesTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("export vs tshark: tshark not installed")
	}
	dir := t.TempDir()
	same, reasons := 0, map[string]int{}
	for _, f := range corpus(t) {
		n := name(f)
		ss, ts := filepath.Join(dir, "ss-"+n), filepath.Join(dir, "ts-"+n)
		runCLI(t, "export", "-q", ss, f)
		if err := os.Mkdir(ts, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(tshark, "-q", "-r", f, "--export-objects", "http,"+ts).CombinedOutput(); err != nil {
			t.Fatalf("tshark %s: %v\n%s", f, err, out)
		}
		ours, theirs := digests(t, ss), digests(t, ts)
		var c *captureFacts
		for sum, file := range ours {
			if _, ok := theirs[sum]; ok {
				same++
				continue
			}
			if c == nil {
				c = facts(t, f, ss)
			}
			why := c.explainOurs(sum)
			if why == "" {
				t.Errorf("%s: only segscope exports %s (sha256 %s), for no known reason", n, file, sum[:12])
				continue
			}
			reasons[why]++
			t.Logf("%s: only segscope exports %s: %s", n, file, why)
		}
		for sum, file := range theirs {
			if _, ok := ours[sum]; ok {
				continue
			}
			if c == nil {
				c = facts(t, f, ss)
			}
			why := c.explainTheirs(file)
			if why == "" {
				t.Errorf("%s: only tshark exports %s (sha256 %s), for no known reason", n, file, sum[:12])
				continue
			}
			reasons[why]++
			t.Logf("%s: only tshark exports %s: %s", n, file, why)
		}
	}
	t.Logf("%d bodies exported alike by sha256; differences by reason: %v", same, reasons)
	if same == 0 {
		t.Error("no body exported alike: the comparison compared nothing")
	}
}

// captureFacts is what segscope says about one capture, to explain differences.
type captureFacts struct {
	index []exported
	conns map[uint64]connFact
	http  []httpFact
}

type perDir struct{ C2S, S2C uint64 }

type connFact struct {
	Conn       uint64 `json:"conn"`
	OutOfOrder perDir `json:"out_of_order"`
	GapBytes   perDir `json:"gap_bytes"`
}

type httpFact struct {
	Conn       uint64    `json:"conn"`
	Depth      int       `json:"depth"`
	Method     string    `json:"method"`
	URI        string    `json:"uri"`
	Verdict    string    `json:"verdict"`
	ReqBody    int64     `json:"req_body_len"`
	RespBody   int64     `json:"resp_body_len"`
	ReqFrames  [2]uint64 `json:"req_frames"`
	RespFrames [2]uint64 `json:"resp_frames"`
}

func facts(t *testing.T, capture, exportDir string) *captureFacts {
	c := &captureFacts{index: readIndex(t, exportDir), conns: map[uint64]connFact{}}
	out, _ := runCLI(t, "conns", "-q", "--format", "json", capture)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r connFact
		if json.Unmarshal([]byte(l), &r) == nil && r.Conn > 0 {
			c.conns[r.Conn] = r
		}
	}
	out, _ = runCLI(t, "http", "-q", "--format", "json", capture)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r httpFact
		if json.Unmarshal([]byte(l), &r) == nil && r.Conn > 0 {
			c.http = append(c.http, r)
		}
	}
	return c
}

// explainOurs says why tshark lacks the body segscope wrote with digest sum.
func (c *captureFacts) explainOurs(sum string) string {
	for _, x := range c.index {
		if x.SHA256 != sum {
			continue
		}
		cn := c.conns[x.Conn]
		switch {
		case cn.OutOfOrder.C2S+cn.OutOfOrder.S2C > 0:
			return "out-of-order segments in the connection: tshark does not reassemble them by default (tcp.reassemble_out_of_order)"
		case cn.GapBytes.C2S+cn.GapBytes.S2C > 0:
			return "bytes lost in a gap elsewhere in the connection: tshark stops dissecting HTTP after it, segscope resynchronises"
		}
		for _, h := range c.http {
			if h.Conn == x.Conn && h.Depth == 1 && h.Method == "CONNECT" && x.Depth > 1 {
				return "HTTP inside a CONNECT tunnel: tshark does not dissect it"
			}
		}
		for _, h := range c.http {
			for _, g := range c.http {
				if h.Conn == x.Conn && g.Conn == x.Conn && h.Depth == x.Depth && g.Depth != h.Depth && g.ReqFrames[0] == h.ReqFrames[0] && h.ReqFrames[0] != 0 {
					return "requests pipelined in one segment: tshark pairs one response with them"
				}
			}
		}
	}
	return ""
}

// explainTheirs says why segscope has no file with the digest of tshark's file name.
func (c *captureFacts) explainTheirs(name string) string {
	if rest, ok := strings.CutPrefix(name, "object"); ok {
		if frame, err := strconv.ParseUint(rest, 10, 64); err == nil {
			inBody := false
			for _, h := range c.http {
				inBody = inBody || h.ReqBody > 0 && h.ReqFrames[0] <= frame && frame <= h.ReqFrames[1] ||
					h.RespBody > 0 && h.RespFrames[0] <= frame && frame <= h.RespFrames[1]
			}
			if !inBody {
				return "tshark exports bytes that are no message body (data before the first start line of a capture begun mid-stream, malformed request lines) as object<frame>"
			}
		}
	}
	base := name
	if i := strings.LastIndexByte(base, '('); i > 0 {
		if j := strings.IndexByte(base[i:], ')'); j > 0 {
			base = base[:i] + base[i+j+1:]
		}
	}
	for _, x := range c.index {
		if x.Skipped != "" && export.BaseName(x.URI, 0) == base {
			return "segscope skips a body that is " + x.Skipped + " (listed in index.jsonl; --fill-gaps writes it), tshark writes what it saw"
		}
	}
	for _, h := range c.http {
		if h.Verdict == "truncated" && export.BaseName(h.URI, 0) == base {
			return "the body's segments were cut by the snaplen: segscope has none of its bytes, tshark writes the captured parts"
		}
	}
	for _, h := range c.http {
		if h.Method == "CONNECT" && strings.ReplaceAll(h.URI, ":", "%3a") == name {
			return "tshark exports the tunnel's bytes after CONNECT as an object named after its target"
		}
	}
	return ""
}
