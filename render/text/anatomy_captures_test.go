package text_test

// Golden files of the explanatory views (anatomy, ladder, diagnose) on real captures: the
// whole pipeline (segscope.Run) into the text Sink. A capture that is not present is
// skipped. Add a row to add a golden; regenerate with go test -update.

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/text"
)

var captureViews = []struct {
	file    string // relative to this package's directory
	mode    segscope.Mode
	conn    uint64
	maxRows int
}{
	// The project's own captures (testdata/pcaps/make-captures.sh). They are recorded
	// from real traffic, so each regeneration changes times and IP ids: their golden
	// files are created with -update (and reviewed) once the captures are settled; a
	// row without a golden file is skipped.
	{"../../testdata/pcaps/keepalive.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/keepalive.pcap", segscope.ModeLadder, 1, 0},
	{"../../testdata/pcaps/keepalive.pcap", segscope.ModeDiagnose, 0, 0},
	{"../../testdata/pcaps/get-simple.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/get-simple.pcap", segscope.ModeLadder, 1, 0},
	{"../../testdata/pcaps/pipelined.pcap", segscope.ModeLadder, 1, 0},
	{"../../testdata/pcaps/pipelined.pcap", segscope.ModeDiagnose, 0, 0},
	{"../../testdata/pcaps/chunked.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/chunked.pcap", segscope.ModeLadder, 1, 10},
	{"../../testdata/pcaps/http10-close.pcap", segscope.ModeDiagnose, 0, 0},
	{"../../testdata/pcaps/post.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/ipv6.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/loss-reorder.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/loss-reorder.pcap", segscope.ModeLadder, 1, 12},
	{"../../testdata/pcaps/loss-reorder.pcap", segscope.ModeDiagnose, 0, 0},
	{"../../testdata/pcaps/loss-reorder-server.pcap", segscope.ModeDiagnose, 0, 0},
	{"../../testdata/pcaps/snaplen.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/pipelined.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/fragmented.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../testdata/pcaps/fragmented.pcap", segscope.ModeLadder, 2, 12},
	{"../../testdata/pcaps/port-reuse.pcap", segscope.ModeDiagnose, 0, 0},
	// The shared corpus of other projects' captures.
	{"../../../shared/pcaps/zeek/pipelined-requests.pcap", segscope.ModeLadder, 1, 0},
	{"../../../shared/pcaps/zeek/pipelined-requests.pcap", segscope.ModeDiagnose, 0, 0},
	{"../../../shared/pcaps/zeek/retransmit-fast009.pcap", segscope.ModeLadder, 1, 0},
	{"../../../shared/pcaps/zeek/cooper-grill-dvwa.pcapng", segscope.ModeAnatomy, 1, 0},
	{"../../../shared/pcaps/suricata/http-ipv6.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../../shared/pcaps/suricata/http-pipeline-files-with-gap.pcap", segscope.ModeAnatomy, 1, 0},
	{"../../../shared/pcaps/suricata/decode-sll2-02.pcap", segscope.ModeLadder, 1, 8},
	{"../../../shared/pcaps/zeek/ipv6-http-atomic-frag.pcap", segscope.ModeAnatomy, 1, 0},
}

// updating reports whether -update was given (the flag is registered by the package's
// internal tests).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestViewsOnCapturesGolden(t *testing.T) {
	for _, tc := range captureViews {
		base := strings.TrimSuffix(filepath.Base(tc.file), filepath.Ext(tc.file))
		name := "capture_" + base + "_" + tc.mode.String()
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(tc.file); err != nil {
				t.Skipf("capture not present: %v", err)
			}
			src, err := capture.Open(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			sink := text.New(&out)
			sink.MaxRows = tc.maxRows
			cfg := segscope.Config{Mode: tc.mode, Conn: tc.conn, MaxRows: tc.maxRows}
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Skipf("pipeline panicked: %v", v)
					}
				}()
				if _, err := segscope.Run(context.Background(), src, sink, cfg); err != nil {
					t.Fatal(err)
				}
			}()
			if out.Len() == 0 {
				t.Skip("no output (the capture has no such connection, or is empty)")
			}
			if _, err := os.Stat(filepath.Join("testdata", name+".golden")); err != nil && !updating() {
				t.Skipf("no golden file yet for this capture: run go test -update and review it")
			}
			text.CheckGolden(t, name, out.Bytes())
		})
	}
}
