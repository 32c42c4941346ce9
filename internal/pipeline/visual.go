package pipeline

import (
	"slices"

	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// The HTML report's view, and the pictures (render/svg, render/html) of the ladder view.

// maxReportAnatomies bounds the exchanges of one connection whose anatomy the report
// draws (each costs a pass over the connection's segment log).
const maxReportAnatomies = 8

// A report draws the ladder of a connection of more than maxReportLadder segments with
// long runs of data segments folded (ladder --max-rows maxReportRows).
const (
	maxReportLadder = 500
	maxReportRows   = 24
)

// reportView (report) writes, for every selected connection, what the HTML report shows:
// http records as exchanges complete, and when the connection ends its findings and its
// conn record, then, when the sink wants the connection in full (report.DetailSink; a
// sink that is not one gets every connection in full), its picture, ladder events and
// the anatomy of its first maxReportAnatomies exchanges. The segment log is kept whole
// until then, and the messages those anatomies need are copied (without their headers).
type reportView struct{ recordedView }

func (reportView) exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP) {
	p.fail(p.sink.HTTP(r))
	cs.rec.exchange(x, r)
	if x.Depth <= maxReportAnatomies {
		for _, m := range [...]struct {
			m   *http1.Message
			dir uint8
		}{{x.Req, 0}, {x.Resp, 1}} {
			if m.m != nil {
				cs.rec.msgs = append(cs.rec.msgs, keptMsg{depth: x.Depth, dir: m.dir, m: messageCopy(m.m)})
			}
		}
	}
}

func (reportView) closed(p *Pipeline, cs *connState) {
	r := cs.rec
	ci := p.connInfo(cs)
	for _, f := range analysis.Diagnose(ci, r.segs, r.xs) {
		p.fail(p.sink.Finding(&f))
	}
	p.teach.recorded(cs, ci) // parallel connections, 4-tuple reuse, what-if (teach.go)
	p.fillConn(cs)
	p.fail(p.sink.Conn(&p.rconn))
	if ds, ok := p.sink.(report.DetailSink); ok && !ds.WantDetail(cs.c.ID) {
		return
	}
	p.emitPicture(cs)
	rows := 0
	if len(r.segs) > maxReportLadder {
		rows = maxReportRows
	}
	for _, e := range analysis.Ladder(ci, r.segs, r.xs, rows) {
		p.fail(p.sink.Event(&e))
	}
	for i := range r.msgs {
		k := &r.msgs[i]
		analysis.Anatomy(ci, k.depth, k.dir, &k.m, r.segs, r.dels, r.gaps, &r.anat)
		p.fail(p.sink.Anatomy(&r.anat))
	}
}

// keptMsg is a message whose anatomy the report may draw when its connection ends.
type keptMsg struct {
	depth int
	dir   uint8
	m     http1.Message
}

// messageCopy copies what analysis.Anatomy reads of m (its strings are immutable; its
// chunk marks are copied; headers, body and anomalies are left out).
func messageCopy(m *http1.Message) http1.Message {
	c := *m
	c.Headers, c.Trailers, c.Body, c.Anomalies = nil, nil, nil, nil
	c.Chunks = slices.Clone(m.Chunks)
	return c
}

// emitPicture hands a sink that draws connections (report.PictureSink) the picture of a
// finished connection: its vantage point and time-sequence graphs.
func (p *Pipeline) emitPicture(cs *connState) {
	if ps, ok := p.sink.(report.PictureSink); ok {
		pic := analysis.Picture(p.connInfo(cs), cs.rec.segs)
		p.fail(ps.Picture(&pic))
	}
}

// sackRel returns seg's SACK blocks relative to the peer's ISN (nil without).
func sackRel(seg *decode.Segment, info *reassembly.SegInfo) [][2]uint32 {
	o := &seg.Opts
	if o.NSACK == 0 {
		return nil
	}
	base := uint32(seg.Ack) - info.RelAck
	out := make([][2]uint32, 0, o.NSACK)
	for i := 0; i < o.NSACK && i < len(o.SACK); i++ {
		out = append(out, [2]uint32{uint32(o.SACK[i].Left) - base, uint32(o.SACK[i].Right) - base})
	}
	return out
}
