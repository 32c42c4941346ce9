package text

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// The -update flag rewrites golden files. It is registered here only if no other test file
// of the package registered it first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name.golden (or rewrites it with -update) and checks
// that every line of the anatomy and ladder views fits the view width (findings are one
// line each, written by Sink.Finding).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	for i, l := range strings.Split(string(got), "\n") {
		if strings.Contains(name, "diagnose") {
			break
		}
		if n := utf8.RuneCountInString(l); n > viewWidth {
			t.Errorf("%s line %d is %d columns wide (max %d): %q", name, i+1, n, viewWidth, l)
		}
	}
	path := filepath.Join("testdata", name+".golden")
	if updating() {
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
		t.Errorf("%s differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

const msec = report.Duration(1e6)

// aseg is an anatomy segment with IPv4 + TCP timestamps sizes.
func aseg(frame uint64, rel report.Duration, off int64, n, msgBytes int, flags tcp.Flags, class ...tcp.Class) report.AnatomySegment {
	var cl tcp.Class
	for _, c := range class {
		cl |= c
	}
	return report.AnatomySegment{
		Frame: frame, Rel: rel, Seq: uint32(off + 1), Off: off, Len: n, MsgBytes: msgBytes, Flags: flags,
		IPHdrLen: 20, TCPHdrLen: 32, IPTotalLen: 52 + n, IPID: 0x1a2b + uint32(frame), DF: true,
		FrameLen: 66 + n, TCPOptions: "TS", Class: cl,
	}
}

var (
	ack  = tcp.ACK
	pack = tcp.ACK | tcp.PSH
)

func anatomyCases() map[string][]report.Anatomy {
	return map[string][]report.Anatomy{
		// A response after a 38-byte request; its first segment also carries the end of a
		// pipelined... no: the first segment carries the end of response 1 (100 bytes), one
		// segment is retransmitted 212 ms later.
		"anatomy_response": {{
			Conn: 1, Depth: 2, Dir: "s2c", Title: "200 OK", MsgOff: 1000, MsgLen: 3041, HeaderLen: 41, BodyLen: 3000,
			Parts: []report.Part{{Kind: "start_line", Off: 0, Len: 17}, {Kind: "headers", Off: 17, Len: 24}, {Kind: "body", Off: 41, Len: 3000}},
			Segments: []report.AnatomySegment{
				aseg(7, 0, 900, 1448, 1348, ack),
				aseg(8, msec/10, 2348, 1448, 1448, ack),
				aseg(10, 212*msec, 2348, 1448, 0, ack, tcp.ClassRetransmission),
				aseg(9, msec/5, 3796, 245, 245, pack),
			},
			Summary: report.AnatomySummary{Segments: 4, IPPackets: 4, Overhead: 208, MSS: 1448, Retransmissions: 1, FirstRetransGap: 212 * msec, Span: msec / 5},
		}},
		"anatomy_request_split": {{
			Conn: 3, Depth: 1, Dir: "c2s", Title: "GET /index.html", MsgOff: 0, MsgLen: 47, HeaderLen: 47,
			Parts: []report.Part{{Kind: "start_line", Off: 0, Len: 26}, {Kind: "headers", Off: 26, Len: 21}},
			Segments: []report.AnatomySegment{
				aseg(4, 0, 0, 20, 20, pack),
				aseg(5, 41*msec, 20, 60, 27, pack),
			},
			Summary: report.AnatomySummary{Segments: 2, IPPackets: 2, Overhead: 104, MSS: 1448, Span: 41 * msec},
		}},
		"anatomy_chunked_gap": {{
			Conn: 2, Depth: 1, Dir: "s2c", Title: "200 OK", MsgOff: 0, MsgLen: 3022, HeaderLen: 47, BodyLen: 2940, GapBytes: 1000,
			Parts: []report.Part{
				{Kind: "start_line", Off: 0, Len: 17}, {Kind: "headers", Off: 17, Len: 30},
				{Kind: "chunk_header", Off: 47, Len: 5}, {Kind: "chunk_data", Off: 52, Len: 2002},
				{Kind: "chunk_header", Off: 2054, Len: 5}, {Kind: "chunk_data", Off: 2059, Len: 942},
				{Kind: "chunk_header", Off: 3001, Len: 3}, {Kind: "trailer", Off: 3004, Len: 18},
				{Kind: "gap", Off: 1000, Len: 1000},
			},
			Segments: []report.AnatomySegment{
				aseg(5, 0, 0, 1000, 1000, ack),
				aseg(7, 3*msec, 2000, 1022, 1022, pack, tcp.ClassPreviousSegmentNotCaptured),
			},
			Summary: report.AnatomySummary{Segments: 2, IPPackets: 2, Overhead: 104, MSS: 1448, Span: 3 * msec},
		}},
	}
}

func TestAnatomyGolden(t *testing.T) {
	for name, recs := range anatomyCases() {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			s := New(&out)
			for i := range recs {
				if err := s.Anatomy(&recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			golden(t, name, out.Bytes())
		})
	}
}

func TestScaleKeepsSmallPartsVisible(t *testing.T) {
	parts := []report.Part{{Kind: "start_line", Off: 0, Len: 17}, {Kind: "headers", Off: 17, Len: 200}, {Kind: "body", Off: 217, Len: 1 << 20}}
	sc := newScale(parts, 217+1<<20)
	if c0, c1 := sc.col(0), sc.col(17); c1-c0 < 1 {
		t.Errorf("start line gets columns %d..%d", c0, c1)
	}
	if got := sc.col(217 + 1<<20); got != barWidth {
		t.Errorf("col(end) = %d, want %d", got, barWidth)
	}
	bar := string(partsBar(parts, sc))
	if utf8.RuneCountInString(bar) != barWidth || !strings.Contains(bar, "|body") {
		t.Errorf("partsBar = %q", bar)
	}
}
