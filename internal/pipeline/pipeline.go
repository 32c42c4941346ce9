package pipeline

import (
	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tlsrec"
)

// Pipeline is the reassembly.Handler that turns tracker events into records.
type Pipeline struct {
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

	view     view // what the mode reports
	wantHTTP bool // parse HTTP
	wantTLS  bool // read the TLS layer of TLS connections (HTTP modes; follow with keys)

	// reused per segment record
	rseg report.Segment
	sack [][2]uint32

	rconn report.Conn
	rhttp report.HTTP
	anoms []string
	hdrs  hdrBuf

	free    []*connState
	parsers []*http1.Parser // parsers free for reuse
	tlsFree []*tlsrec.Conn  // TLS states free for reuse
	tlsOut  []byte          // the decryption buffer of every TLS connection (tlsrec.Conn.ShareOutput)
	late    connState       // endpoints of a closed connection's late segment

	// hooks tell a sharded run's worker about the connections (zero otherwise).
	hooks Hooks

	// teach follows what concerns several connections (diagnose only; teach.go).
	teach *teach
	// dns holds recent DNS answers (diagnose and http; dns.go).
	dns *dnsTable

	curSelected bool // the last segment tracked belongs to a selected connection (for Keep)
}

// connState is what the pipeline keeps per connection, in reassembly.Conn.User.
type connState struct {
	p        *Pipeline
	c        *reassembly.Conn
	parser   *http1.Parser
	requests int
	selected bool
	eps      [2]string // client and server as "ip:port", made once per connection
	// marks are stream ranges with a conflict or a truncation, per direction, used to set
	// an exchange's verdict. Pruned as exchanges complete.
	marks [2][]mark
	// retrans are the stream offsets of retransmitted data segments, per direction (at
	// most maxRetrans), counted into the exchange whose messages hold them. Pruned too.
	retrans [2][]uint64
	rec     *recorder // segment log for anatomy and ladder; only for the selected connection
	// finSent says the HTTP parser was told that a direction ended: when the tracker
	// accepted its FIN (DirState.FINOffset) and every byte before it was delivered, so a
	// response delimited by the close is reported at once, not only when the connection
	// leaves the table. A FIN flag the tracker did not accept closes nothing.
	finSent [2]bool
	fed     [2]uint64 // stream offset up to which bytes and gaps went to the parser
	// hist is Zeek's history and endpoint states; ipBytes sums IP total lengths per
	// direction; cid and uid are the connection's Community ID and uid, made once.
	hist     analysis.History
	ipBytes  [2]uint64
	cid, uid string
	// act is the connection's request/response activity, prev the previous connection on
	// its 4-tuple (diagnose only; teach.go).
	act  analysis.Activity
	prev *analysis.PrevConn
	// lookup is the DNS lookup of the server's address just before the connection
	// (diagnose and http; dns.go).
	lookup *analysis.Lookup
	msg    msgLog // for MsgFrames only
	// tls is the TLS layer of a connection whose first bytes were TLS (nil otherwise);
	// tlsDecided says whether that was looked at. plainAt is each direction's plaintext
	// stream offset (follow).
	tls        *tlsrec.Conn
	tlsDecided bool
	plainAt    [2]uint64
	tlsAck     [2]tlsAckMap // TLS: TCP to plaintext offsets, for the parser's pairing
	msgRecs    []msgRec     // TLS records, for --msg -w (MsgFrames) only
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

// Hooks let the caller follow a pipeline's connections: a sharded run's worker places
// the records it captures by them. Each may be nil.
type Hooks struct {
	// Opened is called when a connection opens, before any of its records.
	Opened func(c *reassembly.Conn)
	// Dropped is called when a connection leaves the tracker's table, after its last
	// record; a later connection may reuse its ID.
	Dropped func(id uint64)
	// Current is called with the connection of each tracker event (segment, data, gap,
	// close) before the pipeline handles it: the records written until the next call
	// belong to that connection.
	Current func(c *reassembly.Conn)
}

// New returns a pipeline that decodes frames, tracks connections and writes records to
// sink.
func New(sink report.Sink, cfg Config) *Pipeline {
	p := newTracking(sink, cfg)
	dc := cfg.Decode
	dc.DNS = p.dns != nil
	p.dec = decode.NewDecoder(dc)
	p.trk = reassembly.NewTracker(cfg.Tracker, p)
	return p
}

// NewShard returns a pipeline without a decoder, for a sharded run's worker: it is given
// decoded segments (AddSegment) and calls h about its connections.
func NewShard(sink report.Sink, cfg Config, h Hooks) *Pipeline {
	p := newTracking(sink, cfg)
	p.hooks = h
	p.trk = reassembly.NewTracker(cfg.Tracker, dropHandler{p})
	return p
}

// dropHandler is a shard pipeline's tracker handler: it also wants OnDrop.
type dropHandler struct{ *Pipeline }

func (h dropHandler) OnDrop(id uint64) {
	if h.hooks.Dropped != nil {
		h.hooks.Dropped(id)
	}
}

// newTracking returns a pipeline without its decoder and tracker, for the caller to set.
func newTracking(sink report.Sink, cfg Config) *Pipeline {
	p := &Pipeline{cfg: cfg, sink: sink}
	var decodeBodies bool
	p.view, p.wantHTTP, decodeBodies = viewFor(cfg.Mode)
	p.wantTLS = p.wantHTTP || (cfg.Mode == ModeFollow && cfg.TLSKeys != nil)
	if decodeBodies {
		p.cfg.HTTP.DecodeBodies = true
	}
	p.late.p = p
	if cfg.Mode == ModeDiagnose || cfg.Mode == ModeReport {
		p.teach = newTeach()
	}
	if cfg.Mode == ModeDiagnose || cfg.Mode == ModeHTTP || cfg.Mode == ModeReport {
		p.dns = newDNSTable()
	}
	return p
}

// selects reports whether the configuration asks for connection c.
func (p *Pipeline) selects(c *reassembly.Conn) bool {
	switch {
	case p.cfg.ConnKey != nil && *p.cfg.ConnKey != c.Key:
		return false
	case p.cfg.Conn != 0 && p.cfg.Conn != c.ID:
		return false
	case p.cfg.Select != nil && !p.cfg.Select.Match(c):
		return false
	}
	return true
}

func (p *Pipeline) fail(err error) {
	if p.err == nil && err != nil {
		p.err = err
	}
}

// Frame decodes f and, when it is a TCP segment, tracks it.
func (p *Pipeline) Frame(f *capture.Frame) {
	p.sum.Frames++
	if !p.firstSet {
		p.first, p.firstSet = f.TS, true
	}
	p.lastTS = f.TS
	k := p.dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &p.seg)
	p.curSelected = false
	switch k {
	case decode.KindTCP:
		p.AddSegment(&p.seg)
	case decode.KindOtherIP:
		if m, ok := p.dec.DNS(); ok {
			p.AddDNS(m)
		}
	}
	if p.cfg.Keep != nil {
		p.keepFrame(f, k == decode.KindTCP)
	}
}

// AddSegment tracks a decoded TCP segment.
func (p *Pipeline) AddSegment(seg *decode.Segment) {
	p.sum.TCPSegments++
	p.trk.Add(seg)
}

// Start sets the timestamp of the input's first frame, from which records' relative
// times count, unless it is set already.
func (p *Pipeline) Start(ts int64) {
	if !p.firstSet {
		p.first, p.firstSet = ts, true
	}
}

// Reached notes where the input stands: frames read so far and the last one's timestamp.
func (p *Pipeline) Reached(frames uint64, lastTS int64) {
	p.sum.Frames, p.lastTS = frames, lastTS
}

// Config returns the pipeline's configuration.
func (p *Pipeline) Config() *Config { return &p.cfg }

// Decoder returns the pipeline's decoder (nil in a shard pipeline).
func (p *Pipeline) Decoder() *decode.Decoder { return p.dec }

// Tracker returns the pipeline's connection tracker.
func (p *Pipeline) Tracker() *reassembly.Tracker { return p.trk }

// Sink returns the sink the pipeline writes to.
func (p *Pipeline) Sink() report.Sink { return p.sink }

// Summary returns the run's counters so far, for the caller to add to.
func (p *Pipeline) Summary() *report.Summary { return &p.sum }

// Err returns the first error of the sink (or Fail), which ends the run.
func (p *Pipeline) Err() error { return p.err }

// Fail records err as the run's error unless it has one already.
func (p *Pipeline) Fail(err error) { p.fail(err) }

// Finish flushes every open connection and the sink, and completes the summary.
func (p *Pipeline) Finish() {
	p.trk.Flush(p.lastTS)
	if p.teach != nil {
		p.teach.finish(p)
	}
	st := p.dec.Stats()
	p.sum.Other = st.Other
	p.sum.Truncated = st.Truncated + st.TruncatedTCP
	p.sum.Malformed = st.Malformed + st.BadLength
	p.sum.BadChecksums = st.BadIPv4Checksum
	p.sum.Fragments = st.Count(decode.KindFragment)
	ts := p.trk.Stats()
	p.sum.Conns += ts.Conns // a sharded run added its workers' already
	p.sum.Evicted += ts.Evictions
	if ms, ok := p.sink.(report.MalformedSink); ok && p.cfg.Mode == ModePackets {
		// Malformed frames are listed after the segments (by the reader's decoder, so
		// the same with any number of workers).
		for _, m := range p.dec.MalformedFrames() {
			r := report.Malformed{Frame: m.Frame, TS: report.Time(m.TS), Rel: p.rel(m.TS), Layer: m.Layer.String()}
			p.fail(ms.Malformed(&r))
		}
	}
	p.sum.FilteredOut = p.cfg.rejected
	p.fail(p.sink.Close())
}

func (p *Pipeline) rel(ts int64) report.Duration { return report.Duration(ts - p.first) }

// OnOpen implements reassembly.Handler.
func (p *Pipeline) OnOpen(c *reassembly.Conn) {
	if p.hooks.Opened != nil {
		p.hooks.Opened(c)
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
	// A reused connState must not carry the last connection's marks into this one.
	for d := range cs.marks {
		cs.marks[d] = cs.marks[d][:0]
		cs.retrans[d] = cs.retrans[d][:0]
	}
	cs.selected = p.selects(c)
	cs.finSent, cs.fed = [2]bool{}, [2]uint64{}
	cs.msg = msgLog{}
	cs.tlsDecided, cs.plainAt, cs.msgRecs = false, [2]uint64{}, cs.msgRecs[:0]
	cs.tlsAck = [2]tlsAckMap{}
	if cs.selected {
		p.sum.Selected++
	}
	cs.eps = [2]string{}
	cs.hist.Reset()
	cs.ipBytes = [2]uint64{}
	cs.cid, cs.uid = "", ""
	c.User = cs
	cs.lookup = nil
	if p.dns != nil {
		cs.lookup = p.dns.lookup(c.Client.Addr(), c.Server.Addr(), c.FirstTS)
	}
	if p.teach != nil {
		p.teach.opened(p, cs)
	}
	if cs.selected {
		p.view.opened(p, cs)
	}
}

// OnSegment implements reassembly.Handler.
func (p *Pipeline) OnSegment(c *reassembly.Conn, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	if p.hooks.Current != nil {
		p.hooks.Current(c)
	}
	cs, _ := c.User.(*connState)
	if cs == nil {
		// A late segment of a connection already closed and reported (a last ACK, a
		// retransmitted FIN): it still gets its line in packets mode.
		if p.selects(c) {
			p.curSelected = true
			p.view.late(p, c, dir, seg, info)
		}
		return
	}
	if p.teach != nil {
		p.teach.segment(cs, seg)
	}
	if !cs.selected {
		return
	}
	cs.ipBytes[dir] += uint64(seg.IP.TotalLen)
	cs.hist.Segment(dir, analysis.HistSeg{
		SYN: seg.Flags.Has(tcp.SYN), ACK: seg.Flags.Has(tcp.ACK),
		FIN: seg.Flags.Has(tcp.FIN), RST: seg.Flags.Has(tcp.RST),
		Seq: seg.Seq, Len: seg.PayloadLen,
		// Zeek's T counts retransmitted payload, not repeated SYNs or FINs.
		Retransmission: seg.PayloadLen > 0 && info.Class&(tcp.ClassRetransmission|tcp.ClassFastRetransmission|tcp.ClassSpuriousRetransmission) != 0,
		ZeroWindow:     info.Class.Has(tcp.ClassZeroWindow),
		TS:             seg.TS,
	})
	p.curSelected = true
	if p.cfg.MsgFrames != nil {
		p.msgSegment(cs, dir, seg)
	}
	if info.Class&(tcp.ClassOverlapConflict|tcp.ClassFragmentOverlapConflict) != 0 {
		cs.addMark(dir, markConflict, info.Off, seg.PayloadLen)
	}
	if info.Class.Has(tcp.ClassRetransmission) && seg.PayloadLen > 0 && info.Off >= 0 && len(cs.retrans[dir]) < maxRetrans {
		cs.retrans[dir] = append(cs.retrans[dir], uint64(info.Off))
	}
	if seg.Truncated && seg.PayloadLen > len(seg.Payload) {
		cs.addMark(dir, markTruncated, info.Off+int64(len(seg.Payload)), seg.PayloadLen-len(seg.Payload))
	}
	p.view.segment(p, cs, dir, seg, info)
	if p.wantHTTP && cs.parser != nil {
		if _, ok := c.Dir[dir].FINOffset(); cs.finSent[dir] && !ok {
			// The tracker took the FIN back (a connection reset before its handshake
			// completed, then revived): so does the parser.
			cs.finSent[dir] = false
			cs.parser.Reopen(http1.Dir(dir))
		}
	}
	if (p.wantHTTP || cs.tls != nil) && !cs.finSent[dir] {
		// A bare FIN, or a FIN whose bytes were delivered earlier: if everything before
		// it was delivered, the direction ends now.
		// (OnSegment comes before the OnData calls of its own bytes.)
		p.reached(cs, c, dir, cs.fed[dir], seg.TS)
	}
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
	rs := cs.retrans[dir][:0]
	for _, o := range cs.retrans[dir] {
		if o >= off {
			rs = append(rs, o)
		}
	}
	cs.retrans[dir] = rs
}

// maxRetrans bounds the retransmission offsets kept per direction of a connection.
const maxRetrans = 1024

// retransIn counts the retransmitted data segments of dir that start in [off, end).
func (cs *connState) retransIn(dir flow.Dir, off, end uint64) (n uint64) {
	for _, o := range cs.retrans[dir] {
		if o >= off && o < end {
			n++
		}
	}
	return n
}

func (p *Pipeline) fillSegment(r *report.Segment, c *reassembly.Conn, cs *connState, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
	r.Frame = seg.Frame
	r.TS = report.Time(seg.TS)
	r.Rel = p.rel(seg.TS)
	r.Conn = c.ID
	r.Dir = dir.String()
	r.Src, r.Dst = cs.endpoint(dir), cs.endpoint(dir.Other())
	r.Flags = seg.Flags
	if p.cfg.Absolute {
		r.Seq, r.Ack = uint32(seg.Seq), uint32(seg.Ack)
	} else {
		r.Seq, r.Ack = info.RelSeq, info.RelAck
		if !seg.Flags.Has(tcp.ACK) {
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
	r.Class = info.Class
	r.DupAck = 0
	if info.Class.Has(tcp.ClassDupAck) {
		r.DupAck = info.DupAckCount
	}
	r.Truncated = seg.Truncated
	r.FrameLen = seg.FrameLen
	r.Info = http1.StartLine(seg.Payload)
}

// OnData implements reassembly.Handler.
func (p *Pipeline) OnData(c *reassembly.Conn, dir flow.Dir, off uint64, data []byte, frame uint64, ts int64) {
	if p.hooks.Current != nil {
		p.hooks.Current(c)
	}
	cs, _ := c.User.(*connState)
	if cs == nil || !cs.selected {
		return
	}
	if !cs.tlsDecided && p.wantTLS {
		p.decideTLS(cs, data)
	}
	p.view.data(p, cs, dir, off, data, frame)
	if p.cfg.MsgFrames != nil {
		p.msgData(cs, dir, off, len(data), frame)
	}
	if cs.tls != nil {
		cs.tls.Feed(tlsrec.Dir(dir), off, data, frame, ts)
		p.reached(cs, c, dir, off+uint64(len(data)), ts)
		return
	}
	if p.wantHTTP {
		hp := p.parserOf(cs)
		ack, _ := c.DataAck() // negative when unknown
		hp.Ack(http1.Dir(dir), ack)
		hp.Feed(http1.Dir(dir), data, frame, ts)
		p.reached(cs, c, dir, off+uint64(len(data)), ts)
	}
}

// OnGap implements reassembly.Handler.
func (p *Pipeline) OnGap(c *reassembly.Conn, dir flow.Dir, off, n uint64, ts int64) {
	if p.hooks.Current != nil {
		p.hooks.Current(c)
	}
	cs, _ := c.User.(*connState)
	if cs == nil || !cs.selected {
		return
	}
	cs.hist.Gap(dir)
	p.view.gap(p, cs, dir, off, n)
	if cs.tls != nil {
		cs.tls.Gap(tlsrec.Dir(dir), off, n, ts)
		p.reached(cs, c, dir, off+n, ts)
		return
	}
	if p.wantHTTP {
		p.parserOf(cs).Gap(http1.Dir(dir), n, ts)
		p.reached(cs, c, dir, off+n, ts)
	}
}

// OnClose implements reassembly.Handler.
func (p *Pipeline) OnClose(c *reassembly.Conn) {
	if p.hooks.Current != nil {
		p.hooks.Current(c)
	}
	cs, _ := c.User.(*connState)
	if cs == nil {
		return
	}
	if cs.selected {
		if cs.tls != nil {
			cs.tls.Close(tlsrec.C2S, c.LastTS)
			cs.tls.Close(tlsrec.S2C, c.LastTS)
		}
		if cs.parser != nil {
			cs.parser.Finish(c.LastTS)
		}
		p.view.closed(p, cs)
	}
	if p.teach != nil {
		p.teach.closed(p, cs)
	}
	if cs.tls != nil {
		if len(p.tlsFree) < maxPooledParsers {
			p.tlsFree = append(p.tlsFree, cs.tls)
		}
		cs.tls = nil
	}
	if cs.parser != nil {
		if len(p.parsers) < maxPooledParsers {
			p.parsers = append(p.parsers, cs.parser)
		}
		cs.parser = nil
	}
	cs.rec = nil
	cs.msg = msgLog{}
	cs.c = nil
	c.User = nil
	p.free = append(p.free, cs)
}

// reached notes that dir's stream has been delivered up to off; at the FIN the tracker
// accepted, the parser (and the TLS layer before it) learns that the direction ended.
func (p *Pipeline) reached(cs *connState, c *reassembly.Conn, dir flow.Dir, off uint64, ts int64) {
	cs.fed[dir] = off
	if fin, ok := c.Dir[dir].FINOffset(); ok && !cs.finSent[dir] && fin >= 0 && off >= uint64(fin) {
		cs.finSent[dir] = true
		if cs.tls != nil {
			cs.tls.Close(tlsrec.Dir(dir), ts)
			if cs.parser != nil {
				cs.parser.Close(http1.Dir(dir), ts)
			}
			return
		}
		if p.wantHTTP {
			p.parserOf(cs).Close(http1.Dir(dir), ts)
		}
	}
}

// maxPooledParsers bounds the HTTP parsers kept for reuse: enough for the connections
// typically open at once, without keeping the peak of a burst alive for ever.
const maxPooledParsers = 256

// parserOf returns cs's HTTP parser, taking one when the connection carries its first
// byte: connections that never do (SYN scans, refused connects) cost no parser.
func (p *Pipeline) parserOf(cs *connState) *http1.Parser {
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

// ids returns the connection's Community ID and uid, made once per connection.
func (cs *connState) ids() (cid, uid string) {
	if cs.cid == "" {
		c := cs.c
		cs.cid = flow.Tuple{Src: c.Client, Dst: c.Server}.CommunityID(cs.p.cfg.CommunityIDSeed)
		cs.uid = analysis.ZeekUID(cs.cid, c.FirstTS)
	}
	return cs.cid, cs.uid
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
