package html_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/html"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// captures are the project's captures the report is tested on: keep-alive, pipelining,
// loss and reordering, parallel connections. (No capture of a Nagle-held write with a
// delayed ACK exists in testdata/pcaps yet.)
var captures = []string{"keepalive", "pipelined", "loss-reorder", "parallel"}

func pcap(name string) string { return filepath.Join("..", "..", "testdata", "pcaps", name+".pcap") }

// records collects records (their borrowed slices copied).
type records struct {
	segs  []report.Segment
	https []report.HTTP
}

func (r *records) Segment(s *report.Segment) error {
	r.segs = append(r.segs, *s)
	return nil
}
func (r *records) Conn(*report.Conn) error       { return nil }
func (r *records) HTTP(h *report.HTTP) error     { r.https = append(r.https, *h); return nil }
func (r *records) Anatomy(*report.Anatomy) error { return nil }
func (r *records) Event(*report.Event) error     { return nil }
func (r *records) Finding(*report.Finding) error { return nil }
func (r *records) Close() error                  { return nil }

func run(t *testing.T, file string, sink report.Sink, cfg segscope.Config) *report.Summary {
	t.Helper()
	src, err := capture.OpenFiles([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sum, err := segscope.Run(context.Background(), src, sink, cfg)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return sum
}

// reportOf renders the report of a capture as `segscope report` does.
func reportOf(t *testing.T, name string, o html.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	o.Files = []string{"testdata/pcaps/" + name + ".pcap"}
	s := html.New(&b, analysis.Reporter{}, o)
	sum := run(t, pcap(name), s, segscope.Config{Mode: segscope.ModeReport})
	if err := s.Write(sum); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (look at both, then go test -update): got %d bytes, want %d", path, len(got), len(want))
	}
}

func TestGoldenReports(t *testing.T) {
	for _, c := range captures {
		t.Run(c, func(t *testing.T) {
			got := reportOf(t, c, html.Options{})
			if again := reportOf(t, c, html.Options{}); !bytes.Equal(got, again) {
				t.Error("two runs differ")
			}
			if !utf8.Valid(got) {
				t.Error("not valid UTF-8")
			}
			golden(t, c+".html", got)
		})
	}
}

var (
	reRow     = regexp.MustCompile(`<div class="wf-row v-([a-z_]+)" data-conn="(\d+)"`)
	reArticle = regexp.MustCompile(`(?s)<article class="conn" id="conn-(\d+)".*?</article>`)
	reArrow   = regexp.MustCompile(`<g class="arrow" id="c\d+-f(\d+)"`)
)

// TestReportStructure: the waterfall has one row per exchange (with its verdict and
// connection), and each connection's ladder one arrow per segment of that connection.
func TestReportStructure(t *testing.T) {
	for _, c := range captures {
		t.Run(c, func(t *testing.T) {
			doc := string(reportOf(t, c, html.Options{}))
			var rs records
			run(t, pcap(c), &rs, segscope.Config{Mode: segscope.ModeHTTP})
			rows := reRow.FindAllStringSubmatch(doc, -1)
			if len(rows) != len(rs.https) {
				t.Fatalf("%d waterfall rows, want %d (one per exchange)", len(rows), len(rs.https))
			}
			var got, want []string
			for i, r := range rows {
				got = append(got, r[2]+"/"+r[1])
				want = append(want, strconv.FormatUint(rs.https[i].Conn, 10)+"/"+rs.https[i].Verdict)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rows (conn/verdict) %v, want %v", got, want)
			}
			var pk records
			run(t, pcap(c), &pk, segscope.Config{Mode: segscope.ModePackets})
			frames := map[string][]string{}
			for _, s := range pk.segs {
				id := strconv.FormatUint(s.Conn, 10)
				frames[id] = append(frames[id], strconv.FormatUint(s.Frame, 10))
			}
			arts := reArticle.FindAllStringSubmatch(doc, -1)
			if len(arts) != len(frames) {
				t.Errorf("%d connections drawn in full, want all %d", len(arts), len(frames))
			}
			for _, a := range arts {
				var arrows []string
				for _, m := range reArrow.FindAllStringSubmatch(a[0], -1) {
					arrows = append(arrows, m[1])
				}
				if !slices.Equal(arrows, frames[a[1]]) {
					t.Errorf("conn %s: arrows for frames %v, want its segments %v", a[1], arrows, frames[a[1]])
				}
			}
		})
	}
}

// TestAggregates: with fewer connections drawn in full than the capture has, the page
// says so, draws only those, and still embeds every connection and exchange.
func TestAggregates(t *testing.T) {
	doc := string(reportOf(t, "parallel", html.Options{MaxDetail: 2, MaxRows: 2}))
	if n := len(reArticle.FindAllString(doc, -1)); n != 2 {
		t.Errorf("%d connections drawn in full, want 2", n)
	}
	if !strings.Contains(doc, "draws the 2 slowest and most anomalous in full") {
		t.Error("the page does not say it aggregates")
	}
	if n := len(reRow.FindAllString(doc, -1)); n != 2 {
		t.Errorf("%d waterfall rows in HTML, want 2 (MaxRows)", n)
	}
	if !strings.Contains(doc, `draw the other 2</button>`) {
		t.Error("no button to draw the other exchanges")
	}
	data := doc[strings.Index(doc, `<script type="application/json" id="data">`):]
	data = data[:strings.Index(data, "</script>")]
	data = strings.TrimPrefix(data, `<script type="application/json" id="data">`)
	var d struct {
		Conns   [][]any  `json:"conns"`
		HTTP    [][]any  `json:"http"`
		Full    []int    `json:"full"`
		Strings []string `json:"strings"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	if len(d.Conns) != 4 || len(d.HTTP) != 4 || len(d.Full) != 2 {
		t.Errorf("embedded data holds %d connections, %d exchanges, %d in full; want 4, 4, 2", len(d.Conns), len(d.HTTP), len(d.Full))
	}
	for _, h := range d.HTTP {
		if uri := d.Strings[int(h[8].(float64))]; !strings.HasPrefix(uri, "/p/p") {
			t.Errorf("exchange URI %q, want /p/p…", uri)
		}
	}
}

// hostile is a connection whose capture text tries to inject markup and script, with
// quotes and invalid UTF-8.
const evil = "/<script>alert(1)</script>?q=\"x\"&r='y'\xff\xfe</title><img src=x onerror=alert(2)>"

func hostileReport(t *testing.T) []byte {
	var b bytes.Buffer
	s := html.New(&b, analysis.Reporter{}, html.Options{Files: []string{"evil<script>.pcap"}})
	h := report.HTTP{Conn: 1, Depth: 1, Rel: 1e6, Client: "10.0.0.1:1000", Server: "10.0.0.2:80", Method: "GET", URI: evil,
		Host: "\"><script>alert(3)</script>", Version: "HTTP/1.1", Status: 200, Reason: "<b>OK</b>\xff", ContentType: "text/html\"<x>",
		Timing: report.Timing{Connect: 1e6, Send: 0, Wait: 2e6, Receive: 1e6}, Verdict: "complete", Anomalies: []string{}, Interim: []int{}}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.HTTP(&h))
	ev := []report.Event{
		{Conn: 1, Frame: 1, Dir: "c2s", Flags: tcp.SYN, Notes: []string{"client 10.0.0.1:1000, server 10.0.0.2:80", "handshake: SYN"}},
		{Conn: 1, Frame: 2, Rel: 5e5, Dir: "s2c", Flags: tcp.SYN | tcp.ACK, Ack: 1},
		{Conn: 1, Frame: 3, Rel: 1e6, Dir: "c2s", Flags: tcp.ACK, Seq: 1, Ack: 1},
		{Conn: 1, Frame: 4, Rel: 1e6, Dir: "c2s", Flags: tcp.PSH | tcp.ACK, Seq: 1, Ack: 1, Len: 90, Notes: []string{"GET " + evil + " (request 1)"}},
		{Conn: 1, Frame: 5, Rel: 3e6, Dir: "s2c", Flags: tcp.PSH | tcp.ACK, Seq: 1, Ack: 91, Len: 300, Notes: []string{"200 <b>OK</b> (response 1)"}},
	}
	for i := range ev {
		must(s.Event(&ev[i]))
	}
	must(s.Picture(&report.ConnPicture{Conn: 1, Vantage: report.Vantage{Known: true, ToClient: 1e3, ToServer: 249e3, Where: "client"}}))
	must(s.Anatomy(&report.Anatomy{Conn: 1, Depth: 1, Dir: "c2s", Title: "GET " + evil, MsgLen: 90, HeaderLen: 90,
		Parts:    []report.Part{{Kind: "start_line", Len: 40}, {Kind: "headers", Off: 40, Len: 50}},
		Segments: []report.AnatomySegment{{Frame: 4, Len: 90, MsgBytes: 90, IPHdrLen: 20, TCPHdrLen: 20, IPTotalLen: 130, FrameLen: 144, TCPOptions: "<opt>"}}}))
	must(s.Finding(&report.Finding{Conn: 1, Frame: 4, Kind: "handshake", Severity: "warn", Text: "text with </script><script>alert(4)</script> and \xff"}))
	must(s.Conn(&report.Conn{Conn: 1, Client: "10.0.0.1:1000", Server: "10.0.0.2:80", FirstFrame: 1, LastFrame: 5, Duration: 3e6, HandshakeRTT: 1e6,
		State: "closed/closed", Protocol: "http1", Close: "fin", Requests: 1}))
	must(s.Close())
	must(s.Write(&report.Summary{Frames: 5, TCPSegments: 5, Conns: 1, Exchanges: 1}))
	return b.Bytes()
}

// TestEscaping: URIs, headers, reasons, notes and findings from the capture are text on
// the page, never markup or script; invalid UTF-8 becomes U+FFFD.
func TestEscaping(t *testing.T) {
	doc := hostileReport(t)
	if !utf8.Valid(doc) {
		t.Error("the page is not valid UTF-8")
	}
	s := string(doc)
	if n := strings.Count(s, "<script"); n != 2 {
		t.Errorf("%d <script elements, want 2 (the data and the page's own script)", n)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>OK</b>", "\"><script>", "<opt>"} {
		if strings.Contains(s, bad) {
			t.Errorf("capture text %q appears unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;OK&lt;/b&gt;", `\u003cscript\u003ealert(1)`} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q (the capture text, escaped)", want)
		}
	}
	// The embedded JSON is valid and holds the URI as it was (invalid bytes replaced).
	if !strings.Contains(s, `?q=\"x\"\u0026r='y'\ufffd\ufffd`) {
		t.Error("embedded JSON does not hold the URI escaped")
	}
}
