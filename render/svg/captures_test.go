package svg_test

// Golden SVG files and structural checks on the project's captures: the whole pipeline
// (segscope.Run) into the svg Sink. Regenerate the goldens with go test -update (and look
// at them: they are pictures).

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/svg"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// captures are the project's captures the pictures are tested on: keep-alive, pipelining,
// loss and reordering, parallel connections. (No capture of a Nagle-held write with a
// delayed ACK exists in testdata/pcaps yet.)
var captures = []string{"keepalive", "pipelined", "loss-reorder", "parallel"}

func pcap(name string) string { return filepath.Join("..", "..", "testdata", "pcaps", name+".pcap") }

// records collects records by type.
type records struct {
	segs   []report.Segment
	events []report.Event
	pics   []report.ConnPicture
}

func (r *records) Segment(s *report.Segment) error {
	r.segs = append(r.segs, *s)
	return nil
}

func (r *records) Conn(*report.Conn) error             { return nil }
func (r *records) HTTP(*report.HTTP) error             { return nil }
func (r *records) Anatomy(*report.Anatomy) error       { return nil }
func (r *records) Event(e *report.Event) error         { r.events = append(r.events, *e); return nil }
func (r *records) Finding(*report.Finding) error       { return nil }
func (r *records) Picture(p *report.ConnPicture) error { r.pics = append(r.pics, *p); return nil }
func (r *records) Close() error                        { return nil }

func run(t *testing.T, file string, sink report.Sink, cfg segscope.Config) {
	t.Helper()
	src, err := capture.OpenFiles([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := segscope.Run(context.Background(), src, sink, cfg); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func picture(t *testing.T, file string, kind svg.Kind, mode segscope.Mode, conn uint64, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	s := svg.New(&b, kind)
	s.Dir = dir
	run(t, file, s, segscope.Config{Mode: mode, Conn: conn})
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

// classes counts the elements of an SVG document by "name.class"; it fails on a document
// that is not well-formed XML.
func classes(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	n := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					n[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
}

func TestGoldenPictures(t *testing.T) {
	for _, c := range captures {
		t.Run(c, func(t *testing.T) {
			file := pcap(c)
			for _, p := range []struct {
				name string
				kind svg.Kind
				mode segscope.Mode
				dir  string
			}{
				{"ladder", svg.KindLadder, segscope.ModeLadder, ""},
				{"anatomy", svg.KindAnatomy, segscope.ModeAnatomy, ""},
				{"tseq-s2c", svg.KindTSeq, segscope.ModeLadder, "s2c"},
			} {
				got := picture(t, file, p.kind, p.mode, 1, p.dir)
				classes(t, got)
				if again := picture(t, file, p.kind, p.mode, 1, p.dir); !bytes.Equal(got, again) {
					t.Errorf("%s: two runs differ", p.name)
				}
				golden(t, c+"-"+p.name+".svg", got)
			}
		})
	}
}

// TestLadderArrowsAreSegments: every connection's ladder has one arrow per TCP segment
// of that connection, with the same frame numbers, in capture order.
func TestLadderArrowsAreSegments(t *testing.T) {
	for _, c := range captures {
		t.Run(c, func(t *testing.T) {
			var pk records
			run(t, pcap(c), &pk, segscope.Config{Mode: segscope.ModePackets})
			frames := map[uint64][]string{}
			for _, s := range pk.segs {
				frames[s.Conn] = append(frames[s.Conn], fmt.Sprint(s.Frame))
			}
			if len(frames) == 0 {
				t.Fatal("no segments")
			}
			for conn, want := range frames {
				doc := picture(t, pcap(c), svg.KindLadder, segscope.ModeLadder, conn, "")
				var got []string
				d := xml.NewDecoder(bytes.NewReader(doc))
				for {
					tok, err := d.Token()
					if err != nil {
						break
					}
					if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
						var cls, fr string
						for _, a := range se.Attr {
							switch a.Name.Local {
							case "class":
								cls = a.Value
							case "data-frame":
								fr = a.Value
							}
						}
						if cls == "arrow" {
							got = append(got, fr)
						}
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("conn %d: arrows for frames %s, want the connection's segments %s", conn, strings.Join(got, ","), strings.Join(want, ","))
				}
			}
		})
	}
}

// TestTSeqMarksAreSegments: the time-sequence graph of a direction has one mark per
// segment of that direction that carries data, SYN or FIN, and its ACK line follows the
// other direction's ACKs.
func TestTSeqMarksAreSegments(t *testing.T) {
	for _, c := range captures {
		t.Run(c, func(t *testing.T) {
			var pk records
			run(t, pcap(c), &pk, segscope.Config{Mode: segscope.ModePackets, Conn: 1})
			for _, dir := range []string{"c2s", "s2c"} {
				want, acks, retx := 0, 0, 0
				for _, s := range pk.segs {
					switch {
					case s.Dir == dir && (s.Len > 0 || s.Flags.Any(tcp.SYN|tcp.FIN)):
						want++
						if s.Class.Any(tcp.ClassRetransmissions) {
							retx++
						}
					case s.Dir != dir && s.Flags.Has(tcp.ACK):
						acks++
					}
				}
				var rs records
				run(t, pcap(c), &rs, segscope.Config{Mode: segscope.ModeLadder, Conn: 1})
				if len(rs.pics) != 1 {
					t.Fatalf("%d pictures, want 1", len(rs.pics))
				}
				ts := rs.pics[0].TSeq[0]
				if dir == "s2c" {
					ts = rs.pics[0].TSeq[1]
				}
				if len(ts.Data) != want || len(ts.Acks) != acks {
					t.Errorf("%s: %d data points and %d ACKs, want %d and %d", dir, len(ts.Data), len(ts.Acks), want, acks)
				}
				doc := picture(t, pcap(c), svg.KindTSeq, segscope.ModeLadder, 1, dir)
				n := classes(t, doc)
				if n["g.tsd"] != want || n["path.ts-data retx"] != retx {
					t.Errorf("%s: %d marks (%d retransmissions), want %d (%d)", dir, n["g.tsd"], n["path.ts-data retx"], want, retx)
				}
			}
		})
	}
}
