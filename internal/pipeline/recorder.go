package pipeline

import (
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// maxRecorded bounds the segments kept for one connection by anatomy, ladder and
// diagnose; beyond it the oldest are dropped (anatomy) or recording stops (ladder).
const maxRecorded = 1 << 20

// recorder keeps the segment log of one connection for the explanatory views.
type recorder struct {
	segs      []analysis.SegRecord
	dels      []analysis.Delivery
	gaps      []analysis.Gap
	xs        []analysis.ExchangeInfo
	truncated bool // recording stopped at maxRecorded
	anat      report.Anatomy
}

func newRecorder() *recorder { return &recorder{} }

func (r *recorder) segment(c *reassembly.Conn, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	if len(r.segs) >= maxRecorded {
		r.truncated = true
		return
	}
	r.segs = append(r.segs, analysis.SegRecord{
		Frame:      seg.Frame,
		TS:         seg.TS,
		Dir:        uint8(dir),
		Off:        info.Off,
		Len:        seg.PayloadLen,
		Flags:      seg.Flags,
		Seq:        info.RelSeq,
		Ack:        info.RelAck,
		Win:        info.Window,
		Class:      info.Class,
		IPHdrLen:   seg.IP.HdrLen,
		TCPHdrLen:  seg.TCPHdrLen,
		IPTotalLen: seg.IP.TotalLen,
		IPID:       seg.IP.ID,
		DF:         seg.IP.DF,
		Fragments:  seg.IP.Fragments,
		FrameLen:   seg.FrameLen,
		TCPOptions: briefOptions(&seg.Opts),
	})
}

func (r *recorder) data(dir flow.Dir, off uint64, n int, frame uint64) {
	if k := len(r.dels); k > 0 {
		last := &r.dels[k-1]
		if last.Dir == uint8(dir) && last.Frame == frame && last.Off+uint64(last.Len) == off {
			last.Len += n
			return
		}
	}
	r.dels = append(r.dels, analysis.Delivery{Dir: uint8(dir), Off: off, Len: n, Frame: frame})
}

func (r *recorder) gap(dir flow.Dir, off, n uint64) {
	r.gaps = append(r.gaps, analysis.Gap{Dir: uint8(dir), Off: off, Len: n})
}

func (r *recorder) exchange(x *http1.Exchange, h *report.HTTP) {
	e := analysis.ExchangeInfo{HTTP: *h}
	e.HTTP.Anomalies = append([]string(nil), h.Anomalies...)
	e.HTTP.Interim = append([]int(nil), h.Interim...)
	// Header lists and bodies live in buffers reused by the next record; analysis does
	// not read them.
	e.HTTP.ReqHeaders, e.HTTP.RespHeaders, e.HTTP.ReqTrailers, e.HTTP.RespTrailers = nil, nil, nil, nil
	e.HTTP.ReqHeadersCut, e.HTTP.RespHeadersCut, e.HTTP.ReqTrailersCut, e.HTTP.RespTrailersCut = nil, nil, nil, nil
	e.HTTP.ReqBody, e.HTTP.RespBody = report.Body{}, report.Body{}
	if q := x.Req; q != nil {
		e.HasReq, e.ReqStart, e.ReqEnd, e.ReqHeadEnd, e.ReqHeadTS = true, q.StartOff, q.EndOff, q.HeaderEnd, q.HeadEndTS
	}
	if s := x.Resp; s != nil {
		e.HasResp, e.RespStart, e.RespEnd, e.RespHeadEnd, e.RespHeadTS = true, s.StartOff, s.EndOff, s.HeaderEnd, s.HeadEndTS
		e.KeepAlive = s.KeepAlive
	}
	r.xs = append(r.xs, e)
}

// prune forgets segments and deliveries of dir that end at or before off: no later
// message can use them.
func (r *recorder) prune(dir flow.Dir, off uint64) {
	segs := r.segs[:0]
	for _, s := range r.segs {
		if s.Dir != uint8(dir) || s.Off+int64(s.Len) > int64(off) || s.Off < 0 {
			segs = append(segs, s)
		}
	}
	clear(r.segs[len(segs):])
	r.segs = segs
	dels := r.dels[:0]
	for _, d := range r.dels {
		if d.Dir != uint8(dir) || d.Off+uint64(d.Len) > off {
			dels = append(dels, d)
		}
	}
	r.dels = dels
	gaps := r.gaps[:0]
	for _, g := range r.gaps {
		if g.Dir != uint8(dir) || g.Off+g.Len > off {
			gaps = append(gaps, g)
		}
	}
	r.gaps = gaps
}

func (p *Pipeline) connInfo(cs *connState) *analysis.ConnInfo {
	c := cs.c
	ci := &analysis.ConnInfo{
		ID: c.ID, Client: cs.endpoint(flow.C2S), Server: cs.endpoint(flow.S2C), FirstTS: c.FirstTS,
		SYNTime: c.SYNTime, SYNACKTime: c.SYNACKTime, ACKTime: c.ACKTime,
		Close: c.Close.String(), Closer: int(c.Closer), HalfClosed: c.HalfClosed,
		ParallelConns: cs.par.Max, Truncated: cs.rec != nil && cs.rec.truncated,
	}
	for d := range 2 {
		ci.MSS[d] = int(c.Dir[d].MSS)
		ci.WScale[d] = int(c.Dir[d].WScale)
	}
	return ci
}

// emitAnatomy writes the anatomy records of one exchange of the selected connection.
func (p *Pipeline) emitAnatomy(cs *connState, x *http1.Exchange) {
	r := cs.rec
	if p.cfg.Msg != 0 && x.Depth != p.cfg.Msg {
		p.pruneAfter(cs, x)
		return
	}
	ci := p.connInfo(cs)
	for _, part := range [...]struct {
		m    *http1.Message
		dir  flow.Dir
		name string
	}{{x.Req, flow.C2S, "req"}, {x.Resp, flow.S2C, "resp"}} {
		if part.m == nil || (p.cfg.MsgDir != "" && p.cfg.MsgDir != part.name) {
			continue
		}
		analysis.Anatomy(ci, x.Depth, uint8(part.dir), part.m, r.segs, r.dels, r.gaps, &r.anat)
		p.fail(p.sink.Anatomy(&r.anat))
	}
	p.pruneAfter(cs, x)
}

func (p *Pipeline) pruneAfter(cs *connState, x *http1.Exchange) {
	if x.Req != nil {
		cs.rec.prune(flow.C2S, x.Req.EndOff)
	}
	if x.Resp != nil {
		cs.rec.prune(flow.S2C, x.Resp.EndOff)
	}
}

// briefOptions names a segment's TCP options briefly (textfmt.Brief).
func briefOptions(o *decode.Options) string {
	return textfmt.Brief{MSS: o.MSS, HasMSS: o.HasMSS, SACKPerm: o.SACKPermitted, TS: o.HasTS,
		HasWScale: o.HasWScale, WScale: o.WScale, SACKBlocks: o.NSACK,
		TFO: o.HasTFO, MPTCP: o.HasMPTCP, Malformed: o.Malformed}.String()
}
