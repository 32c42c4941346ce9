package pipeline

import (
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// A view is what one mode reports. The pipeline does what every mode needs (selection,
// verdict marks, HTTP parsing, the end of each direction) and calls its view at the
// events of each selected connection; the view writes that mode's records.
type view interface {
	// opened: a selected connection opened.
	opened(p *Pipeline, cs *connState)
	// segment: a segment of a selected connection, before the pipeline looks at its FIN.
	segment(p *Pipeline, cs *connState, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo)
	// late: a segment of a selected connection already closed and reported (a last ACK,
	// a retransmitted FIN).
	late(p *Pipeline, c *reassembly.Conn, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo)
	// data and gap: stream bytes delivered in order, or missing, before the HTTP parser
	// gets them.
	data(p *Pipeline, cs *connState, dir flow.Dir, off uint64, data []byte, frame uint64)
	gap(p *Pipeline, cs *connState, dir flow.Dir, off, n uint64)
	// exchange: an HTTP exchange completed; r is its record, filled.
	exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP)
	// closed: a selected connection ended, after its HTTP parser finished.
	closed(p *Pipeline, cs *connState)
}

// viewFor returns the view of a mode, whether it reads HTTP, and whether it reports the
// decoded length of bodies (which costs decompressing them).
func viewFor(m Mode) (v view, wantHTTP, decodeBodies bool) {
	switch m {
	case ModePackets:
		return segmentsView{}, false, false
	case ModeConns:
		return connsView{}, true, false
	case ModeHTTP:
		return httpView{}, true, true
	case ModeFollow:
		return followView{}, false, false
	case ModeAnatomy:
		return anatomyView{}, true, false
	case ModeLadder:
		return ladderView{}, true, false
	case ModeDiagnose:
		return diagnoseView{}, true, false
	}
	return noView{}, false, false
}

// noView reports nothing; the views embed it for the events they ignore.
type noView struct{}

func (noView) opened(*Pipeline, *connState) {}
func (noView) segment(*Pipeline, *connState, flow.Dir, *decode.Segment, *reassembly.SegInfo) {
}
func (noView) late(*Pipeline, *reassembly.Conn, flow.Dir, *decode.Segment, *reassembly.SegInfo) {
}
func (noView) data(*Pipeline, *connState, flow.Dir, uint64, []byte, uint64)  {}
func (noView) gap(*Pipeline, *connState, flow.Dir, uint64, uint64)           {}
func (noView) exchange(*Pipeline, *connState, *http1.Exchange, *report.HTTP) {}
func (noView) closed(*Pipeline, *connState)                                  {}

// segmentsView (packets) writes a record per segment, late ones included.
type segmentsView struct{ noView }

func (segmentsView) segment(p *Pipeline, cs *connState, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	r := &p.rseg
	p.fillSegment(r, cs.c, cs, dir, seg, info)
	p.fail(p.sink.Segment(r))
}

func (segmentsView) late(p *Pipeline, c *reassembly.Conn, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	p.late.c = c
	p.late.eps = [2]string{}
	p.fillSegment(&p.rseg, c, &p.late, dir, seg, info)
	p.fail(p.sink.Segment(&p.rseg))
}

// connsView (conns) writes a record per connection when it ends.
type connsView struct{ noView }

func (connsView) closed(p *Pipeline, cs *connState) {
	p.fillConn(cs)
	p.fail(p.sink.Conn(&p.rconn))
}

// httpView (http) writes a record per exchange.
type httpView struct{ noView }

func (httpView) exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP) {
	p.fail(p.sink.HTTP(r))
}

// followView (follow) hands each connection's bytes and gaps to Config.Stream.
type followView struct{ noView }

func (followView) opened(p *Pipeline, cs *connState) {
	if p.cfg.Stream != nil {
		p.fillConn(cs)
		p.fail(p.cfg.Stream.StreamOpen(&p.rconn))
	}
}

func (followView) data(p *Pipeline, cs *connState, dir flow.Dir, off uint64, data []byte, frame uint64) {
	if p.cfg.Stream != nil {
		p.fail(p.cfg.Stream.StreamData(cs.c.ID, dir.String(), off, data))
	}
}

func (followView) gap(p *Pipeline, cs *connState, dir flow.Dir, off, n uint64) {
	if p.cfg.Stream != nil {
		p.fail(p.cfg.Stream.StreamGap(cs.c.ID, dir.String(), off, n))
	}
}

func (followView) closed(p *Pipeline, cs *connState) {
	if p.cfg.Stream != nil {
		p.fillConn(cs)
		p.fail(p.cfg.Stream.StreamClose(&p.rconn))
	}
}

// recordedView keeps the segment log of each selected connection (recorder.go) for the
// explanatory views, which embed it: anatomy, ladder and diagnose.
type recordedView struct{ noView }

func (recordedView) opened(p *Pipeline, cs *connState) { cs.rec = newRecorder() }

func (recordedView) segment(p *Pipeline, cs *connState, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	cs.rec.segment(cs.c, dir, seg, info)
}

func (recordedView) data(p *Pipeline, cs *connState, dir flow.Dir, off uint64, data []byte, frame uint64) {
	cs.rec.data(dir, off, len(data), frame)
}

func (recordedView) gap(p *Pipeline, cs *connState, dir flow.Dir, off, n uint64) {
	cs.rec.gap(dir, off, n)
}

// anatomyView (anatomy) writes how each message of an exchange was segmented, as soon
// as the exchange completes.
type anatomyView struct{ recordedView }

func (anatomyView) exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP) {
	p.emitAnatomy(cs, x)
}

// ladderView (ladder) writes a connection's sequence diagram when it ends.
type ladderView struct{ recordedView }

func (ladderView) exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP) {
	cs.rec.exchange(x, r)
}

func (ladderView) closed(p *Pipeline, cs *connState) {
	for _, e := range analysis.Ladder(p.connInfo(cs), cs.rec.segs, cs.rec.xs, p.cfg.MaxRows) {
		p.fail(p.sink.Event(&e))
	}
}

// diagnoseView (diagnose) writes a connection's findings when it ends; it also follows
// how many connections to each server are open at once.
type diagnoseView struct{ recordedView }

func (v diagnoseView) opened(p *Pipeline, cs *connState) {
	v.recordedView.opened(p, cs)
	p.parallel.Open(cs.c.Server, &cs.par)
}

func (diagnoseView) exchange(p *Pipeline, cs *connState, x *http1.Exchange, r *report.HTTP) {
	cs.rec.exchange(x, r)
}

func (diagnoseView) closed(p *Pipeline, cs *connState) {
	p.parallel.Close(&cs.par)
	for _, f := range analysis.Diagnose(p.connInfo(cs), cs.rec.segs, cs.rec.xs) {
		p.fail(p.sink.Finding(&f))
	}
}
