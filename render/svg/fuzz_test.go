package svg

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// FuzzPictureText: whatever text a capture puts in a URI, a note, a title or a TCP option
// name, every picture is well-formed XML in valid UTF-8, and the text never becomes an
// element of its own.
func FuzzPictureText(f *testing.F) {
	for _, s := range []string{"GET /", "<script>alert(1)</script>", "\"'&<>", "\xff\xfe\x00\x01", "]]>", "&amp;", "\u2028\ufffe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		evs := []report.Event{
			{Conn: 1, Frame: 1, Dir: "c2s", Flags: tcp.SYN, Notes: []string{"client " + text + ", server " + text, text}},
			{Conn: 1, Frame: 2, Rel: 1e6, Dir: "s2c", Flags: tcp.SYN | tcp.ACK, Notes: []string{text}},
		}
		a := report.Anatomy{Conn: 1, Depth: 1, Dir: "c2s", Title: text, MsgLen: 10, HeaderLen: 10,
			Parts:    []report.Part{{Kind: text, Len: 10}},
			Segments: []report.AnatomySegment{{Frame: 1, Len: 10, MsgBytes: 10, IPHdrLen: 20, TCPHdrLen: 20, IPTotalLen: 50, FrameLen: 64, TCPOptions: text}}}
		ts := report.TSeq{Conn: 1, Dir: "c2s", Sender: text, Receiver: text, Data: []report.TSeqData{{Frame: 1, Seq: 1, Len: 10}}}
		links := map[uint64][]Link{1: {{Label: text, Href: text, Title: text}}}
		for name, draw := range map[string]func(w io.Writer) error{
			"ladder":  func(w io.Writer) error { return Ladder(w, evs, report.Vantage{}, Options{Links: links}) },
			"anatomy": func(w io.Writer) error { return Anatomy(w, &a, Options{}) },
			"tseq":    func(w io.Writer) error { return TSeq(w, &ts, Options{}) },
		} {
			var b bytes.Buffer
			if err := draw(&b); err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(b.Bytes()) {
				t.Fatalf("%s: not valid UTF-8", name)
			}
			d := xml.NewDecoder(&b)
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: not well-formed for %q: %v", name, text, err)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "script" {
					t.Fatalf("%s: text %q became a <script> element", name, text)
				}
			}
		}
	})
}
