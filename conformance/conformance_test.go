package conformance_test

// Conformance tests: segscope's HTTP exchanges and reassembled streams against the
// expected outputs other projects ship with their captures (the shared corpus) and
// against the ground truth of segscope's own captures (testdata/pcaps/*.expect.tsv,
// written from the servers' logs) and of the benchmark corpus (nginx's access log).
// Scores are kept as baselines in conformance/testdata; a test fails when a score drops
// below its baseline, and `go test ./conformance -run Conformance -update` rewrites them.
//
// The peer-tool differential tests (tshark, tcpdump, tcpflow) are in differential_test.go;
// the helpers shared by both files are at the end of this one.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/render/flowfiles"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/report"
)

var update = flag.Bool("update", false, "rewrite the baselines and golden files in conformance/testdata")

// ---------------------------------------------------------------------------------------
// Shared helpers

// sharedDir is the public corpus: $SEGSCOPE_CORPUS, or ../shared/pcaps next to the
// repository.
var sharedDir = corpusDir()

func corpusDir() string {
	if d := os.Getenv("SEGSCOPE_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "pcaps")
}

// haveCorpus reports whether the shared corpus is there.
func haveCorpus() bool {
	st, err := os.Stat(sharedDir)
	return err == nil && st.IsDir()
}

// needCorpus skips t, with one line naming it, when the shared corpus is absent.
func needCorpus(t testing.TB) {
	t.Helper()
	if !haveCorpus() {
		t.Skipf("%s skipped: shared corpus %s absent (SEGSCOPE_CORPUS=DIR points elsewhere)", t.Name(), sharedDir)
	}
}

// ownDir holds the project's own captures.
var ownDir = filepath.Join("..", "testdata", "pcaps")

const baselineDir = "testdata"

// sharedCaptures lists the captures of the shared corpus; it skips the test when the
// corpus is absent.
func sharedCaptures(t *testing.T) []string {
	t.Helper()
	needCorpus(t)
	return globCaptures(filepath.Join(sharedDir, "*"))
}

// ownCaptures lists testdata/pcaps/*.pcap and *.pcapng as they are at test time.
func ownCaptures() []string { return globCaptures(ownDir) }

func globCaptures(dir string) []string {
	var out []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}

// allCaptures is the shared corpus followed by the project's own captures.
func allCaptures(t *testing.T) []string {
	t.Helper()
	var out []string
	if haveCorpus() {
		out = append(out, globCaptures(filepath.Join(sharedDir, "*"))...)
	} else {
		t.Logf("shared corpus %s absent: %s runs on testdata/pcaps only", sharedDir, t.Name())
	}
	out = append(out, ownCaptures()...)
	if len(out) == 0 {
		t.Fatalf("no captures in %s or %s", sharedDir, ownDir)
	}
	return out
}

// capName names a capture in tables: "zeek/get.pcap", "own/get-simple.pcap".
func capName(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	if filepath.Clean(filepath.Dir(path)) == filepath.Clean(ownDir) {
		dir = "own"
	}
	return dir + "/" + filepath.Base(path)
}

// recorder is a report.Sink that keeps copies of every record.
type recorder struct {
	segs   []report.Segment
	conns  []report.Conn
	https  []report.HTTP
	anats  []report.Anatomy // without Parts and Segments
	closed bool
	// crashedAt is the first frame not processed because segscope panicked (0: no
	// panic); comparisons ignore frames from there on, the panic is reported once.
	crashedAt uint64
	lastFrame uint64
	vanished  bool // the capture disappeared (being regenerated): skip it
}

func (r *recorder) Segment(s *report.Segment) error {
	c := *s
	c.Options.SACK = append([][2]uint32(nil), s.Options.SACK...)
	r.segs = append(r.segs, c)
	r.lastFrame = s.Frame
	return nil
}

func (r *recorder) Conn(c *report.Conn) error { r.conns = append(r.conns, *c); return nil }

func (r *recorder) HTTP(h *report.HTTP) error {
	c := *h
	c.Interim = append([]int(nil), h.Interim...)
	c.Anomalies = append([]string(nil), h.Anomalies...)
	r.https = append(r.https, c)
	return nil
}

func (r *recorder) Anatomy(a *report.Anatomy) error {
	c := *a
	c.Parts, c.Segments = nil, nil // not kept: sizes only
	r.anats = append(r.anats, c)
	return nil
}
func (r *recorder) Event(*report.Event) error     { return nil }
func (r *recorder) Finding(*report.Finding) error { return nil }
func (r *recorder) Close() error                  { r.closed = true; return nil }

// run runs the pipeline on a capture in the given mode and returns what it reported.
// A capture cut short is not an error here: records up to the cut are kept.
func run(t testing.TB, path string, cfg segscope.Config) (*recorder, *report.Summary) {
	t.Helper()
	rec := &recorder{}
	sum, err := runSink(t, path, rec, cfg)
	if errors.Is(err, errVanished) {
		rec.vanished = true
		return rec, &report.Summary{}
	}
	if err != nil {
		t.Logf("%s: %v", capName(path), err)
		if strings.HasPrefix(err.Error(), "panic") {
			rec.crashedAt = rec.lastFrame + 1
			if rec.crashedAt == 1 {
				rec.crashedAt = 1 << 62
			}
		}
	}
	return rec, sum
}

func runSink(t testing.TB, path string, sink report.Sink, cfg segscope.Config) (sum *report.Summary, err error) {
	t.Helper()
	// A panic is a bug on any input (STYLE.md); report it against the capture and go on
	// with the others, so one crash does not hide every other result.
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: segscope panicked in %s mode: %v", capName(path), cfg.Mode, r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	src, err := capture.Open(path)
	if err != nil {
		// testdata/pcaps may be regenerated while tests run: a capture that vanished
		// is skipped, not failed.
		if errors.Is(err, os.ErrNotExist) {
			return nil, errVanished
		}
		t.Errorf("open %s: %v", path, err)
		return nil, err
	}
	defer func() {
		if c, ok := src.(io.Closer); ok {
			c.Close()
		}
	}()
	return segscope.Run(context.Background(), src, sink, cfg)
}

var errVanished = errors.New("capture vanished")

// readBaseline reads "key<TAB>value" lines (# comments ignored).
func readBaseline(t *testing.T, name string) map[string]string {
	t.Helper()
	m := map[string]string{}
	b, err := os.ReadFile(filepath.Join(baselineDir, name))
	if errors.Is(err, os.ErrNotExist) {
		return m
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if ok {
			m[k] = v
		}
	}
	return m
}

func writeBaseline(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(baselineDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(baselineDir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// score is matched/expected.
type score struct{ got, want int }

func (s score) String() string { return fmt.Sprintf("%d/%d", s.got, s.want) }

func (s score) ratio() float64 {
	if s.want == 0 {
		return 1
	}
	return float64(s.got) / float64(s.want)
}

func parseScore(v string) (score, bool) {
	a, b, ok := strings.Cut(strings.Fields(v + " ")[0], "/")
	if !ok {
		return score{}, false
	}
	g, err1 := strconv.Atoi(a)
	w, err2 := strconv.Atoi(b)
	return score{g, w}, err1 == nil && err2 == nil
}

// ---------------------------------------------------------------------------------------
// HTTP conformance

// httpCheck is one expected exchange with the fields an oracle states; nil/"" fields
// are not stated.
type httpCheck struct {
	src    string // where the expectation comes from, for messages
	conn   uint64 // segscope connection id, 0 when matched by 4-tuple or not stated
	client string // "ip:port" of the originator when known
	server string
	depth  int
	fields map[string]string // method, host, uri, status, req_body_len, resp_body_len, resp_decoded_len
	anyOf  bool              // match any exchange of the capture (no connection/depth stated)
	// oracle conventions, applied to segscope's value before comparing
	unescapeURI bool // Zeek logs the URI with %XX escapes decoded
	hostNoPort  bool // Suricata's http.hostname has no port
}

// equal compares a field of h with the oracle's value under the oracle's conventions.
func (c *httpCheck) equal(h *report.HTTP, k, want string) bool {
	got := fieldOf(h, k)
	if got == want {
		return true
	}
	switch {
	case k == "uri" && c.unescapeURI:
		return zeekUnescape(got) == want
	case k == "host" && c.hostNoPort:
		if i := strings.LastIndex(got, ":"); i > 0 && !strings.HasSuffix(got, "]") {
			return got[:i] == want
		}
	}
	return false
}

// zeekUnescape decodes %XX escapes as Zeek's unescape_URI does (other bytes, '+'
// included, unchanged; a malformed escape kept as is).
func zeekUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fieldOf returns the value of a named field of a segscope exchange, as text.
func fieldOf(h *report.HTTP, name string) string {
	switch name {
	case "method":
		return h.Method
	case "host":
		return h.Host
	case "uri":
		return h.URI
	case "status":
		return strconv.Itoa(h.Status)
	case "req_body_len":
		return strconv.FormatInt(h.ReqBodyLen, 10)
	case "resp_body_len":
		return strconv.FormatInt(h.RespBodyLen, 10)
	case "resp_decoded_len":
		// Zeek and Suricata count bytes after undoing content-coding.
		if h.ContentEnc != "" && h.RespDecodedLen >= 0 {
			return strconv.FormatInt(h.RespDecodedLen, 10)
		}
		return strconv.FormatInt(h.RespBodyLen, 10)
	case "version":
		return h.Version
	case "interim":
		var s []string
		for _, v := range h.Interim {
			s = append(s, strconv.Itoa(v))
		}
		return strings.Join(s, ",")
	}
	return "?"
}

// sameEndpoint compares "ip:port" strings, tolerating brackets and zero-padding styles.
func sameEndpoint(a, b string) bool {
	return strings.Trim(a, "[]") == strings.Trim(b, "[]") || a == b
}

// scoreHTTP matches every expectation against segscope's exchanges and returns
// matched/expected fields and a list of mismatch descriptions. Matching is in two passes:
// first every expectation that some unused exchange satisfies in full takes it, then the
// rest take their best partial match. An exchange is looked for on the stated
// connection and depth first, then (for captures that start mid-stream, where segscope
// cannot know how many exchanges came before) on the connection at any depth.
func scoreHTTP(got []report.HTTP, checks []httpCheck) (score, []string) {
	var s score
	var bad []string
	used := map[int]bool{}
	match := make([]int, len(checks))
	cands := func(c *httpCheck, depth bool) []int {
		var out []int
		for i := range got {
			h := &got[i]
			if !c.anyOf {
				if c.conn != 0 && h.Conn != c.conn {
					continue
				}
				if c.client != "" && !(sameEndpoint(h.Client, c.client) && sameEndpoint(h.Server, c.server)) {
					continue
				}
				if depth && c.depth != 0 && h.Depth != c.depth {
					continue
				}
			}
			out = append(out, i)
		}
		return out
	}
	fit := func(c *httpCheck, i int) int {
		n := 0
		for k, v := range c.fields {
			if c.equal(&got[i], k, v) {
				n++
			}
		}
		return n
	}
	for ci := range checks {
		match[ci] = -1
		c := &checks[ci]
		for _, depth := range []bool{true, false} {
			for _, i := range cands(c, depth) {
				if !used[i] && fit(c, i) == len(c.fields) {
					match[ci] = i
					used[i] = true
					break
				}
			}
			if match[ci] >= 0 {
				break
			}
		}
	}
	for ci := range checks {
		if match[ci] >= 0 {
			continue
		}
		c := &checks[ci]
		best, bestN := -1, -1
		for _, depth := range []bool{true, false} {
			for _, i := range cands(c, depth) {
				if used[i] {
					continue
				}
				if n := fit(c, i); n > bestN {
					best, bestN = i, n
				}
			}
			if best >= 0 {
				break
			}
		}
		match[ci] = best
		if best >= 0 {
			used[best] = true
		}
	}
	for ci := range checks {
		c := &checks[ci]
		s.want += len(c.fields)
		best := match[ci]
		if best < 0 {
			bad = append(bad, fmt.Sprintf("%s: no exchange conn=%d %s depth=%d, want %v", c.src, c.conn, c.client, c.depth, c.fields))
			continue
		}
		h := &got[best]
		for _, k := range sortedKeys(c.fields) {
			v := c.fields[k]
			if g := fieldOf(h, k); c.equal(h, k, v) {
				s.got++
			} else {
				bad = append(bad, fmt.Sprintf("%s: conn %d depth %d (frames %v/%v, verdict %s) %s = %q, want %q", c.src, h.Conn, h.Depth, h.ReqFrames, h.RespFrames, h.Verdict, k, g, v))
			}
		}
	}
	return s, bad
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// zeekTable parses a Zeek ASCII log (#fields header) or a zeek-cut -m projection (banner
// line, then the column names, then rows). Rows are maps column -> value.
func zeekTable(path string) ([]map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cols []string
	var rows []map[string]string
	cut := strings.HasSuffix(path, ".cut")
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			cols = strings.Split(line, "\t")[1:]
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case cut && cols == nil:
			if i == 0 && !strings.Contains(line, "\t") {
				continue // btest banner
			}
			cols = strings.Split(line, "\t")
			continue
		}
		if cols == nil {
			continue
		}
		f := strings.Split(line, "\t")
		r := map[string]string{}
		for j, c := range cols {
			if j < len(f) {
				r[c] = f[j]
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// zeekChecks turns a Zeek http.log (or its cut) into expectations.
func zeekChecks(path string) ([]httpCheck, error) {
	rows, err := zeekTable(path)
	if err != nil {
		return nil, err
	}
	fieldMap := map[string]string{
		"method": "method", "host": "host", "uri": "uri", "status_code": "status",
		"request_body_len": "req_body_len", "response_body_len": "resp_decoded_len",
	}
	var out []httpCheck
	for i, r := range rows {
		c := httpCheck{src: fmt.Sprintf("%s row %d", filepath.Base(path), i+1), fields: map[string]string{}, unescapeURI: true}
		if r["id.orig_h"] != "" {
			c.client = joinHostPort(r["id.orig_h"], r["id.orig_p"])
			c.server = joinHostPort(r["id.resp_h"], r["id.resp_p"])
		}
		if d, err := strconv.Atoi(r["trans_depth"]); err == nil {
			c.depth = d
		}
		if c.client == "" && c.depth == 0 {
			c.anyOf = true
		}
		// A request line without a version ("GET /HTTP/1.1") makes Zeek parse the
		// exchange as HTTP/0.9: it then logs no status and counts the whole reply
		// (head included) as the body. segscope, like the server, treats such a reply
		// as HTTP/1.x; only method, host and uri are comparable.
		zeek09 := r["version"] == "0.9"
		for zk, sk := range fieldMap {
			v, ok := r[zk]
			if !ok || (zeek09 && (zk == "status_code" || zk == "response_body_len")) {
				continue
			}
			switch {
			case v == "-" && zk == "status_code":
				v = "0"
			case v == "-" && zk == "method":
				continue // a response without request: Zeek logs no method; segscope ""
			case v == "-":
				continue // unset: nothing stated
			case v == "(empty)":
				v = ""
			}
			c.fields[sk] = v
		}
		out = append(out, c)
	}
	return out, nil
}

func joinHostPort(h, p string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + p
	}
	return h + ":" + p
}

// suricataBlock is one "- filter:" check of a suricata-verify test.yaml: exactly count
// events match every key of kv (nested keys joined with ".").
type suricataBlock struct {
	count int
	kv    map[string]string
}

// suricataBlocks reads the filter checks of a test.yaml with a line scanner (the files
// use a small, regular YAML subset; no YAML module needed).
func suricataBlocks(path string) ([]*suricataBlock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var blocks []*suricataBlock
	var cur *suricataBlock
	var inMatch bool
	var prefix []string // nested keys inside match (e.g. "http")
	var indents []int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		ind := len(line) - len(strings.TrimLeft(line, " "))
		if strings.HasPrefix(trim, "- filter:") {
			cur = &suricataBlock{count: -1, kv: map[string]string{}}
			blocks = append(blocks, cur)
			inMatch = false
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasPrefix(trim, "- ") {
			cur = nil // another kind of check (stats, shell, ...)
			continue
		}
		k, v, _ := strings.Cut(trim, ":")
		v = strings.TrimSpace(v)
		v = strings.Trim(v, `"'`)
		switch {
		case k == "count" && !inMatch:
			cur.count, _ = strconv.Atoi(v)
		case k == "match":
			inMatch = true
			prefix, indents = nil, nil
		case inMatch:
			for len(indents) > 0 && ind <= indents[len(indents)-1] {
				prefix, indents = prefix[:len(prefix)-1], indents[:len(indents)-1]
			}
			if v == "" {
				prefix, indents = append(prefix, k), append(indents, ind)
				continue
			}
			cur.kv[strings.Join(append(append([]string(nil), prefix...), k), ".")] = v
		}
	}
	return blocks, nil
}

// suricataChecks turns the http events of a test.yaml into expectations: every filter
// whose match has "event_type: http" and count >= 1 gives one expectation per counted
// event, matched against any exchange of the capture, as the filter does.
func suricataChecks(path string) ([]httpCheck, error) {
	blocks, err := suricataBlocks(path)
	if err != nil {
		return nil, err
	}
	fieldMap := map[string]string{
		"http.http_method": "method", "http.hostname": "host", "http.url": "uri",
		"http.status": "status", "http.length": "resp_decoded_len",
	}
	var out []httpCheck
	for bi, bl := range blocks {
		if bl.kv["event_type"] != "http" || bl.count < 1 {
			continue
		}
		fields := map[string]string{}
		for sk, k := range fieldMap {
			if v, ok := bl.kv[sk]; ok {
				fields[k] = v
			}
		}
		if len(fields) == 0 {
			continue
		}
		depth := 0
		if v, ok := bl.kv["tx_id"]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				depth = n + 1
			}
		}
		for i := 0; i < bl.count; i++ {
			// tx_id restarts inside a CONNECT tunnel (see http-connect-simple), so it
			// does not identify the exchange: match any exchange, best fit first.
			_ = depth
			c := httpCheck{src: fmt.Sprintf("%s filter %d", filepath.Base(path), bi+1), fields: fields, anyOf: true, hostNoPort: true}
			out = append(out, c)
		}
	}
	return out, nil
}

// expectChecks reads testdata/pcaps/NAME.expect.tsv (conn_index depth method uri status
// resp_body_len req_body_len [note]; "-" = not known).
func expectChecks(path string) ([]httpCheck, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []httpCheck
	var cols []string
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if cols == nil && f[0] == "conn_index" {
			cols = f
			continue
		}
		if cols == nil {
			cols = []string{"conn_index", "depth", "method", "uri", "status", "resp_body_len", "req_body_len", "note"}
		}
		r := map[string]string{}
		for j, c := range cols {
			if j < len(f) {
				r[c] = f[j]
			}
		}
		c := httpCheck{src: fmt.Sprintf("%s line %d", filepath.Base(path), i+1), fields: map[string]string{}}
		c.conn, _ = strconv.ParseUint(r["conn_index"], 10, 64)
		c.depth, _ = strconv.Atoi(r["depth"])
		for _, k := range []string{"method", "uri", "status", "resp_body_len", "req_body_len"} {
			if v, ok := r[k]; ok && v != "-" && v != "" {
				c.fields[k] = v
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// ndpiChecks reads the [URL: host/uri] and [StatusCode: N] of nDPI's flow lines (the
// flow's first request and its response), one expectation per flow, any exchange.
func ndpiChecks(path string) ([]httpCheck, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	urlRE := regexp.MustCompile(`\[URL: ([^/\]]*)(/[^\]]*)\]`)
	stRE := regexp.MustCompile(`\[StatusCode: (\d+)\]`)
	var out []httpCheck
	for i, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "TCP ") {
			continue
		}
		c := httpCheck{src: fmt.Sprintf("%s line %d", filepath.Base(path), i+1), anyOf: true, fields: map[string]string{}}
		if m := urlRE.FindStringSubmatch(line); m != nil {
			c.fields["host"], c.fields["uri"] = m[1], m[2]
		}
		if m := stRE.FindStringSubmatch(line); m != nil {
			c.fields["status"] = m[1]
		}
		if len(c.fields) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// httpOracles returns, for a capture, every expectation its oracles state.
func httpOracles(path string) ([]httpCheck, []string) {
	stem := strings.TrimSuffix(strings.TrimSuffix(path, filepath.Ext(path)), ".pcap")
	var checks []httpCheck
	var srcs []string
	add := func(p string, f func(string) ([]httpCheck, error)) {
		if _, err := os.Stat(p); err != nil {
			return
		}
		cs, err := f(p)
		if err != nil {
			return
		}
		checks = append(checks, cs...)
		srcs = append(srcs, filepath.Base(p))
	}
	add(stem+".http.log", zeekChecks)
	add(stem+".http.log.cut", zeekChecks)
	add(stem+".test.yaml", suricataChecks)
	add(stem+".expect.tsv", expectChecks)
	add(path+".ndpi.out", ndpiChecks)
	return checks, srcs
}

// TestConformanceHTTP scores segscope's http records against every HTTP oracle: Zeek's
// http.log and zeek-cut projections (method, host, uri, status, trans_depth, request and
// decoded response body lengths), Suricata's test.yaml http checks, and the
// testdata/pcaps/*.expect.tsv ground truth. The table goes to t.Log and to
// testdata/conformance/http-scores.txt; a capture scoring below its baseline fails.
func TestConformanceHTTP(t *testing.T) {
	files := allCaptures(t)
	base := readBaseline(t, "http-scores.txt")
	var tbl strings.Builder
	var total score
	fmt.Fprintf(&tbl, "# segscope HTTP conformance: matched/expected fields per capture (oracle files in brackets).\n")
	fmt.Fprintf(&tbl, "# Regenerate with: go test -run TestConformanceHTTP -update\n")
	for _, path := range files {
		checks, srcs := httpOracles(path)
		if len(checks) == 0 {
			continue
		}
		cfg := segscope.Config{Mode: segscope.ModeHTTP}
		if kl := keyLogNextTo(path); kl != nil {
			cfg.TLSKeys = kl // an HTTPS capture with its key log (make-tls-captures.sh)
		}
		rec, _ := run(t, path, cfg)
		s, bad := scoreHTTP(rec.https, checks)
		total.got += s.got
		total.want += s.want
		name := capName(path)
		fmt.Fprintf(&tbl, "%s\t%s\t%.1f%%\t[%s]\n", name, s, 100*s.ratio(), strings.Join(srcs, " "))
		for i, b := range bad {
			if i == 10 {
				t.Logf("  %s: ... %d more", name, len(bad)-10)
				break
			}
			t.Logf("  %s: %s", name, b)
		}
		if old, ok := base[name]; ok && !*update {
			if bs, ok := parseScore(old); ok && s.got < bs.got {
				t.Errorf("%s: HTTP conformance dropped to %s from baseline %s", name, s, bs)
			}
		}
	}
	fmt.Fprintf(&tbl, "TOTAL\t%s\t%.1f%%\n", total, 100*total.ratio())
	t.Logf("HTTP conformance:\n%s", tbl.String())
	if *update || len(base) == 0 {
		writeBaseline(t, "http-scores.txt", tbl.String())
	}
}

// TestConformanceBench checks every transaction of the benchmark corpus's nginx access
// log: method, URI, status and body length equal. nginx's body_bytes_sent counts the
// body as sent: compressed for gzip (so not resp_decoded_len), and with the chunked
// framing when nginx chunked it (gzip responses of unknown length), so it is compared
// with the response's wire size minus its head (the anatomy record's msg_len -
// header_len); resp_body_len (framing removed) is accepted too when the response was not
// chunked. SEGSCOPE_BENCH_DIR overrides /tmp/bench.
func TestConformanceBench(t *testing.T) {
	dir := os.Getenv("SEGSCOPE_BENCH_DIR")
	if dir == "" {
		dir = "/tmp/bench"
	}
	pcap := filepath.Join(dir, "bench-small-mtu1500.pcap")
	truth := filepath.Join(dir, "bench-small-mtu1500.truth.tsv")
	if _, err := os.Stat(pcap); err != nil {
		t.Skipf("no bench capture: %v", err)
	}
	tb, err := os.ReadFile(truth)
	if err != nil {
		t.Skipf("no bench truth: %v", err)
	}
	rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeHTTP})
	arec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeAnatomy})
	type ck struct {
		conn  uint64
		depth int
	}
	wireBody := map[ck]int64{}
	for _, a := range arec.anats {
		if a.Dir == "s2c" {
			wireBody[ck{a.Conn, a.Depth}] = a.MsgLen - a.HeaderLen
		}
	}
	// Index segscope's exchanges by client port and depth; a port reused by several
	// connections holds a list, consumed in order.
	type key struct {
		port  string
		depth int
	}
	have := map[key][]*report.HTTP{}
	for i := range rec.https {
		h := &rec.https[i]
		_, port, _ := strings.Cut(h.Client[strings.LastIndex(h.Client, ":"):], ":")
		k := key{port, h.Depth}
		have[k] = append(have[k], h)
	}
	var n, found, exact int
	var bad []string
	for _, line := range strings.Split(strings.TrimRight(string(tb), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 8 || f[0] == "client_port" {
			continue
		}
		n++
		depth, _ := strconv.Atoi(f[2])
		k := key{f[0], depth}
		want := [4]string{f[3], f[4], f[6], f[7]}
		cands := have[k]
		if len(cands) == 0 {
			bad = append(bad, fmt.Sprintf("missing: port %s request %d %s %s", f[0], depth, f[3], f[4]))
			continue
		}
		found++
		j := 0
		for i, h := range cands {
			if h.Method == f[3] && h.URI == f[4] {
				j = i
				break
			}
		}
		h := cands[j]
		have[k] = append(cands[:j:j], cands[j+1:]...)
		body := h.RespBodyLen
		if w, ok := wireBody[ck{h.Conn, h.Depth}]; ok && strconv.FormatInt(w, 10) == f[7] {
			body = w
		}
		got := [4]string{h.Method, h.URI, strconv.Itoa(h.Status), strconv.FormatInt(body, 10)}
		if got == want {
			exact++
		} else {
			bad = append(bad, fmt.Sprintf("conn %d depth %d frames %v/%v: got %v want %v (method uri status body)", h.Conn, h.Depth, h.ReqFrames, h.RespFrames, got, want))
		}
	}
	t.Logf("bench-small-mtu1500: %d transactions in truth, %d found, %d exact; segscope reported %d exchanges", n, found, exact, len(rec.https))
	for i, b := range bad {
		if i == 20 {
			t.Logf("... %d more", len(bad)-20)
			break
		}
		t.Log(b)
	}
	if exact != n {
		t.Errorf("bench: %d of %d transactions not reproduced exactly", n-exact, n)
	}
}

// ---------------------------------------------------------------------------------------
// Streams against stated digests

// streamDigests runs segscope's follow mode with the tcpflow-style file writer into a
// temporary directory and returns file name -> contents.
func streamFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	w, err := flowfiles.Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runSink(t, path, &recorder{}, segscope.Config{Mode: segscope.ModeFollow, Stream: w})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Logf("%s: %v", capName(path), err)
	}
	out := map[string][]byte{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// TestConformanceStreamDigests compares segscope's reassembled streams with the md5 and
// length lists in ../shared/pcaps/tcpflow: test1.tcpflow-md5.txt (tcpflow's own test,
// file names included) and test5-lines*.streams.txt (derived ground truth per direction).
func TestConformanceStreamDigests(t *testing.T) {
	sharedCaptures(t)
	dir := filepath.Join(sharedDir, "tcpflow")
	lists, _ := filepath.Glob(filepath.Join(dir, "*.tcpflow-md5.txt"))
	for _, l := range lists {
		pcap := strings.TrimSuffix(l, ".tcpflow-md5.txt") + ".pcap"
		files := streamFiles(t, pcap)
		b, _ := os.ReadFile(l)
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 || strings.HasPrefix(line, "#") {
				continue
			}
			got, ok := files[f[2]]
			switch {
			case !ok:
				t.Errorf("%s: no file %s (have %v)", filepath.Base(pcap), f[2], sortedKeys(files))
			case md5hex(got) != f[0] || (f[1] != "-" && strconv.Itoa(len(got)) != f[1]):
				t.Errorf("%s: %s: md5 %s len %d, want %s len %s", filepath.Base(pcap), f[2], md5hex(got), len(got), f[0], f[1])
			default:
				t.Logf("%s: %s ok (%d bytes)", filepath.Base(pcap), f[2], len(got))
			}
		}
	}
	lists, _ = filepath.Glob(filepath.Join(dir, "*.streams.txt"))
	for _, l := range lists {
		stem := strings.TrimSuffix(l, ".streams.txt")
		pcap := stem + ".pcap"
		if _, err := os.Stat(pcap); err != nil {
			pcap = stem + ".pcapng"
		}
		files := streamFiles(t, pcap)
		rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeConns})
		if len(rec.conns) == 0 {
			t.Errorf("%s: no connection", filepath.Base(pcap))
			continue
		}
		if len(rec.conns) != 1 {
			t.Errorf("%s: %d connections, want 1 (comparing the first)", filepath.Base(pcap), len(rec.conns))
		}
		c := rec.conns[0]
		cli, srv := mustAP(t, c.Client), mustAP(t, c.Server)
		names := map[string]string{
			"client->server": flowfiles.Name(cli, srv, 0, -1),
			"server->client": flowfiles.Name(srv, cli, 0, -1),
		}
		b, _ := os.ReadFile(l)
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 || names[f[0]] == "" {
				continue
			}
			got := files[names[f[0]]]
			if md5hex(got) != f[2] || strconv.Itoa(len(got)) != f[1] {
				t.Errorf("%s: %s: md5 %s len %d, want %s len %s", filepath.Base(pcap), f[0], md5hex(got), len(got), f[2], f[1])
			} else {
				t.Logf("%s: %s ok (%d bytes)", filepath.Base(pcap), f[0], len(got))
			}
		}
	}
}

// ---------------------------------------------------------------------------------------
// Determinism

// TestDeterminism runs every capture in every record-producing mode with one worker,
// again with one, and with two and three (connections sharded by flow hash in the
// packets, conns and http modes; two pipeline stages in the others), and requires
// byte-identical JSON Lines output and equal summaries. The sharded modes run once more
// with short timeouts, so that idle timeouts, close waits and tombstone expiry fire often
// and at the same segments in every shard.
func TestDeterminism(t *testing.T) {
	files := allCaptures(t)
	modes := []segscope.Mode{segscope.ModePackets, segscope.ModeConns, segscope.ModeHTTP, segscope.ModeAnatomy, segscope.ModeLadder, segscope.ModeDiagnose}
	short := reassembly.Config{IdleTimeout: 20e6, CloseWait: 1e6, ClosedLinger: 5e6}
	workers := []int{1, 1, 2, 3}
	for _, path := range files {
		for _, m := range modes {
			trackers := []reassembly.Config{{}}
			if m == segscope.ModePackets || m == segscope.ModeConns || m == segscope.ModeHTTP {
				trackers = append(trackers, short)
			}
			for ti, tc := range trackers {
				out := make([]bytes.Buffer, len(workers))
				sums := make([]*report.Summary, len(workers))
				for i, w := range workers {
					sum, err := runSink(t, path, jsonl.New(&out[i]), segscope.Config{Mode: m, Workers: w, Tracker: tc})
					if err != nil && i == 0 && ti == 0 {
						t.Logf("%s %s: %v", capName(path), m, err)
					}
					sums[i] = sum
				}
				for i := 1; i < len(workers); i++ {
					if !bytes.Equal(out[0].Bytes(), out[i].Bytes()) {
						a, b := out[0].String(), out[i].String()
						j := 0
						for j < len(a) && j < len(b) && a[j] == b[j] {
							j++
						}
						t.Errorf("%s %s (trackers %d): runs with %d and %d workers differ at byte %d: %q vs %q",
							capName(path), m, ti, workers[0], workers[i], j, snippet(a, j), snippet(b, j))
					}
					if !reflect.DeepEqual(sums[0], sums[i]) {
						t.Errorf("%s %s (trackers %d): summaries with %d and %d workers differ: %+v vs %+v",
							capName(path), m, ti, workers[0], workers[i], sums[0], sums[i])
					}
				}
			}
		}
	}
}

func snippet(s string, i int) string {
	lo, hi := i-40, i+80
	if lo < 0 {
		lo = 0
	}
	if hi > len(s) {
		hi = len(s)
	}
	return s[lo:hi]
}

// TestConformanceSuricataFlow checks Suricata's flow events in test.yaml: packets and
// bytes per direction (flow.pkts_toserver/toclient, flow.bytes_toserver/toclient, bytes
// = captured frame lengths, link header included) of the connection to dest_port, from
// segscope's segment records.
func TestConformanceSuricataFlow(t *testing.T) {
	sharedCaptures(t)
	yamls, _ := filepath.Glob(filepath.Join(sharedDir, "suricata", "*.test.yaml"))
	n := 0
	for _, y := range yamls {
		blocks, err := suricataBlocks(y)
		if err != nil {
			t.Fatal(err)
		}
		pcap := strings.TrimSuffix(y, ".test.yaml") + ".pcap"
		for _, b := range blocks {
			if b.kv["event_type"] != "flow" || b.count != 1 {
				continue
			}
			var segs []report.Segment
			if rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModePackets}); rec != nil {
				segs = rec.segs
			}
			port := b.kv["dest_port"]
			// per connection: [toserver, toclient] packets and bytes, "server" being
			// the endpoint on dest_port
			type agg struct{ pkts, bytes [2]int64 }
			per := map[uint64]*agg{}
			for _, s := range segs {
				a := per[s.Conn]
				if a == nil {
					a = &agg{}
					per[s.Conn] = a
				}
				d := 1
				if strings.HasSuffix(s.Dst, ":"+port) {
					d = 0
				}
				a.pkts[d]++
				a.bytes[d] += int64(s.FrameLen)
			}
			want := map[string]string{}
			for _, k := range []string{"flow.pkts_toserver", "flow.pkts_toclient", "flow.bytes_toserver", "flow.bytes_toclient"} {
				if v, ok := b.kv[k]; ok {
					want[k] = v
				}
			}
			if len(want) == 0 {
				continue
			}
			n++
			found := false
			var gots []string
			for conn, a := range per {
				got := map[string]string{
					"flow.pkts_toserver": strconv.FormatInt(a.pkts[0], 10), "flow.pkts_toclient": strconv.FormatInt(a.pkts[1], 10),
					"flow.bytes_toserver": strconv.FormatInt(a.bytes[0], 10), "flow.bytes_toclient": strconv.FormatInt(a.bytes[1], 10),
				}
				ok := true
				for k, v := range want {
					ok = ok && got[k] == v
				}
				if ok {
					found = true
				}
				gots = append(gots, fmt.Sprintf("conn %d: %v", conn, got))
			}
			if found {
				t.Logf("%s: flow %v ok", filepath.Base(pcap), want)
			} else {
				sort.Strings(gots)
				t.Errorf("%s: no connection with %v; segscope: %v", filepath.Base(pcap), want, gots)
			}
		}
	}
	if n == 0 {
		t.Skip("no flow checks in the suricata test.yaml files")
	}
}

// TestConformanceZeekConns compares segscope's connections with Zeek's conn.log: who is
// the originator (Zeek's id.orig = segscope's client, also without a SYN), packets per
// direction, IP bytes per direction (sum of IP total lengths, from the segment records),
// missed bytes (Zeek's missed_bytes = segscope's gap_bytes) and payload bytes (Zeek
// counts the sequence span; compared only for directions without retransmissions, where
// segscope's wire byte count is the same thing). Scores per capture go to the log and to
// testdata/conformance/conn-scores.txt; a capture scoring below its baseline fails.
func TestConformanceZeekConns(t *testing.T) {
	sharedCaptures(t)
	logs, _ := filepath.Glob(filepath.Join(sharedDir, "zeek", "*.conn.log"))
	base := readBaseline(t, "conn-scores.txt")
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "# segscope connections vs Zeek conn.log: matched/expected fields per capture.\n")
	fmt.Fprintf(&tbl, "# Regenerate with: go test -run TestConformanceZeekConns -update\n")
	var total score
	for _, l := range logs {
		stem := strings.TrimSuffix(l, ".conn.log")
		pcap := stem + ".pcap"
		if _, err := os.Stat(pcap); err != nil {
			pcap = stem + ".pcapng"
		}
		rows, err := zeekTable(l)
		if err != nil {
			t.Fatal(err)
		}
		crec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeConns})
		prec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModePackets})
		ipBytes := map[uint64]*[2]int64{}
		for _, s := range prec.segs {
			b := ipBytes[s.Conn]
			if b == nil {
				b = &[2]int64{}
				ipBytes[s.Conn] = b
			}
			d := 0
			if s.Dir == "s2c" {
				d = 1
			}
			b[d] += int64(s.IP.TotalLen)
		}
		used := map[uint64]bool{}
		var sc score
		var bad []string
		for _, r := range rows {
			if r["proto"] != "tcp" {
				continue
			}
			orig := joinHostPort(r["id.orig_h"], r["id.orig_p"])
			resp := joinHostPort(r["id.resp_h"], r["id.resp_p"])
			oa, ok1 := splitEP(orig)
			ra, ok2 := splitEP(resp)
			if !ok1 || !ok2 {
				continue
			}
			var c *report.Conn
			for i := range crec.conns {
				cc := &crec.conns[i]
				ca, _ := splitEP(cc.Client)
				sa, _ := splitEP(cc.Server)
				if !used[cc.Conn] && pairKey(ca, sa) == pairKey(oa, ra) {
					c = cc
					used[cc.Conn] = true
					break
				}
			}
			fields := map[string][2]string{} // name -> got, want
			if c == nil {
				fields["found"] = [2]string{"no", "yes"}
			} else {
				ca, _ := splitEP(c.Client)
				fields["originator"] = [2]string{ca.String(), oa.String()}
				fields["orig_pkts"] = [2]string{strconv.FormatUint(c.Packets.C2S, 10), r["orig_pkts"]}
				fields["resp_pkts"] = [2]string{strconv.FormatUint(c.Packets.S2C, 10), r["resp_pkts"]}
				if b := ipBytes[c.Conn]; b != nil {
					fields["orig_ip_bytes"] = [2]string{strconv.FormatInt(b[0], 10), r["orig_ip_bytes"]}
					fields["resp_ip_bytes"] = [2]string{strconv.FormatInt(b[1], 10), r["resp_ip_bytes"]}
				}
				fields["missed_bytes"] = [2]string{strconv.FormatUint(c.GapBytes.C2S+c.GapBytes.S2C, 10), r["missed_bytes"]}
				if c.Retransmissions.C2S == 0 && c.GapBytes.C2S == 0 {
					fields["orig_bytes"] = [2]string{strconv.FormatUint(c.Bytes.C2S, 10), r["orig_bytes"]}
				}
				if c.Retransmissions.S2C == 0 && c.GapBytes.S2C == 0 {
					fields["resp_bytes"] = [2]string{strconv.FormatUint(c.Bytes.S2C, 10), r["resp_bytes"]}
				}
			}
			for _, k := range sortedKeys(fields) {
				v := fields[k]
				if v[1] == "-" || v[1] == "" {
					continue
				}
				sc.want++
				if v[0] == v[1] {
					sc.got++
				} else {
					conn := uint64(0)
					if c != nil {
						conn = c.Conn
					}
					bad = append(bad, fmt.Sprintf("%s <-> %s (conn %d): %s = %s, Zeek %s", orig, resp, conn, k, v[0], v[1]))
				}
			}
		}
		name := capName(pcap)
		total.got += sc.got
		total.want += sc.want
		fmt.Fprintf(&tbl, "%s\t%s\t%.1f%%\n", name, sc, 100*sc.ratio())
		for _, b := range bad {
			t.Logf("  %s: %s", name, b)
		}
		if old, ok := base[name]; ok && !*update {
			if bs, ok := parseScore(old); ok && sc.got < bs.got {
				t.Errorf("%s: conn.log conformance dropped to %s from baseline %s", name, sc, bs)
			}
		}
	}
	fmt.Fprintf(&tbl, "TOTAL\t%s\t%.1f%%\n", total, 100*total.ratio())
	t.Logf("connections vs Zeek conn.log:\n%s", tbl.String())
	if *update || len(base) == 0 {
		writeBaseline(t, "conn-scores.txt", tbl.String())
	}
}

var ndpiFlowRE = regexp.MustCompile(`TCP (\S+) (<->|->) (\S+) .*?\[(\d+) pkts/(\d+) bytes (?:<->|->) (\d+) pkts/(\d+) bytes\]`)

// TestConformanceNDPIFlows compares segscope with nDPI's per-flow lines: packets and
// captured frame bytes per direction (nDPI's A is the sender of the flow's first packet)
// and, for asymmetric captures, that a one-way flow is still one connection.
func TestConformanceNDPIFlows(t *testing.T) {
	sharedCaptures(t)
	outs, _ := filepath.Glob(filepath.Join(sharedDir, "ndpi", "*.ndpi.out"))
	for _, o := range outs {
		pcap := strings.TrimSuffix(o, ".ndpi.out")
		b, _ := os.ReadFile(o)
		prec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModePackets})
		type agg struct {
			first   string // src of the first segment
			pkts    map[string]int64
			bytes   map[string]int64
			matched bool
		}
		per := map[uint64]*agg{}
		var order []uint64
		for _, s := range prec.segs {
			a := per[s.Conn]
			if a == nil {
				a = &agg{first: s.Src, pkts: map[string]int64{}, bytes: map[string]int64{}}
				per[s.Conn] = a
				order = append(order, s.Conn)
			}
			a.pkts[s.Src]++
			a.bytes[s.Src] += int64(s.FrameLen)
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := ndpiFlowRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			A, _ := splitEP(m[1])
			B, _ := splitEP(m[3])
			var found *agg
			var conn uint64
			for _, c := range order {
				a := per[c]
				fa, _ := splitEP(a.first)
				if a.matched || fa != A {
					continue
				}
				// the peer must be B
				ok := false
				for src := range a.pkts {
					if sa, _ := splitEP(src); sa == A || sa == B {
						ok = true
					}
				}
				if ok {
					found, conn = a, c
					break
				}
			}
			if found == nil {
				t.Errorf("%s: nDPI flow %s %s %s: no segscope connection whose first packet is from %s", filepath.Base(pcap), m[1], m[2], m[3], m[1])
				continue
			}
			found.matched = true
			got := fmt.Sprintf("%d pkts/%d bytes, %d pkts/%d bytes", found.pkts[A.String()], found.bytes[A.String()], found.pkts[B.String()], found.bytes[B.String()])
			want := fmt.Sprintf("%s pkts/%s bytes, %s pkts/%s bytes", m[4], m[5], m[6], m[7])
			if got != want {
				t.Errorf("%s: flow %s %s %s (conn %d): %s, nDPI %s", filepath.Base(pcap), m[1], m[2], m[3], conn, got, want)
			} else {
				t.Logf("%s: flow %s %s %s (conn %d): %s ok", filepath.Base(pcap), m[1], m[2], m[3], conn, got)
			}
		}
	}
}

// TestConformanceZeekBodiesAndGaps checks reassembled bytes against Zeek's extracted
// bodies (*.body.N: byte-exact decoded bodies; entity_gap's missing 1448 bytes are
// zero-filled, as segscope's flow files leave holes) and content gaps: every body must
// occur verbatim in one of segscope's stream files, or — when Zeek decoded gzip —
// have the length of one of segscope's decoded bodies; miss_end_data's responder gap
// (relative seq 1, 2902 bytes) must be the only gap segscope reports on that stream.
func TestConformanceZeekBodiesAndGaps(t *testing.T) {
	sharedCaptures(t)
	bodies, _ := filepath.Glob(filepath.Join(sharedDir, "zeek", "*.body.*"))
	streams := map[string]map[string][]byte{}
	for _, b := range bodies {
		stem := b[:strings.Index(b, ".body.")]
		pcap := stem + ".pcap"
		if streams[pcap] == nil {
			streams[pcap] = streamFiles(t, pcap)
		}
		want, _ := os.ReadFile(b)
		// btest-diff put its banner line in front of some baselines
		if bytes.HasPrefix(want, []byte("### BTest baseline data")) {
			want = want[bytes.IndexByte(want, '\n')+1:]
		}
		found := ""
		for name, data := range streams[pcap] {
			if !strings.HasSuffix(name, ".gaps") && bytes.Contains(data, want) {
				found = name
			}
		}
		if found != "" {
			t.Logf("%s (%d bytes): verbatim in %s", filepath.Base(b), len(want), found)
			continue
		}
		rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeHTTP})
		var lens []int64
		for _, h := range rec.https {
			if h.ContentEnc != "" && h.RespDecodedLen == int64(len(want)) {
				found = fmt.Sprintf("conn %d depth %d (%s decoded)", h.Conn, h.Depth, h.ContentEnc)
			}
			lens = append(lens, h.RespDecodedLen)
		}
		if found != "" {
			t.Logf("%s (%d bytes): length of %s", filepath.Base(b), len(want), found)
			continue
		}
		t.Errorf("%s (%d bytes): not in any reassembled stream, and no decoded body of that length (decoded lengths %v)", filepath.Base(b), len(want), lens)
	}

	pcap := filepath.Join(sharedDir, "zeek", "miss_end_data.pcap")
	if _, err := os.Stat(pcap); err == nil {
		files := streamFiles(t, pcap)
		crec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeConns})
		if len(crec.conns) != 1 {
			t.Fatalf("miss_end_data: %d connections, want 1", len(crec.conns))
		}
		c := crec.conns[0]
		cli, srv := mustAP(t, c.Client), mustAP(t, c.Server)
		g := string(files[flowfiles.Name(srv, cli, 0, -1)+".gaps"])
		if g != "0 2902\n" {
			t.Errorf("miss_end_data: responder gaps %q, Zeek: content_gap at relative seq 1, 2902 bytes", g)
		}
		if og := files[flowfiles.Name(cli, srv, 0, -1)+".gaps"]; len(og) > 0 {
			t.Errorf("miss_end_data: originator gaps %q, Zeek none", og)
		}
	}
}

// TestConformanceZeekUpgradeStream checks the bytes after an HTTP/1.1 101 upgrade to
// raw TCP (docker-http-upgrade: a shell over `Upgrade: tcp`) against Zeek's
// stream.out, which prints every line of each direction after the upgrade (lines end at
// CR, LF or CRLF; non-printables as \xNN): segscope's reassembled streams of the
// upgraded connection, cut after their first message head (the upgrade request and the
// 101 are the only messages on it), must split into the same lines.
func TestConformanceZeekUpgradeStream(t *testing.T) {
	sharedCaptures(t)
	pcap := filepath.Join(sharedDir, "zeek", "docker-http-upgrade.pcap")
	out, err := os.ReadFile(filepath.Join(sharedDir, "zeek", "docker-http-upgrade.stream.out"))
	if err != nil {
		t.Skip(err)
	}
	esc := regexp.MustCompile(`\\x([0-9a-fA-F]{2})`)
	var want [2][]string // originator, responder
	for _, line := range strings.Split(string(out), "\n") {
		p := strings.SplitN(line, ", ", 3)
		if len(p) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		d := esc.ReplaceAllStringFunc(p[2], func(m string) string {
			v, _ := strconv.ParseUint(m[2:], 16, 8)
			return string([]byte{byte(v)})
		})
		switch p[1] {
		case "originator":
			want[0] = append(want[0], d)
		case "responder":
			want[1] = append(want[1], d)
		}
	}
	rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeHTTP})
	var up *report.HTTP
	for i := range rec.https {
		if rec.https[i].Status == 101 {
			up = &rec.https[i]
		}
	}
	if up == nil {
		t.Fatal("no 101 exchange")
	}
	files := streamFiles(t, pcap)
	cli, srv := mustAP(t, up.Client), mustAP(t, up.Server)
	split := regexp.MustCompile(`\r\n|\r|\n`)
	for d, name := range []string{flowfiles.Name(cli, srv, 0, -1), flowfiles.Name(srv, cli, 0, -1)} {
		data := files[name]
		i := bytes.Index(data, []byte("\r\n\r\n"))
		if i < 0 {
			t.Errorf("%s: no message head in %d bytes", name, len(data))
			continue
		}
		got := split.Split(string(data[i+4:]), -1)
		if len(got) > 0 && got[len(got)-1] == "" {
			got = got[:len(got)-1]
		}
		if strings.Join(got, "\n") != strings.Join(want[d], "\n") {
			t.Errorf("%s after the upgrade: %d lines %q, Zeek %d lines %q", name, len(got), got, len(want[d]), want[d])
		} else {
			t.Logf("%s after the upgrade: %d lines as Zeek", name, len(got))
		}
	}
}

// TestConformanceZeekEventOutputs checks the small event-printing baselines (ZO) of the
// corpus: tcp-fast-open (data carried in the SYN is part of the stream: the client's
// stream of 10.99.99.1:55534 contains "passwd"), ipv6-http-atomic-frag (four
// connections to [2001:db8:1::1]:80 through IPv6 atomic fragments, originators as
// Zeek says) and fragmented-3 (five fragments with DF of a datagram never completed:
// counted as fragments, no TCP segment invented).
func TestConformanceZeekEventOutputs(t *testing.T) {
	sharedCaptures(t)
	z := func(n string) string { return filepath.Join(sharedDir, "zeek", n) }

	files := streamFiles(t, z("tcp-fast-open.pcap"))
	cli := netip.MustParseAddrPort("10.99.99.1:55534")
	srv := netip.MustParseAddrPort("10.99.99.45:80")
	if c2s := files[flowfiles.Name(cli, srv, 0, -1)]; !bytes.Contains(c2s, []byte("passwd")) {
		t.Errorf("tcp-fast-open: client stream of %v (%d bytes) lacks the SYN's payload \"passwd\"", cli, len(c2s))
	}

	out, err := os.ReadFile(z("ipv6-http-atomic-frag.output"))
	if err == nil {
		re := regexp.MustCompile(`orig_h=([^,]+), orig_p=(\d+)/tcp, resp_h=([^,]+), resp_p=(\d+)/tcp`)
		var want []string
		for _, m := range re.FindAllStringSubmatch(string(out), -1) {
			want = append(want, joinHostPort(m[1], m[2])+" "+joinHostPort(m[3], m[4]))
		}
		rec, _ := run(t, z("ipv6-http-atomic-frag.pcap"), segscope.Config{Mode: segscope.ModeConns})
		var got []string
		for _, c := range rec.conns {
			got = append(got, c.Client+" "+c.Server)
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("ipv6-http-atomic-frag: connections %v, Zeek %v", got, want)
		}
	}

	rec, sum := run(t, z("fragmented-3.pcap"), segscope.Config{Mode: segscope.ModePackets})
	if sum.Fragments != 5 || len(rec.segs) != 0 {
		t.Errorf("fragmented-3: %d fragments counted, %d segments; want 5 fragments (all with DF and MF, never completed), no segment", sum.Fragments, len(rec.segs))
	}
}
