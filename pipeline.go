package segscope

import (
	"net/netip"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// pipeline is the reassembly.Handler that turns tracker events into records.
type pipeline struct {
	cfg  Config
	sink report.Sink
	dec  *decode.Decoder
	trk  *reassembly.Tracker
	seg  decode.Segment
	sum  report.Summary
	err  error

	first    int64
	firstSet bool
	lastTS   int64

	wantHTTP bool // parse HTTP

	// reused per segment record
	rseg    report.Segment
	flags   []string
	classes []string
	sack    [][2]uint32

	rconn report.Conn
	rhttp report.HTTP
	anoms []string

	free    []*connState
	parsers []*http1.Parser // parsers free for reuse
	late    connState       // endpoints of a closed connection's late segment

	// cur is the connection of the handler call being made: a sharded run's worker
	// places the records it captures by it.
	cur *reassembly.Conn
	// shard is the worker this pipeline runs in, in a sharded run (nil otherwise).
	shard *worker

	// openByServer lists the open connections per server (diagnose only), to tell how
	// many connections a client ran in parallel to one server.
	openByServer map[netip.AddrPort][]*connState
}

// connState is what the pipeline keeps per connection, in reassembly.Conn.User.
type connState struct {
	p        *pipeline
	c        *reassembly.Conn
	parser   *http1.Parser
	requests int
	selected bool
	eps      [2]string // client and server as "ip:port", made once per connection
	// marks are stream ranges with a conflict or a truncation, per direction, used to set
	// an exchange's verdict. Pruned as exchanges complete.
	marks [2][]mark
	rec   *recorder // segment log for anatomy and ladder; only for the selected connection
	// finAt is the stream offset of each direction's FIN once seen (-1 before): when the
	// bytes before it have all been delivered, the HTTP parser is told that direction
	// ended, so a response delimited by the close is reported at once, not only when the
	// connection leaves the table.
	finAt [2]int64
	// maxParallel is the most connections to this connection's server open at once while
	// it was open, itself included (diagnose only).
	maxParallel int
}

type markKind uint8

const (
	markConflict markKind = iota
	markTruncated
)

type mark struct {
	kind     markKind
	off, end uint64
}

const maxMarks = 64

func newPipeline(sink report.Sink, cfg Config) *pipeline {
	p := newTracking(sink, cfg)
	p.dec = decode.NewDecoder(cfg.Decode)
	p.trk = reassembly.NewTracker(cfg.Tracker, p)
	return p
}

// newTracking returns a pipeline without its decoder and tracker, for the caller to set
// (a sharded run's worker has no decoder, and a tracker handler that also wants OnDrop).
func newTracking(sink report.Sink, cfg Config) *pipeline {
	// Every mode but packets and follow reads HTTP; only http reports decoded lengths.
	p := &pipeline{cfg: cfg, sink: sink, wantHTTP: cfg.Mode != ModePackets && cfg.Mode != ModeFollow}
	if cfg.Mode == ModeHTTP || cfg.Mode == ModeReport {
		p.cfg.HTTP.DecodeBodies = true
	}
	p.late.p = p
	return p
}

// trackParallel records cs opening (open true) or closing in the list of its server's
// open connections, and raises every open connection's maxParallel.
func (p *pipeline) trackParallel(cs *connState, open bool) {
	if p.openByServer == nil {
		p.openByServer = map[netip.AddrPort][]*connState{}
	}
	srv := cs.c.Server
	list := p.openByServer[srv]
	if !open {
		for i, x := range list {
			if x == cs {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(p.openByServer, srv)
		} else {
			p.openByServer[srv] = list
		}
		return
	}
	cs.maxParallel = 0
	list = append(list, cs)
	p.openByServer[srv] = list
	for _, x := range list {
		x.maxParallel = max(x.maxParallel, len(list))
	}
}

// selects reports whether the configuration asks for connection c.
func (p *pipeline) selects(c *reassembly.Conn) bool {
	switch {
	case p.cfg.ConnKey != nil:
		return *p.cfg.ConnKey == c.Key
	case p.cfg.Conn != 0:
		return p.cfg.Conn == c.ID
	}
	return true
}

func (p *pipeline) fail(err error) {
	if p.err == nil && err != nil {
		p.err = err
	}
}

func (p *pipeline) frame(f *capture.Frame) {
	p.sum.Frames++
	if !p.firstSet {
		p.first, p.firstSet = f.TS, true
	}
	p.lastTS = f.TS
	k := p.dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &p.seg)
	if k == decode.KindTCP {
		p.sum.TCPSegments++
		p.trk.Add(&p.seg)
	}
}

func (p *pipeline) finish() {
	p.trk.Flush(p.lastTS)
	st := p.dec.Stats()
	p.sum.Other = st.Other
	p.sum.Truncated = st.Truncated + st.TruncatedTCP
	p.sum.Malformed = st.Malformed + st.BadLength
	p.sum.BadChecksums = st.BadIPv4Checksum
	p.sum.Fragments = st.Count(decode.KindFragment)
	ts := p.trk.Stats()
	p.sum.Conns += ts.Conns // a sharded run added its workers' already
	p.sum.Evicted += ts.Evictions
	p.fail(p.sink.Close())
}

func (p *pipeline) rel(ts int64) report.Duration { return report.Duration(ts - p.first) }

// OnOpen implements reassembly.Handler.
func (p *pipeline) OnOpen(c *reassembly.Conn) {
	if p.shard != nil {
		p.shard.opened(c)
	}
	var cs *connState
	if n := len(p.free); n > 0 {
		cs = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		cs = &connState{p: p}
	}
	cs.c = c
	cs.requests = 0
	cs.selected = p.selects(c)
	cs.finAt = [2]int64{-1, -1}
	if cs.selected {
		p.sum.Selected++
	}
	if cs.selected && (p.cfg.Mode == ModeAnatomy || p.cfg.Mode == ModeLadder || p.cfg.Mode == ModeDiagnose || p.cfg.Mode == ModeReport) {
		cs.rec = newRecorder(p.cfg.Mode)
	}
	if (p.cfg.Mode == ModeDiagnose || p.cfg.Mode == ModeReport) && cs.selected {
		p.trackParallel(cs, true)
	}
	cs.eps = [2]string{}
	c.User = cs
	if p.cfg.Mode == ModeFollow && cs.selected && p.cfg.Stream != nil {
		p.fillConn(cs)
		p.fail(p.cfg.Stream.StreamOpen(&p.rconn))
	}
}

// OnSegment implements reassembly.Handler.
func (p *pipeline) OnSegment(c *reassembly.Conn, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	p.cur = c
	cs, _ := c.User.(*connState)
	if cs == nil {
		// A late segment of a connection already closed and reported (a last ACK, a
		// retransmitted FIN): it still gets its line in packets mode.
		if p.cfg.Mode == ModePackets && p.selects(c) {
			p.late.c = c
			p.late.eps = [2]string{}
			p.fillSegment(&p.rseg, c, &p.late, dir, seg, info)
			p.fail(p.sink.Segment(&p.rseg))
		}
		return
	}
	if !cs.selected {
		return
	}
	if info.Class.Has(reassembly.ClassOverlapConflict) {
		cs.addMark(dir, markConflict, info.Off, seg.PayloadLen)
	}
	if seg.Truncated && seg.PayloadLen > len(seg.Payload) {
		cs.addMark(dir, markTruncated, info.Off+int64(len(seg.Payload)), seg.PayloadLen-len(seg.Payload))
	}
	if cs.rec != nil {
		cs.rec.segment(c, dir, seg, info)
	}
	if p.wantHTTP && seg.Flags.Has(decode.FIN) && cs.finAt[dir] < 0 {
		if end := info.Off + int64(seg.PayloadLen); end >= 0 {
			cs.finAt[dir] = end
			if seg.PayloadLen == 0 {
				// A bare FIN: if everything before it was delivered, the direction ends
				// now. (A FIN with data ends when OnData delivers that data.)
				p.reached(cs, dir, c.Dir[dir].NextOffset(), seg.TS)
			}
		}
	}
	if p.cfg.Mode != ModePackets {
		return
	}
	r := &p.rseg
	p.fillSegment(r, c, cs, dir, seg, info)
	p.fail(p.sink.Segment(r))
}

func (cs *connState) addMark(dir flow.Dir, k markKind, off int64, n int) {
	if off < 0 || n <= 0 || len(cs.marks[dir]) >= maxMarks {
		return
	}
	cs.marks[dir] = append(cs.marks[dir], mark{kind: k, off: uint64(off), end: uint64(off) + uint64(n)})
}

// markIn reports the worst mark overlapping [off, end) of dir.
func (cs *connState) markIn(dir flow.Dir, off, end uint64) (conflict, truncated bool) {
	for _, m := range cs.marks[dir] {
		switch {
		case m.kind == markConflict && m.off < end && off < m.end:
			conflict = true
		case m.kind == markTruncated && m.off <= end && off < m.end:
			// Inclusive at the end: a message cut short by a snaplen-truncated segment
			// ends exactly where the missing bytes start.
			truncated = true
		}
	}
	return
}

// pruneMarks forgets marks that end before off.
func (cs *connState) pruneMarks(dir flow.Dir, off uint64) {
	ms := cs.marks[dir][:0]
	for _, m := range cs.marks[dir] {
		if m.end > off {
			ms = append(ms, m)
		}
	}
	cs.marks[dir] = ms
}

func (p *pipeline) fillSegment(r *report.Segment, c *reassembly.Conn, cs *connState, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	r.Frame = seg.Frame
	r.TS = report.Time(seg.TS)
	r.Rel = p.rel(seg.TS)
	r.Conn = c.ID
	r.Dir = dir.String()
	r.Src, r.Dst = cs.endpoint(dir), cs.endpoint(dir.Other())
	p.flags = seg.Flags.Names(p.flags[:0])
	r.Flags = p.flags
	if p.cfg.Absolute {
		r.Seq, r.Ack = uint32(seg.Seq), uint32(seg.Ack)
	} else {
		r.Seq, r.Ack = info.RelSeq, info.RelAck
		if !seg.Flags.Has(decode.ACK) {
			r.Ack = 0
		}
	}
	r.SeqRaw, r.AckRaw = uint32(seg.Seq), uint32(seg.Ack)
	r.Len = seg.PayloadLen
	r.Win = seg.Window
	r.WinScaled = info.Window
	ip := &seg.IP
	// Field by field, here and for Options: a composite literal would be built on the
	// stack and copied in (with write barriers for SACK), once per segment.
	ri := &r.IP
	ri.Version, ri.ID, ri.TTL, ri.TotalLen, ri.HdrLen = ip.Version, ip.ID, ip.TTL, ip.TotalLen, ip.HdrLen
	ri.DF, ri.MF, ri.FragOff, ri.Fragments, ri.ChecksumBad = ip.DF, ip.MF, ip.FragOff, ip.Fragments, ip.ChecksumBad
	r.TCPHdrLen = seg.TCPHdrLen
	o := &seg.Opts
	p.sack = p.sack[:0]
	for i := 0; i < o.NSACK && i < len(o.SACK); i++ {
		l, rr := uint32(o.SACK[i].Left), uint32(o.SACK[i].Right)
		if !p.cfg.Absolute {
			base := uint32(seg.Ack) - info.RelAck
			l, rr = l-base, rr-base
		}
		p.sack = append(p.sack, [2]uint32{l, rr})
	}
	ro := &r.Options
	ro.MSS, ro.WScale, ro.HasWScale, ro.SACKPerm = o.MSS, int(o.WScale), o.HasWScale, o.SACKPermitted
	ro.SACK, ro.TSVal, ro.TSEcr, ro.HasTS = p.sack, o.TSVal, o.TSEcr, o.HasTS
	ro.TFO, ro.MPTCP, ro.Unknown, ro.Malformed = o.HasTFO, o.HasMPTCP, o.Unknown, o.Malformed
	p.classes = p.classes[:0]
	if info.Class != 0 { // most segments have no class
		p.classes = info.Class.Names(p.classes)
	}
	r.Class = p.classes
	r.DupAck = 0
	if info.Class.Has(reassembly.ClassDupAck) {
		r.DupAck = info.DupAckCount
	}
	r.Truncated = seg.Truncated
	r.FrameLen = seg.FrameLen
	r.Payload = seg.Payload
}

// OnData implements reassembly.Handler.
func (p *pipeline) OnData(c *reassembly.Conn, dir flow.Dir, off uint64, data []byte, frame uint64, ts int64) {
	p.cur = c
	cs, _ := c.User.(*connState)
	if cs == nil || !cs.selected {
		return
	}
	if cs.rec != nil {
		cs.rec.data(dir, off, len(data), frame)
	}
	if p.wantHTTP {
		p.parserOf(cs).Feed(http1.Dir(dir), data, frame, ts)
		p.reached(cs, dir, off+uint64(len(data)), ts)
	}
	if p.cfg.Stream != nil {
		p.fail(p.cfg.Stream.StreamData(c.ID, dir.String(), off, data))
	}
}

// OnGap implements reassembly.Handler.
func (p *pipeline) OnGap(c *reassembly.Conn, dir flow.Dir, off, n uint64, ts int64) {
	p.cur = c
	cs, _ := c.User.(*connState)
	if cs == nil || !cs.selected {
		return
	}
	if cs.rec != nil {
		cs.rec.gap(dir, off, n)
	}
	if p.wantHTTP {
		p.parserOf(cs).Gap(http1.Dir(dir), n, ts)
		p.reached(cs, dir, off+n, ts)
	}
	if p.cfg.Stream != nil {
		p.fail(p.cfg.Stream.StreamGap(c.ID, dir.String(), off, n))
	}
}

// OnClose implements reassembly.Handler.
func (p *pipeline) OnClose(c *reassembly.Conn) {
	p.cur = c
	cs, _ := c.User.(*connState)
	if cs == nil {
		return
	}
	if cs.selected {
		if cs.parser != nil {
			cs.parser.Finish(c.LastTS)
		}
		p.fillConn(cs)
		switch p.cfg.Mode {
		case ModeConns:
			p.fail(p.sink.Conn(&p.rconn))
		case ModeFollow:
			if p.cfg.Stream != nil {
				p.fail(p.cfg.Stream.StreamClose(&p.rconn))
			}
		case ModeLadder, ModeDiagnose, ModeReport:
			if p.cfg.Mode != ModeLadder {
				p.trackParallel(cs, false)
			}
			if cs.rec != nil {
				p.emitRecorded(cs)
			}
			if p.cfg.Mode == ModeReport {
				p.fail(p.sink.Conn(&p.rconn))
			}
		}
	}
	if cs.parser != nil {
		if len(p.parsers) < maxPooledParsers {
			p.parsers = append(p.parsers, cs.parser)
		}
		cs.parser = nil
	}
	cs.rec = nil
	cs.c = nil
	c.User = nil
	p.free = append(p.free, cs)
}

// reached notes that dir's stream has been delivered up to off; at its FIN, the parser
// learns that the direction ended.
func (p *pipeline) reached(cs *connState, dir flow.Dir, off uint64, ts int64) {
	if fin := cs.finAt[dir]; fin >= 0 && off == uint64(fin) {
		cs.finAt[dir] = -2 // done
		p.parserOf(cs).Close(http1.Dir(dir), ts)
	}
}

// maxPooledParsers bounds the HTTP parsers kept for reuse: enough for the connections
// typically open at once, without keeping the peak of a burst alive for ever.
const maxPooledParsers = 256

// parserOf returns cs's HTTP parser, taking one when the connection carries its first
// byte: connections that never do (SYN scans, refused connects) cost no parser.
func (p *pipeline) parserOf(cs *connState) *http1.Parser {
	if cs.parser != nil {
		return cs.parser
	}
	if n := len(p.parsers); n > 0 {
		cs.parser = p.parsers[n-1]
		p.parsers = p.parsers[:n-1]
		cs.parser.Reset()
		cs.parser.SetHandler(cs)
	} else {
		cs.parser = http1.NewParser(cs, p.cfg.HTTP)
	}
	return cs.parser
}

// endpoint returns the "ip:port" text of the client (C2S) or server (S2C), made once per
// connection and only when a record needs it.
func (cs *connState) endpoint(d flow.Dir) string {
	if cs.eps[d] == "" {
		ep := cs.c.Client
		if d == flow.S2C {
			ep = cs.c.Server
		}
		cs.eps[d] = ep.String()
	}
	return cs.eps[d]
}
