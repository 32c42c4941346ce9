package pipeline

import (
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// The HTML report's view, and the pictures (render/svg, render/html) of the ladder view.

// maxReportAnatomies bounds the exchanges of one connection whose anatomy the report
// draws (each costs a pass over the connection's segment log).
const maxReportAnatomies = 16

// A report draws the ladder of a connection of more than maxReportLadder segments with
// long runs of data segments folded (ladder --max-rows maxReportRows).
const (
	maxReportLadder = 2000
	maxReportRows   = 24
)

// reportView (report) writes, for every selected connection, what the HTML report shows:
// http and anatomy records as exchanges complete (the segment log kept whole), and when
// the connection ends its picture, findings, ladder events and, last, its conn record.
type reportView struct{ recordedView }

func (v reportView) opened(p *Pipeline, cs *connState) {
	v.recordedView.opened(p, cs)
	p.trackParallel(cs, true)
}

func (reportView) exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP) {
	p.fail(p.sink.HTTP(r))
	if x.Depth <= maxReportAnatomies {
		p.emitAnatomyKeep(cs, x)
	}
	cs.rec.exchange(x, r)
}

func (reportView) closed(p *Pipeline, cs *connState) {
	p.trackParallel(cs, false)
	p.emitPicture(cs)
	r := cs.rec
	ci := p.connInfo(cs)
	for _, f := range analysis.Diagnose(ci, r.segs, r.xs) {
		p.fail(p.sink.Finding(&f))
	}
	rows := 0
	if len(r.segs) > maxReportLadder {
		rows = maxReportRows
	}
	for _, e := range analysis.Ladder(ci, r.segs, r.xs, rows) {
		p.fail(p.sink.Event(&e))
	}
	p.fillConn(cs)
	p.fail(p.sink.Conn(&p.rconn))
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
