package conformance_test

// Invariants of the explanatory views on real captures: every capture under testdata/ and
// the shared corpus is run through the whole pipeline (segscope.Run) in anatomy, ladder
// and diagnose modes.

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/report"
)

// captureFiles lists the capture files of the project's testdata and the shared corpus.
func captureFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	if !haveCorpus() {
		t.Logf("shared corpus %s absent: %s runs on testdata/ only", sharedDir, t.Name())
	}
	for _, root := range []string{"../testdata", sharedDir} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(strings.TrimSuffix(p, ".gz"))) {
			case ".pcap", ".pcapng", ".cap":
				files = append(files, p)
			}
			return nil
		})
	}
	slices.Sort(files)
	if len(files) == 0 {
		t.Skip("no capture files found")
	}
	return files
}

// recSink keeps copies of the records it is given.
type recSink struct {
	segs     []report.Segment
	anatomy  []report.Anatomy
	events   []report.Event
	findings []report.Finding
}

func (s *recSink) Segment(r *report.Segment) error {
	c := *r
	s.segs = append(s.segs, c)
	return nil
}
func (s *recSink) Conn(*report.Conn) error { return nil }
func (s *recSink) HTTP(*report.HTTP) error { return nil }
func (s *recSink) Anatomy(r *report.Anatomy) error {
	c := *r
	c.Parts = slices.Clone(r.Parts)
	c.Segments = slices.Clone(r.Segments)
	s.anatomy = append(s.anatomy, c)
	return nil
}
func (s *recSink) Event(r *report.Event) error {
	s.events = append(s.events, *r)
	return nil
}
func (s *recSink) Finding(r *report.Finding) error {
	s.findings = append(s.findings, *r)
	return nil
}
func (s *recSink) Close() error { return nil }

func runViews(t *testing.T, file string, mode segscope.Mode, maxRows int) *recSink {
	t.Helper()
	src, err := capture.Open(file)
	if err != nil {
		t.Skipf("open: %v", err)
	}
	if c, ok := src.(interface{ Close() error }); ok {
		defer c.Close()
	}
	sink := &recSink{}
	defer func() {
		// A panic elsewhere in the pipeline (being written in parallel) skips the capture;
		// a panic inside package analysis fails the test.
		if v := recover(); v != nil {
			stack := string(debug.Stack())
			if strings.Contains(stack, "segscope/analysis.") {
				t.Fatalf("%s: panic in analysis: %v\n%s", mode, v, stack)
			}
			t.Skipf("%s: pipeline panicked outside analysis: %v", mode, v)
		}
	}()
	if _, err := segscope.Run(context.Background(), src, sink, segscope.Config{Mode: mode, MaxRows: maxRows}); err != nil {
		t.Logf("run %s: %v (records so far are checked)", mode, err)
	}
	return sink
}

type frameKey struct {
	conn uint64
	dir  string
}

func TestViewsOnCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every capture")
	}
	for _, file := range captureFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			pk := runViews(t, file, segscope.ModePackets, 0)
			owner := make(map[uint64]frameKey, len(pk.segs))
			segsOf := map[uint64]int{}
			for _, s := range pk.segs {
				owner[s.Frame] = frameKey{s.Conn, s.Dir}
				segsOf[s.Conn]++
			}

			an := runViews(t, file, segscope.ModeAnatomy, 0)
			for _, a := range an.anatomy {
				name := a.Dir + " " + a.Title
				var sum int64
				for _, s := range a.Segments {
					sum += int64(s.MsgBytes)
					if k, ok := owner[s.Frame]; !ok || k != (frameKey{a.Conn, a.Dir}) {
						t.Errorf("conn %d depth %d %s: frame %d belongs to %+v", a.Conn, a.Depth, name, s.Frame, k)
					}
					if s.Fragments <= 1 && s.IPTotalLen != s.IPHdrLen+s.TCPHdrLen+s.Len {
						t.Errorf("conn %d depth %d %s: frame %d: ip_total_len %d != %d + %d + %d", a.Conn, a.Depth, name, s.Frame, s.IPTotalLen, s.IPHdrLen, s.TCPHdrLen, s.Len)
					}
				}
				if sum+a.GapBytes != a.MsgLen {
					t.Errorf("conn %d depth %d %s: sum(msg_bytes) %d + gap %d != msg_len %d", a.Conn, a.Depth, name, sum, a.GapBytes, a.MsgLen)
				}
				var layout int64
				for _, p := range a.Parts {
					if p.Kind != "gap" {
						layout += p.Len
					}
				}
				if layout != a.MsgLen {
					t.Errorf("conn %d depth %d %s: parts cover %d of %d bytes", a.Conn, a.Depth, name, layout, a.MsgLen)
				}
			}

			ld := runViews(t, file, segscope.ModeLadder, 0)
			perConn := map[uint64]int{}
			for _, e := range ld.events {
				perConn[e.Conn]++
				if k := owner[e.Frame]; k != (frameKey{e.Conn, e.Dir}) {
					t.Errorf("ladder conn %d: frame %d belongs to %+v", e.Conn, e.Frame, k)
				}
			}
			for c, n := range perConn {
				if n != segsOf[c] {
					t.Errorf("ladder conn %d: %d events for %d segments", c, n, segsOf[c])
				}
			}
			col := runViews(t, file, segscope.ModeLadder, 4)
			var segsShown, want int
			for _, e := range col.events {
				if e.Collapsed > 0 {
					segsShown += e.Collapsed
				} else {
					segsShown++
				}
			}
			want = len(ld.events)
			if segsShown > want || len(col.events) > len(ld.events) {
				t.Errorf("collapsed ladder: %d rows standing for %d segments; full ladder %d", len(col.events), segsShown, want)
			}

			dg := runViews(t, file, segscope.ModeDiagnose, 0)
			for _, f := range dg.findings {
				if f.Kind == "" || f.Text == "" || (f.Severity != "info" && f.Severity != "warn") {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
