package pipeline

import (
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// fillConn builds the conn record of cs into p.rconn.
func (p *Pipeline) fillConn(cs *connState) {
	c := cs.c
	r := &p.rconn
	*r = report.Conn{
		Conn:       c.ID,
		Client:     cs.endpoint(flow.C2S),
		Server:     cs.endpoint(flow.S2C),
		FirstFrame: c.FirstFrame,
		LastFrame:  c.LastFrame,
		Start:      report.Time(c.FirstTS),
		End:        report.Time(c.LastTS),
		StartRel:   p.rel(c.FirstTS),
		Duration:   report.Duration(c.LastTS - c.FirstTS),
		State:      connState2(c),
		Requests:   cs.requests,
		Close:      c.Close.String(),
		Reused:     c.ReusedTuple,
		TupleIndex: c.Index,
		VLAN:       int(c.VLAN),
		VLANTagged: c.VLAN >= 0,
	}
	r.HandshakeRTT = -1
	if rtt := analysis.HandshakeRTT(c.SYNTime, c.SYNACKTime, c.ACKTime); rtt > 0 {
		r.HandshakeRTT = report.Duration(rtt)
	}
	for d := range 2 {
		ds := &c.Dir[d]
		r.MSS[d] = int(ds.MSS)
		r.WScale[d] = int(ds.WScale)
	}
	r.SACK = c.Dir[0].SACKPerm && c.Dir[1].SACKPerm
	r.Timestamps = c.Dir[0].Timestamps && c.Dir[1].Timestamps
	r.Packets = report.PerDir{C2S: c.Dir[0].Packets, S2C: c.Dir[1].Packets}
	r.Bytes = report.PerDir{C2S: c.Dir[0].Bytes, S2C: c.Dir[1].Bytes}
	r.Retransmissions = report.PerDir{C2S: c.Dir[0].Retrans, S2C: c.Dir[1].Retrans}
	r.OutOfOrder = report.PerDir{C2S: c.Dir[0].OutOfOrder, S2C: c.Dir[1].OutOfOrder}
	r.GapBytes = report.PerDir{C2S: c.Dir[0].GapBytes, S2C: c.Dir[1].GapBytes}
	r.ConflictBytes = report.PerDir{C2S: c.Dir[0].ConflictBytes, S2C: c.Dir[1].ConflictBytes}
	if c.Closer >= 0 {
		if flow.Dir(c.Closer) == flow.C2S {
			r.Closer = "client"
		} else {
			r.Closer = "server"
		}
	}
	r.Protocol = "unknown"
	if cs.parser != nil {
		r.Protocol = cs.parser.Protocol().String()
		r.SNI = cs.parser.SNI()
	}
	r.CommunityID, r.UID = cs.ids()
	r.History = cs.hist.String()
	r.ZeekDuration = report.Duration(cs.hist.LastTS() - c.FirstTS)
	// The sequence span: every byte delivered or reported as a gap, as Zeek counts.
	r.SeqBytes = report.PerDir{C2S: c.Dir[0].NextOffset(), S2C: c.Dir[1].NextOffset()}
	r.IPBytes = report.PerDir{C2S: cs.ipBytes[0], S2C: cs.ipBytes[1]}
	r.ConnState = analysis.ConnState(cs.hist.State(flow.C2S), cs.hist.State(flow.S2C), r.History, r.SeqBytes.C2S, r.SeqBytes.S2C)
	if cs.tls != nil {
		r.Protocol = http1.ProtoTLS.String()
		r.SNI = cs.tls.Facts().SNI
		r.TLS = p.fillTLS(cs)
	}
}

// OnExchange implements http1.Handler: one exchange of cs's connection is complete.
func (cs *connState) OnExchange(x *http1.Exchange) {
	p := cs.p
	p.sum.Exchanges++
	if x.Req != nil {
		cs.requests++
	}
	r := &p.rhttp
	p.fillHTTP(cs, x, r)
	p.view.exchange(p, cs, x, r)
	if p.cfg.MsgFrames != nil {
		p.msgExchange(cs, x)
	}
	if x.Req != nil {
		cs.pruneMarks(flow.C2S, x.Req.EndOff)
	}
	if x.Resp != nil {
		cs.pruneMarks(flow.S2C, x.Resp.EndOff)
	}
}

func (p *Pipeline) fillHTTP(cs *connState, x *http1.Exchange, r *report.HTTP) {
	c := cs.c
	*r = report.HTTP{
		Conn:           c.ID,
		Depth:          x.Depth,
		Client:         cs.endpoint(flow.C2S),
		Server:         cs.endpoint(flow.S2C),
		Interim:        x.Interim,
		Upgrade:        x.Upgrade,
		RespDecodedLen: -1,
	}
	r.CommunityID, r.UID = cs.ids()
	r.Timing = analysis.ExchangeTiming(x, analysis.HandshakeRTT(c.SYNTime, c.SYNACKTime, c.ACKTime))
	if x.Depth == 1 && x.Req != nil && cs.lookup != nil {
		r.HostLookup = report.Duration(cs.lookup.Duration)
	}
	r.ReqHeaderLen, r.RespHeaderLen, r.ReqMsgLen, r.RespMsgLen = -1, -1, -1, -1
	p.hdrs.reset()
	conflict, truncated := false, false
	var firstTS int64
	if q := x.Req; q != nil {
		r.Method, r.URI, r.Host, r.Version = q.Method, q.URI, q.Host, q.Version
		r.ReqBodyLen = q.BodyLen
		p.fillHeaders(q, &r.ReqHeaders, &r.ReqTrailers, &r.ReqHeadersCut, &r.ReqTrailersCut)
		r.ReqHeaderLen, r.ReqMsgLen, r.ReqGapBytes = int64(q.HeaderLen()), int64(q.EndOff-q.StartOff), q.GapBytes
		r.Retransmissions.C2S = cs.retransIn(flow.C2S, q.StartOff, q.EndOff)
		p.fillBody(q, &r.ReqBody)
		r.ReqFrames = report.FrameRange{q.FirstFrame, q.LastFrame}
		firstTS = q.FirstTS
		if cs.tls == nil { // marks are TCP offsets; a TLS connection's messages have plaintext ones
			cf, tr := cs.markIn(flow.C2S, q.StartOff, q.EndOff)
			conflict, truncated = conflict || cf, truncated || tr
		}
		if x.Depth == 1 && cs.tls != nil {
			if f := cs.tls.Facts(); f.FirstAppTS > f.HelloTS && f.HelloTS != 0 {
				r.Timing.TLS = report.Duration(f.FirstAppTS - f.HelloTS)
			}
		}
	}
	if s := x.Resp; s != nil {
		if r.Version == "" {
			r.Version = s.Version
		}
		r.Status, r.Reason, r.RespVersion = s.Status, s.Reason, s.Version
		r.RespBodyLen = s.BodyLen
		r.RespDecodedLen = s.DecodedLen
		p.fillHeaders(s, &r.RespHeaders, &r.RespTrailers, &r.RespHeadersCut, &r.RespTrailersCut)
		r.RespHeaderLen, r.RespMsgLen, r.RespGapBytes = int64(s.HeaderLen()), int64(s.EndOff-s.StartOff), s.GapBytes
		r.Retransmissions.S2C = cs.retransIn(flow.S2C, s.StartOff, s.EndOff)
		p.fillBody(s, &r.RespBody)
		r.ContentType, r.ContentEnc = s.ContentType, s.ContentEncoding
		r.RespFrames = report.FrameRange{s.FirstFrame, s.LastFrame}
		if x.Req == nil {
			firstTS = s.FirstTS
		}
		if cs.tls == nil {
			cf, tr := cs.markIn(flow.S2C, s.StartOff, s.EndOff)
			conflict, truncated = conflict || cf, truncated || tr
		}
	}
	r.TS = report.Time(firstTS)
	r.Rel = p.rel(firstTS)
	r.Verdict = analysis.ExchangeVerdict(x.Verdict, conflict, truncated).String()
	p.anoms = p.anoms[:0]
	for _, a := range x.Anomalies {
		p.anoms = append(p.anoms, a.String())
	}
	r.Anomalies = p.anoms
	if r.Interim == nil {
		r.Interim = []int{}
	}
	if r.ReqHeaders == nil {
		r.ReqHeaders = p.hdrs.empty()
	}
	if r.RespHeaders == nil {
		r.RespHeaders = p.hdrs.empty()
	}
}

var _ reassembly.Handler = (*Pipeline)(nil)
var _ http1.Handler = (*connState)(nil)

// connState2 is the conn record's state: each side's RFC 9293 state as an observer infers
// it (analysis.State), "client/server".
func connState2(c *reassembly.Conn) string {
	side := func(d flow.Dir) analysis.Side {
		ds := &c.Dir[d]
		return analysis.Side{
			Server: d == flow.S2C, Seen: ds.Packets > 0, SYN: ds.SawSYN,
			Data: ds.State == reassembly.StateEstablished || ds.State == reassembly.StateFINSent || ds.State == reassembly.StateClosed,
			FIN:  ds.FINFrame != 0, FINAcked: ds.State == reassembly.StateClosed, FINFrame: ds.FINFrame,
			RST: ds.State == reassembly.StateReset,
		}
	}
	cl, sv := side(flow.C2S), side(flow.S2C)
	return analysis.State(cl, sv) + "/" + analysis.State(sv, cl)
}
