package conformance_test

// The golden table, in the manner of tcpdump's tests/TESTLIST: real captures rendered by
// the whole pipeline (segscope.Run into the text or JSON Lines sink, as the command
// wires them) under several commands and flag sets, each compared byte for byte with its
// file in testdata/golden. A row of the shared corpus is skipped, with one line, when the
// corpus is absent; every other row must have its golden file. Regenerate with
// `go test ./conformance -run Golden -update` and review the diff.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/text"
	"github.com/segscope/segscope/report"
)

// goldenCase is one row: a capture under one command.
type goldenCase struct {
	capture string // "own/NAME" (testdata/pcaps) or "DIR/NAME" of the shared corpus
	mode    segscope.Mode
	json    bool
	conn    uint64 // --conn
	maxRows int    // --max-rows
}

// name is the row's golden file: "keepalive.packets.txt", "zeek-get.http.json".
func (g goldenCase) name() string {
	dir, file, _ := strings.Cut(g.capture, "/")
	base := strings.TrimSuffix(file, filepath.Ext(file))
	if dir != "own" {
		base = dir + "-" + base
	}
	ext := ".txt"
	if g.json {
		ext = ".json"
	}
	return base + "." + g.mode.String() + ext
}

func (g goldenCase) path() string {
	dir, file, _ := strings.Cut(g.capture, "/")
	if dir == "own" {
		return filepath.Join(ownDir, file)
	}
	return filepath.Join(sharedDir, dir, file)
}

// tableCaptures are rendered by packets, conns and http, as text and as JSON.
var tableCaptures = []string{
	"own/get-simple.pcap", "own/keepalive.pcap", "own/pipelined.pcap", "own/chunked.pcap",
	"own/gzip.pcap", "own/head-204-304.pcap", "own/connect.pcap", "own/websocket.pcap",
	"own/fragmented.pcap", "own/snaplen.pcap", "own/ipv6.pcap", "own/port-reuse.pcap",
	"own/midstream.pcap", "own/rst.pcap", "own/loss-reorder.pcap", "own/pcapng.pcapng",
	"zeek/get.pcap", "zeek/pipelined-requests.pcap", "zeek/missing-syn.pcap",
	"suricata/http-gap-simple.pcap", "ndpi/http_asymmetric.pcapng",
	"tcpdump/tcp-handshake-nano.pcap", "tcpdump/tcp_rst_data-trunc.pcap",
}

// viewCases are the explanatory views (text) of one connection or of all.
var viewCases = []goldenCase{
	{capture: "own/keepalive.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/keepalive.pcap", mode: segscope.ModeLadder, conn: 1},
	{capture: "own/keepalive.pcap", mode: segscope.ModeDiagnose},
	{capture: "own/get-simple.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/get-simple.pcap", mode: segscope.ModeLadder, conn: 1},
	{capture: "own/pipelined.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/pipelined.pcap", mode: segscope.ModeLadder, conn: 1},
	{capture: "own/pipelined.pcap", mode: segscope.ModeDiagnose},
	{capture: "own/chunked.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/chunked.pcap", mode: segscope.ModeLadder, conn: 1, maxRows: 10},
	{capture: "own/http10-close.pcap", mode: segscope.ModeDiagnose},
	{capture: "own/post.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/ipv6.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/loss-reorder.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/loss-reorder.pcap", mode: segscope.ModeLadder, conn: 1, maxRows: 12},
	{capture: "own/loss-reorder.pcap", mode: segscope.ModeDiagnose},
	{capture: "own/loss-reorder-server.pcap", mode: segscope.ModeDiagnose},
	{capture: "own/snaplen.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/fragmented.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "own/fragmented.pcap", mode: segscope.ModeLadder, conn: 2, maxRows: 12},
	{capture: "own/port-reuse.pcap", mode: segscope.ModeDiagnose},
	{capture: "zeek/pipelined-requests.pcap", mode: segscope.ModeLadder, conn: 1},
	{capture: "zeek/pipelined-requests.pcap", mode: segscope.ModeDiagnose},
	{capture: "zeek/retransmit-fast009.pcap", mode: segscope.ModeLadder, conn: 1},
	{capture: "zeek/cooper-grill-dvwa.pcapng", mode: segscope.ModeAnatomy, conn: 2},
	{capture: "suricata/http-ipv6.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "suricata/http-pipeline-files-with-gap.pcap", mode: segscope.ModeAnatomy, conn: 1},
	{capture: "suricata/decode-sll2-02.pcap", mode: segscope.ModeLadder, conn: 1, maxRows: 8},
	{capture: "zeek/ipv6-http-atomic-frag.pcap", mode: segscope.ModeAnatomy, conn: 1},
}

// goldenCases is the whole table.
func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, c := range tableCaptures {
		for _, m := range []segscope.Mode{segscope.ModePackets, segscope.ModeConns, segscope.ModeHTTP} {
			cs = append(cs, goldenCase{capture: c, mode: m}, goldenCase{capture: c, mode: m, json: true})
		}
	}
	return append(cs, viewCases...)
}

func TestGolden(t *testing.T) {
	names := map[string]bool{}
	var skipped []string // shared captures, when the corpus is absent
	for _, g := range goldenCases() {
		name := g.name()
		if names[name] {
			t.Fatalf("two rows write %s", name)
		}
		names[name] = true
		if !strings.HasPrefix(g.capture, "own/") && !haveCorpus() {
			if !slices.Contains(skipped, g.capture) {
				skipped = append(skipped, g.capture)
			}
			continue
		}
		t.Run(name, func(t *testing.T) {
			src, err := capture.Open(g.path())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			var sink report.Sink
			if g.json {
				sink = jsonl.New(&out)
			} else {
				ts := text.New(&out)
				ts.MaxRows = g.maxRows
				sink = ts
			}
			cfg := segscope.Config{Mode: g.mode, Conn: g.conn, MaxRows: g.maxRows}
			if _, err := segscope.Run(context.Background(), src, sink, cfg); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", name), out.Bytes())
		})
	}
	if len(skipped) > 0 {
		t.Run("shared-corpus", func(t *testing.T) {
			t.Skipf("rows of %d captures skipped: shared corpus %s absent (SEGSCOPE_CORPUS=DIR points elsewhere): %s",
				len(skipped), sharedDir, strings.Join(skipped, " "))
		})
		return // -update keeps their files
	}
	if *update {
		// Remove golden files no row writes any more.
		old, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"))
		for _, f := range old {
			if !names[filepath.Base(f)] {
				os.Remove(f)
			}
		}
	}
}

// checkGolden compares got with the file at path, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with go test ./conformance -run Golden -update, then review it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs at line %d (go test ./conformance -run Golden -update rewrites it):\n got: %q\nwant: %q", path, i+1, g, w)
			return
		}
	}
}
