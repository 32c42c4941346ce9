// Package html writes segscope's report: one self-contained HTML file (inline CSS, inline
// SVG, a little plain JavaScript; no network access, works from file://) with a summary,
// a DevTools-style waterfall of the exchanges, a view of each connection (its ladder
// scaled by time, a time-sequence graph per direction, the anatomy of its messages and
// its findings) and a findings table.
//
// It formats records only. What it shows in full and what it aggregates is decided by an
// Analyzer (package analysis): for a large capture, the most interesting connections are
// drawn in full and every other connection and exchange is embedded as compact JSON, from
// which the page draws it on demand. Text from the capture goes through html/template
// (and the SVG pictures through package svg's escaping), so it can never become markup
// or script. The output is deterministic.
package html

import (
	"bufio"
	"cmp"
	"io"
	"slices"
	"strings"

	"github.com/segscope/segscope/render/svg"
	"github.com/segscope/segscope/report"
)

// Analyzer is what the report needs computed (package analysis implements it).
type Analyzer interface {
	// Interest says how slow and how anomalous a finished connection was.
	Interest(c *report.Conn, hs []report.HTTP, fs []report.Finding) report.ConnInterest
	// Overview aggregates every record of the capture.
	Overview(conns []report.Conn, hs []report.HTTP, fs []report.Finding, selected []report.ConnInterest) report.Overview
}

// Options configure a report.
type Options struct {
	// Files are the capture files named on the page.
	Files []string
	// MaxDetail is how many connections are drawn in full (default 20): the most
	// anomalous (at most half of them), then the slowest. With fewer connections, all are.
	MaxDetail int
	// MaxRows is how many waterfall rows and connection rows the page holds as HTML
	// (default 200); the rest are drawn from the embedded JSON on demand.
	MaxRows int
	// MaxFindings bounds the findings listed (default 500): warnings first, then the
	// findings of the connections drawn in full. All are counted in the summary.
	MaxFindings int
}

// anchored is a finding with the anchor of its table row.
type anchored struct {
	f  report.Finding
	id string
}

// detail is what the report keeps of a connection drawn in full.
type detail struct {
	events   []report.Event
	pic      report.ConnPicture
	hasPic   bool
	anat     []report.Anatomy
	findings []report.Finding
	interest report.ConnInterest
}

// Sink collects the records of a ModeReport run; Write renders the page.
type Sink struct {
	w   io.Writer
	o   Options
	an  Analyzer
	err error

	conns    []report.Conn
	https    []report.HTTP
	findings []anchored       // warnings of connections not drawn in full
	kinds    []report.Finding // kind and severity of every finding, for the overview
	open     map[uint64]*detail
	// byConn indexes https by connection (positions in https).
	byConn map[uint64][]int
	kept   map[uint64]*detail
	slow   []report.ConnInterest // the slowest, slowest first (at most MaxDetail)
	anom   []report.ConnInterest // the most anomalous, most first (at most MaxDetail/2)
	// strs interns the short texts of the http records (methods, hosts, versions,
	// reasons, content types), and their URIs are copied: the parser's strings share
	// chunks, which a kept string would keep alive.
	strs map[string]string
}

// New returns a Sink writing to w.
func New(w io.Writer, an Analyzer, o Options) *Sink {
	if o.MaxDetail <= 0 {
		o.MaxDetail = 20
	}
	if o.MaxRows <= 0 {
		o.MaxRows = 200
	}
	if o.MaxFindings <= 0 {
		o.MaxFindings = 500
	}
	return &Sink{w: w, o: o, an: an, open: map[uint64]*detail{}, byConn: map[uint64][]int{},
		kept: map[uint64]*detail{}, strs: map[string]string{}}
}

func (s *Sink) pending(conn uint64) *detail {
	if d := s.kept[conn]; d != nil {
		return d // its picture, ladder and anatomy come after its conn record
	}
	d := s.open[conn]
	if d == nil {
		d = &detail{}
		s.open[conn] = d
	}
	return d
}

// Segment implements report.Sink (the report has no per-segment table).
func (s *Sink) Segment(*report.Segment) error { return nil }

// intern returns a copy of v made once per distinct text.
func (s *Sink) intern(v string) string {
	if x, ok := s.strs[v]; ok {
		return x
	}
	if len(s.strs) >= 1<<16 { // many distinct texts: copy without remembering
		return strings.Clone(v)
	}
	x := strings.Clone(v)
	s.strs[x] = x
	return x
}

// HTTP implements report.Sink.
func (s *Sink) HTTP(h *report.HTTP) error {
	c := *h
	c.Anomalies = nil
	for _, a := range h.Anomalies {
		c.Anomalies = append(c.Anomalies, s.intern(a))
	}
	c.Interim = slices.Clone(h.Interim)
	c.Client, c.Server, c.Method, c.Host, c.Version = s.intern(h.Client), s.intern(h.Server), s.intern(h.Method), s.intern(h.Host), s.intern(h.Version)
	c.Reason, c.ContentType, c.ContentEnc, c.Verdict, c.Upgrade = s.intern(h.Reason), s.intern(h.ContentType), s.intern(h.ContentEnc), s.intern(h.Verdict), s.intern(h.Upgrade)
	c.URI = strings.Clone(h.URI)
	s.byConn[h.Conn] = append(s.byConn[h.Conn], len(s.https))
	s.https = append(s.https, c)
	return nil
}

// Anatomy implements report.Sink.
func (s *Sink) Anatomy(a *report.Anatomy) error {
	d := s.pending(a.Conn)
	c := *a
	c.Parts = slices.Clone(a.Parts)
	c.Segments = slices.Clone(a.Segments)
	d.anat = append(d.anat, c)
	return nil
}

// Event implements report.Sink.
func (s *Sink) Event(e *report.Event) error {
	d := s.pending(e.Conn)
	d.events = append(d.events, svg.CloneEvent(e))
	return nil
}

// Finding implements report.Sink.
func (s *Sink) Finding(f *report.Finding) error {
	d := s.pending(f.Conn)
	d.findings = append(d.findings, *f)
	s.kinds = append(s.kinds, report.Finding{Conn: f.Conn, Kind: f.Kind, Severity: f.Severity})
	return nil
}

// Picture implements report.PictureSink.
func (s *Sink) Picture(p *report.ConnPicture) error {
	d := s.pending(p.Conn)
	d.pic, d.hasPic = *p, true
	return nil
}

// WantDetail implements report.DetailSink: whether the connection whose conn record came
// last is drawn in full (its picture, ladder and anatomy records follow).
func (s *Sink) WantDetail(conn uint64) bool {
	_, ok := s.kept[conn]
	return ok
}

// Conn implements report.Sink: the connection is finished (its http records and findings
// came before); it is kept in full or reduced to its records.
func (s *Sink) Conn(c *report.Conn) error {
	s.conns = append(s.conns, *c)
	d := s.open[c.Conn]
	delete(s.open, c.Conn)
	if d == nil {
		d = &detail{}
	}
	var hs []report.HTTP
	for _, i := range s.byConn[c.Conn] {
		hs = append(hs, s.https[i])
	}
	in := s.an.Interest(c, hs, d.findings)
	d.interest = in
	s.kept[c.Conn] = d
	s.slow = insertRanked(s.slow, in, s.o.MaxDetail, bySlow)
	if in.Anomalies > 0 {
		s.anom = insertRanked(s.anom, in, max(s.o.MaxDetail/2, 1), byAnom)
	}
	if len(s.kept) > s.o.MaxDetail {
		keep := s.selection()
		for id := range s.kept {
			if !keep[id] {
				s.dropDetail(id)
			}
		}
	}
	return nil
}

// selection is the set of connections drawn in full: the most anomalous (at most half of
// MaxDetail), then the slowest up to MaxDetail.
func (s *Sink) selection() map[uint64]bool {
	keep := make(map[uint64]bool, s.o.MaxDetail)
	for _, x := range s.anom {
		keep[x.Conn] = true
	}
	for _, x := range s.slow {
		if len(keep) >= s.o.MaxDetail {
			break
		}
		keep[x.Conn] = true
	}
	return keep
}

// dropDetail forgets the pictures of connection id, keeping its warnings.
func (s *Sink) dropDetail(id uint64) {
	d := s.kept[id]
	delete(s.kept, id)
	for k, f := range d.findings {
		if f.Severity == "warn" && len(s.findings) < s.o.MaxFindings {
			s.findings = append(s.findings, anchored{f, findingID(id, k)})
		}
	}
}

func bySlow(a, b report.ConnInterest) int {
	if c := cmp.Compare(b.Slow, a.Slow); c != 0 {
		return c
	}
	return cmp.Compare(a.Conn, b.Conn)
}

func byAnom(a, b report.ConnInterest) int {
	if c := cmp.Compare(b.Anomalies, a.Anomalies); c != 0 {
		return c
	}
	return bySlow(a, b)
}

// insertRanked puts in into the ranked list l (at most n long).
func insertRanked(l []report.ConnInterest, in report.ConnInterest, n int, by func(a, b report.ConnInterest) int) []report.ConnInterest {
	i, _ := slices.BinarySearchFunc(l, in, by)
	if i >= n {
		return l
	}
	l = slices.Insert(l, i, in)
	if len(l) > n {
		l = l[:n]
	}
	return l
}

// Close implements report.Sink; connections still pending (no conn record) are dropped.
// The page is written by Write.
func (s *Sink) Close() error { return nil }

// Write renders the page for the run's summary.
func (s *Sink) Write(sum *report.Summary) error {
	w := bufio.NewWriterSize(s.w, 1<<16)
	if err := page.Execute(w, s.build(sum)); err != nil {
		return err
	}
	return w.Flush()
}

var _ report.Sink = (*Sink)(nil)
var _ report.PictureSink = (*Sink)(nil)
