package svg

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

func TestEsc(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "GET /a.txt", "GET /a.txt"},
		{"markup", `<script>alert("x")</script>`, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"},
		{"quotes and amp", `a'b"c&d`, "a&#39;b&quot;c&amp;d"},
		{"invalid utf-8", "/\xff\xfe.txt", "/\uFFFD\uFFFD.txt"},
		{"control", "a\x01b\x7f", `a\x1b\x7f`},
		{"multibyte kept", "/é→✓", "/é→✓"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Esc(tc.in); got != tc.want {
				t.Errorf("Esc(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// wellFormed parses an SVG document as XML and counts its elements by "name.class".
func wellFormed(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	if !utf8.Valid(doc) {
		t.Fatal("output is not valid UTF-8")
	}
	n := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					n[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
	return n
}

func hostileEvents() []report.Event {
	evil := "<script>alert(1)</script> \"quoted\" 'single' \xff\xfe \x01"
	return []report.Event{
		{Conn: 7, Frame: 1, Rel: 0, Dir: "c2s", Flags: tcp.SYN, Notes: []string{"client 10.0.0.1:1000, server 10.0.0.2:80", "handshake: SYN"}},
		{Conn: 7, Frame: 2, Rel: 1e6, Dir: "s2c", Flags: tcp.SYN | tcp.ACK, Ack: 1},
		{Conn: 7, Frame: 3, Rel: 2e6, Dir: "c2s", Flags: tcp.ACK, Seq: 1, Ack: 1},
		{Conn: 7, Frame: 4, Rel: 2e6 + 5e4, Dir: "c2s", Flags: tcp.PSH | tcp.ACK, Seq: 1, Ack: 1, Len: 80, Notes: []string{"GET " + evil + " (request 1)"}},
		{Conn: 7, Frame: 5, Rel: 45e6, Dir: "s2c", Flags: tcp.ACK, Seq: 1, Ack: 81, Len: 1448, Class: tcp.ClassRetransmission, Notes: []string{evil}},
		{Conn: 7, Frame: 6, Rel: 46e6, Dir: "s2c", Seq: 1449, Ack: 81, Collapsed: 12, CollapsedBytes: 17376, Notes: []string{"frames 6-30"}},
	}
}

func TestLadderStructureAndEscaping(t *testing.T) {
	evs := hostileEvents()
	v := report.Vantage{Known: true, ToClient: 10e3, ToServer: 490e3, Where: "client"}
	links := map[uint64][]Link{5: {{Label: "!", Href: "#f\"<x>", Title: "retransmission " + "<b>", Warn: true}}}
	var b bytes.Buffer
	if err := Ladder(&b, evs, v, Options{Links: links}); err != nil {
		t.Fatal(err)
	}
	doc := b.Bytes()
	n := wellFormed(t, doc)
	if got := n["g.arrow"]; got != len(evs) {
		t.Errorf("ladder has %d arrows, want %d (one per event)", got, len(evs))
	}
	if n["a.flink"] != 1 {
		t.Errorf("ladder has %d finding links, want 1", n["a.flink"])
	}
	if bytes.Contains(doc, []byte("<script")) || bytes.Contains(doc, []byte("\xff")) {
		t.Errorf("capture text leaked unescaped into the SVG:\n%s", doc)
	}
	if !bytes.Contains(doc, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Errorf("the URI is not shown as text")
	}
	if !strings.Contains(string(doc), "capture point (near the client)") {
		t.Errorf("the capture point is not named")
	}
	var again bytes.Buffer
	Ladder(&again, evs, v, Options{Links: links})
	if !bytes.Equal(doc, again.Bytes()) {
		t.Error("two renderings differ")
	}
}

// TestLadderSlopes checks the geometry: with the capture point near the client, a
// client-to-server arrow leaves the client at its capture time and reaches the server
// later by the one-way delay; a server-to-client arrow left the server earlier.
func TestLadderSlopes(t *testing.T) {
	evs := hostileEvents()[:3]
	v := report.Vantage{Known: true, ToClient: 0, ToServer: 500e3, Where: "client"}
	ax := newTimeAxis([]float64{0, 1e6, 2e6}, 100)
	if ax.at(0) != 100 {
		t.Fatalf("axis starts at %v, want 100", ax.at(0))
	}
	if a, b := ax.at(5e5)-ax.at(0), ax.at(1e6)-ax.at(5e5); a != b {
		t.Errorf("axis not linear: %v then %v", a, b)
	}
	var b bytes.Buffer
	Ladder(&b, evs, v, Options{})
	wellFormed(t, b.Bytes())
}

func TestAxisCutsLongGaps(t *testing.T) {
	// Ten segments a millisecond apart, then an idle minute, then ten more.
	var ts []float64
	for i := range 10 {
		ts = append(ts, float64(i)*1e6)
	}
	for i := range 10 {
		ts = append(ts, 60e9+float64(i)*1e6)
	}
	ax := newTimeAxis(ts, 0)
	if len(ax.cuts) != 1 || ax.cuts[0][1] != 60e9-9e6 {
		t.Fatalf("cuts = %v, want the one idle minute", ax.cuts)
	}
	if h := ax.end(); h > ladMaxH {
		t.Errorf("axis is %v px high, want at most %v", h, ladMaxH)
	}
	// Within each burst the scale is the same.
	if a, b := ax.at(1e6)-ax.at(0), ax.at(60e9+1e6)-ax.at(60e9); math.Abs(a-b) > 1e-6 || a <= 0 {
		t.Errorf("burst scales differ: %v and %v", a, b)
	}
}

func TestTSeqStructure(t *testing.T) {
	ts := report.TSeq{Conn: 3, Dir: "s2c", Sender: "10.0.0.2:80", Receiver: "10.0.0.1:1000",
		Data: []report.TSeqData{
			{Frame: 2, Rel: 1e6, Seq: 0, SYN: true},
			{Frame: 6, Rel: 3e6, Seq: 1, Len: 1448},
			{Frame: 7, Rel: 3e6 + 10e3, Seq: 1449, Len: 1448},
			{Frame: 9, Rel: 9e6, Seq: 1, Len: 1448, Retrans: true, Class: tcp.ClassRetransmission},
			{Frame: 12, Rel: 10e6, Seq: 2897, FIN: true},
		},
		Acks: []report.TSeqAck{
			{Frame: 3, Rel: 2e6, Ack: 1, Win: 64240},
			{Frame: 8, Rel: 4e6, Ack: 1, Win: 64240, SACK: [][2]int64{{1449, 2897}}, DupAck: true},
			{Frame: 10, Rel: 9.5e6, Ack: 2897, Win: 64240},
		}}
	var b bytes.Buffer
	if err := TSeq(&b, &ts, Options{}); err != nil {
		t.Fatal(err)
	}
	n := wellFormed(t, b.Bytes())
	if n["g.tsd"] != len(ts.Data) {
		t.Errorf("%d data marks, want %d", n["g.tsd"], len(ts.Data))
	}
	if n["path.ts-data retx"] != 1 {
		t.Errorf("%d retransmission marks, want 1", n["path.ts-data retx"])
	}
	if n["line.ts-sack"] != 1 || n["path.ts-ack"] != 1 || n["path.ts-win"] != 1 {
		t.Errorf("sack %d, ack line %d, window line %d; want 1 each", n["line.ts-sack"], n["path.ts-ack"], n["path.ts-win"])
	}
}

func TestAnatomyStructure(t *testing.T) {
	a := report.Anatomy{Conn: 1, Depth: 2, Dir: "s2c", Title: "200 <OK>", MsgOff: 100, MsgLen: 3000, HeaderLen: 200, BodyLen: 2800,
		Parts: []report.Part{{Kind: "start_line", Off: 0, Len: 17}, {Kind: "headers", Off: 17, Len: 183}, {Kind: "body", Off: 200, Len: 2800}, {Kind: "gap", Off: 1500, Len: 100}},
		Segments: []report.AnatomySegment{
			{Frame: 5, Off: 100, Len: 1448, MsgBytes: 1448, IPHdrLen: 20, TCPHdrLen: 32, IPTotalLen: 1500, FrameLen: 1514, Flags: tcp.ACK},
			{Frame: 6, Off: 1548, Len: 1448, MsgBytes: 1448, IPHdrLen: 20, TCPHdrLen: 32, IPTotalLen: 1500, FrameLen: 1514, Flags: tcp.ACK},
			{Frame: 8, Off: 100, Len: 1448, MsgBytes: 0, IPHdrLen: 20, TCPHdrLen: 32, IPTotalLen: 1500, FrameLen: 1514, Flags: tcp.ACK, Class: tcp.ClassRetransmission},
		},
		Summary: report.AnatomySummary{Segments: 3, IPPackets: 3, Overhead: 156, MSS: 1448, Retransmissions: 1, FirstRetransGap: 200e6, Span: 1e6}}
	var b bytes.Buffer
	if err := Anatomy(&b, &a, Options{}); err != nil {
		t.Fatal(err)
	}
	n := wellFormed(t, b.Bytes())
	if n["rect.seg"] != 2 || n["rect.seg retx"] != 1 {
		t.Errorf("segments: %d first copies, %d retransmitted; want 2 and 1", n["rect.seg"], n["rect.seg retx"])
	}
	if n["rect.h-ip"] != 3 || n["rect.h-tcp"] != 3 {
		t.Errorf("IP headers %d, TCP headers %d; want 3 each (one per packet)", n["rect.h-ip"], n["rect.h-tcp"])
	}
	if n["rect.part p-gap"] != 1 {
		t.Errorf("%d gap parts, want 1", n["rect.part p-gap"])
	}
	if !strings.Contains(b.String(), "200 &lt;OK&gt;") {
		t.Error("title not escaped")
	}
}
