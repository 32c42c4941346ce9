package pipeline

import (
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tlsrec"
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
	// tlsRecs logs the TLS records of a TLS connection: they map the plaintext offsets
	// of HTTP messages to the TCP stream (tcpRange).
	tlsRecs []tlsRec
	anatTLS report.AnatomyTLS
	msgs    []keptMsg // report mode: the messages whose anatomy it may draw
}

// tlsRec is one TLS record of the segment log.
type tlsRec struct {
	dir        uint8
	off        uint64 // TCP stream offset of the record header
	hdr, n     int    // header and fragment length
	plainOff   uint64 // application plaintext it carried
	plainLen   int
	frame      uint64 // the frame that completed it
	typ, inner tlsrec.ContentType
	decrypted  bool
	hs         [4]tlsrec.HandshakeType // the first handshake messages that started in it
	nhs        int
}

func (r *recorder) tlsRecord(x *tlsrec.Record) {
	if len(r.tlsRecs) >= maxRecorded {
		return
	}
	r.tlsRecs = append(r.tlsRecs, tlsRec{dir: uint8(x.Dir), off: x.Off, hdr: x.HeaderLen, n: x.Len,
		plainOff: x.PlainOff, plainLen: x.PlainLen, frame: x.Frame, typ: x.Type, inner: x.Inner, decrypted: x.Decrypted,
		hs: x.Handshake, nhs: x.NHandshake})
}

// tcpRange maps the plaintext range [start, end) of dir to the TCP stream: from the
// header of the record that carried start to the end (tag included) of the record that
// carried the byte before end. ok is false when no record carried them.
func (r *recorder) tcpRange(dir uint8, start, end uint64) (s, e uint64, ok bool) {
	var haveS, haveE bool
	for i := range r.tlsRecs {
		t := &r.tlsRecs[i]
		if t.dir != dir || t.plainLen == 0 {
			continue
		}
		pe := t.plainOff + uint64(t.plainLen)
		if !haveS && start >= t.plainOff && start < pe {
			s, haveS = t.off, true
		}
		if end > t.plainOff && end <= pe {
			e, haveE = t.off+uint64(t.hdr+t.n), true
		}
	}
	if !haveS || !haveE {
		return 0, 0, false
	}
	return s, e, true
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
		SACK:       sackRel(seg, info),
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
	if r.tlsRecs != nil {
		// a TLS connection: the views work on TCP offsets
		if s, end, ok := r.tcpRange(0, e.ReqStart, e.ReqEnd); ok && e.HasReq {
			_, he, _ := r.tcpRange(0, e.ReqStart, e.ReqHeadEnd)
			e.ReqStart, e.ReqEnd, e.ReqHeadEnd = s, end, he
		}
		if s, end, ok := r.tcpRange(1, e.RespStart, e.RespEnd); ok && e.HasResp {
			_, he, _ := r.tcpRange(1, e.RespStart, e.RespHeadEnd)
			e.RespStart, e.RespEnd, e.RespHeadEnd = s, end, he
		}
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
		Truncated: cs.rec != nil && cs.rec.truncated,
	}
	teachInfo(cs, ci)
	if cs.tls != nil {
		ci.TLS = p.fillTLS(cs)
	}
	for d := range 2 {
		ci.MSS[d] = int(c.Dir[d].MSS)
		ci.WScale[d] = int(c.Dir[d].WScale)
	}
	return ci
}

// emitAnatomy writes the anatomy records of one exchange of the selected connection.
func (p *Pipeline) emitAnatomy(cs *connState, x *http1.Exchange) {
	if p.cfg.Msg != 0 && x.Depth != p.cfg.Msg {
		p.pruneAfter(cs, x)
		return
	}
	p.emitAnatomyKeep(cs, x)
	p.pruneAfter(cs, x)
}

// emitAnatomyKeep writes the anatomy records of one exchange, keeping the segment log
// whole (the report still draws the connection's ladder from it).
func (p *Pipeline) emitAnatomyKeep(cs *connState, x *http1.Exchange) {
	r := cs.rec
	ci := p.connInfo(cs)
	for _, part := range [...]struct {
		m    *http1.Message
		dir  flow.Dir
		name string
	}{{x.Req, flow.C2S, "req"}, {x.Resp, flow.S2C, "resp"}} {
		if part.m == nil || (p.cfg.MsgDir != "" && p.cfg.MsgDir != part.name) {
			continue
		}
		m := part.m
		if cs.tls != nil {
			// the message as it was carried in the TCP stream: its TLS records
			mm := *m
			s, e, ok := r.tcpRange(uint8(part.dir), m.StartOff, m.EndOff)
			if !ok {
				continue
			}
			_, he, _ := r.tcpRange(uint8(part.dir), m.StartOff, m.HeaderEnd)
			mm.StartOff, mm.EndOff, mm.HeaderEnd = s, e, he
			m = &mm
		}
		analysis.Anatomy(ci, x.Depth, uint8(part.dir), m, r.segs, r.dels, r.gaps, &r.anat)
		if cs.tls != nil {
			p.anatomyTLS(cs, part.m, uint8(part.dir), &r.anat)
		}
		p.fail(p.sink.Anatomy(&r.anat))
	}
}

func (p *Pipeline) pruneAfter(cs *connState, x *http1.Exchange) {
	for _, part := range [...]struct {
		m   *http1.Message
		dir flow.Dir
	}{{x.Req, flow.C2S}, {x.Resp, flow.S2C}} {
		if part.m == nil {
			continue
		}
		end := part.m.EndOff
		if cs.tls != nil {
			_, e, ok := cs.rec.tcpRange(uint8(part.dir), part.m.StartOff, part.m.EndOff)
			if !ok {
				continue
			}
			end = e
			cs.rec.pruneTLS(uint8(part.dir), part.m.EndOff)
		}
		cs.rec.prune(part.dir, end)
	}
}

// pruneTLS forgets the TLS records of dir whose plaintext ends at or before plainEnd.
func (r *recorder) pruneTLS(dir uint8, plainEnd uint64) {
	keep := r.tlsRecs[:0]
	for _, t := range r.tlsRecs {
		if t.dir != dir || t.plainOff+uint64(t.plainLen) > plainEnd || t.plainLen == 0 && t.off >= plainEnd {
			keep = append(keep, t)
		}
	}
	r.tlsRecs = keep
}

// briefOptions names a segment's TCP options briefly (textfmt.Brief).
func briefOptions(o *decode.Options) string {
	return textfmt.Brief{MSS: o.MSS, HasMSS: o.HasMSS, SACKPerm: o.SACKPermitted, TS: o.HasTS,
		HasWScale: o.HasWScale, WScale: o.WScale, SACKBlocks: o.NSACK,
		TFO: o.HasTFO, MPTCP: o.HasMPTCP, Malformed: o.Malformed}.String()
}
