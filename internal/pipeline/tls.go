package pipeline

import (
	"strconv"
	"strings"

	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tlsrec"
)

// decideTLS looks at the first bytes delivered on cs's connection (either direction:
// a capture may start mid-connection) and gives the connection a TLS layer when they are
// TLS. Fewer than five bytes that may start a record count as TLS.
func (p *Pipeline) decideTLS(cs *connState, data []byte) {
	if len(data) == 0 {
		return
	}
	cs.tlsDecided = true
	isTLS, more := tlsrec.Sniff(data)
	if !isTLS && !more {
		return
	}
	if n := len(p.tlsFree); n > 0 {
		cs.tls = p.tlsFree[n-1]
		p.tlsFree = p.tlsFree[:n-1]
		cs.tls.Reset()
		cs.tls.SetHandler(cs)
	} else {
		cs.tls = tlsrec.NewConn(cs, p.cfg.TLSKeys, p.cfg.TLS)
		cs.tls.ShareOutput(&p.tlsOut)
	}
}

// TLSRecord implements tlsrec.Handler: the explanatory views log records, and so does
// --msg -w (msgRecs).
func (cs *connState) TLSRecord(r *tlsrec.Record) {
	if cs.rec != nil {
		cs.rec.tlsRecord(r)
	}
	if cs.p.cfg.MsgFrames != nil && !cs.msg.done && len(cs.msgRecs) < maxMsgLog {
		cs.msgRecs = append(cs.msgRecs, msgRec{dir: flow.Dir(r.Dir), plainOff: r.PlainOff, plainEnd: r.PlainOff + uint64(r.PlainLen),
			off: r.Off, end: r.Off + uint64(r.HeaderLen+r.Len), handshake: r.Inner != tlsrec.TypeApplicationData})
	}
}

// msgRec is a TLS record's place in the plaintext and the TCP stream, for --msg -w on an
// HTTPS connection: the frames of a message are those that carried its records, and the
// handshake's records are written too, so that the file can be decrypted.
type msgRec struct {
	dir                flow.Dir
	plainOff, plainEnd uint64
	off, end           uint64
	handshake          bool // not application data (handshake, CCS, alert)
}

// msgSpan returns the TCP stream range that carried message m of dir: m's own offsets on
// a clear connection; on a TLS one, the records that carried its plaintext.
func (cs *connState) msgSpan(dir flow.Dir, m *http1.Message) (start, end uint64) {
	if cs.tls == nil {
		return m.StartOff, m.EndOff
	}
	start, end = ^uint64(0), 0
	for _, r := range cs.msgRecs {
		if r.dir == dir && !r.handshake && r.plainOff < max(m.EndOff, m.StartOff+1) && r.plainEnd > m.StartOff {
			start, end = min(start, r.off), max(end, r.end)
		}
	}
	if end == 0 {
		return 0, 0
	}
	return start, end
}

// msgEnd is the end of msgSpan.
func (cs *connState) msgEnd(dir flow.Dir, m *http1.Message) uint64 {
	_, end := cs.msgSpan(dir, m)
	return end
}

// msgHandshake reports whether delivery d carried bytes of a TLS handshake record.
func (cs *connState) msgHandshake(d msgDel) bool {
	for _, r := range cs.msgRecs {
		if r.handshake && r.dir == d.dir && r.off < d.end && r.end > d.off {
			return true
		}
	}
	return false
}

// TLSPlaintext implements tlsrec.Handler: decrypted application data goes where a clear
// stream's bytes go.
func (cs *connState) TLSPlaintext(d tlsrec.Dir, b []byte, r *tlsrec.Record) {
	p := cs.p
	if p.wantHTTP {
		// the first byte as carried by the record's first segment, the rest by its
		// last: a message starts when its first record started to arrive
		hp := p.parserOf(cs)
		// TCP acknowledgements count TLS bytes; the parser pairs by plaintext offsets:
		// the peer's plaintext acknowledged is what its wholly acknowledged records
		// carried.
		cs.tlsAck[d].add(r.Off+uint64(r.HeaderLen+r.Len), r.PlainOff+uint64(len(b)))
		ack := int64(-1)
		if a, ok := cs.c.DataAck(); ok {
			ack = int64(cs.tlsAck[1-d].plainAt(uint64(a)))
		}
		hp.Ack(http1.Dir(d), ack)
		hp.Feed(http1.Dir(d), b[:1], r.FirstFrame, r.FirstTS)
		if len(b) > 1 {
			hp.Feed(http1.Dir(d), b[1:], r.Frame, r.TS)
		}
	}
	if p.cfg.Mode == ModeFollow && p.cfg.Stream != nil {
		p.fail(p.cfg.Stream.StreamData(cs.c.ID, http1.Dir(d).String(), cs.plainAt[d], b))
	}
	cs.plainAt[d] += uint64(len(b))
}

// TLSPlainGap implements tlsrec.Handler: plaintext that could not be decrypted is a gap.
func (cs *connState) TLSPlainGap(d tlsrec.Dir, n uint64, r *tlsrec.Record) {
	p := cs.p
	ts := cs.c.LastTS
	if r != nil {
		ts = r.TS
	}
	if p.wantHTTP {
		p.parserOf(cs).Gap(http1.Dir(d), n, ts)
	}
	if p.cfg.Mode == ModeFollow && p.cfg.Stream != nil {
		p.fail(p.cfg.Stream.StreamGap(cs.c.ID, http1.Dir(d).String(), cs.plainAt[d], n))
	}
	cs.plainAt[d] += n
}

// plainFollow reports whether follow shows cs's plaintext rather than its TCP bytes: a
// TLS connection when a key log was given (decrypted, or gaps where it cannot be).
func (p *Pipeline) plainFollow(cs *connState) bool {
	return cs.tls != nil && p.cfg.TLSKeys != nil
}

// fillTLS builds the tls object of cs's conn record. It allocates: once per TLS
// connection.
func (p *Pipeline) fillTLS(cs *connState) *report.TLS {
	f := cs.tls.Facts()
	t := &report.TLS{
		Version:        f.Version.String(),
		OfferedVersion: f.OfferedVersion.String(),
		CipherSuite:    f.Suite.String(),
		SNI:            f.SNI,
		ALPNOffered:    append([]string{}, f.ALPNOffered...),
		ALPN:           f.ALPN,
		Resumed:        f.Resumed.String(),
		EarlyData:      f.EarlyData,
		HelloRetry:     f.HelloRetry,
		ExtendedMaster: f.ExtendedMaster,
		EncryptThenMAC: f.EncryptThenMAC,
		SSLv2Hello:     f.SSLv2Hello,
		RoundTrips:     -1,
		HandshakeTime:  -1,
		HelloFrame:     f.HelloFrame,
		FirstAppFrame:  f.FirstAppFrame,
		Tickets:        f.Tickets,
		KeyUpdates:     f.KeyUpdates,

		DecryptedRecords: f.DecryptedRecords,
		DecryptFailed:    uint64(f.AnomalyCount[tlsrec.AnomDecryptFailed]),
		Alerts:           []string{},
		Anomalies:        f.Anomalies.Names([]string{}),
	}
	t.ServerHelloDelay = -1
	if f.ServerHelloTS != 0 && f.HelloTS != 0 {
		t.ServerHelloDelay = report.Duration(f.ServerHelloTS - f.HelloTS)
	}
	if f.FirstAppTS != 0 && f.HelloTS != 0 {
		t.RoundTrips = f.RoundTrips
		t.HandshakeTime = report.Duration(f.FirstAppTS - f.HelloTS)
	}
	switch {
	case f.ALPN == "h2":
		t.Inner = "http2"
	case cs.parser != nil && cs.parser.Protocol() != http1.ProtoUnknown:
		t.Inner = cs.parser.Protocol().String()
	}
	if f.CertSeen {
		t.CertSubject, t.CertIssuer = f.CertSubject, f.CertIssuer
		t.CertNotBefore, t.CertNotAfter = report.Time(f.CertNotBefore*1e9), report.Time(f.CertNotAfter*1e9)
	}
	switch {
	case p.cfg.TLSKeys == nil:
	case f.KeysFound:
		t.KeyLog = "found"
	default:
		t.KeyLog = "missing"
	}
	for _, a := range f.Alerts {
		lvl := "warning"
		if a.Level == 2 {
			lvl = "fatal"
		}
		t.Alerts = append(t.Alerts, a.Dir.String()+" "+lvl+" "+a.Name())
	}
	return t
}

// anatomyTLS adds the TLS layer to an anatomy record whose segments were found for the
// TCP span of the records that carried message m (plaintext offsets) of dir: the records,
// and the message bar redrawn on that span, TLS overhead included.
func (p *Pipeline) anatomyTLS(cs *connState, m *http1.Message, dir uint8, a *report.Anatomy) {
	r := cs.rec
	t := &r.anatTLS
	*t = report.AnatomyTLS{Records: t.Records[:0]}
	start, end := m.StartOff, max(m.EndOff, m.StartOff)
	head := min(max(m.HeaderEnd, start), end)
	t.PlainOff, t.PlainLen = int64(start), int64(end-start)
	a.HeaderLen = int64(head - start)
	sl := min(uint64(startLineLen(m)), head-start)
	parts := a.Parts[:0]
	add := func(kind string, off, n int64) {
		if n > 0 {
			parts = append(parts, report.Part{Kind: kind, Off: off, Len: n})
		}
	}
	base := a.MsgOff
	tls12 := cs.tls.Facts().Version == tlsrec.VersionTLS12
	for i := range r.tlsRecs {
		x := &r.tlsRecs[i]
		if x.dir != dir || x.plainLen == 0 {
			continue
		}
		pe := x.plainOff + uint64(x.plainLen)
		lo, hi := max(start, x.plainOff), min(end, pe)
		if lo >= hi {
			continue
		}
		t.Records = append(t.Records, report.AnatomyRecord{Off: int64(x.off), HeaderLen: x.hdr, Len: x.n,
			PlainLen: x.plainLen, MsgBytes: int(hi - lo), Frame: x.frame, Decrypted: x.decrypted})
		over := x.hdr + x.n - x.plainLen
		t.Overhead += int64(over)
		// the record on the TCP span: header (with any explicit nonce or IV), plaintext,
		// then tag and padding, drawn as after the plaintext
		ro := int64(x.off) - base
		pre := x.hdr
		if tls12 { // TLS 1.2: the explicit nonce (AES-GCM, 8 bytes) or IV (CBC, 16) comes first
			switch o := x.n - x.plainLen; {
			case o == 8+16:
				pre += 8
			case o > 16+16:
				pre += 16
			}
		}
		add("tls_header", ro, int64(pre))
		pos := ro + int64(pre)
		add("other", pos, int64(lo-x.plainOff))
		pos += int64(lo - x.plainOff)
		for _, seg := range [...]struct {
			kind string
			s, e uint64
		}{{"start_line", start, start + sl}, {"headers", start + sl, head}, {"body", head, end}} {
			s, e := max(seg.s, lo), min(seg.e, hi)
			if s < e {
				add(seg.kind, pos+int64(s-lo), int64(e-s))
			}
		}
		pos += int64(hi - lo)
		add("other", pos, int64(pe-hi))
		pos += int64(pe - hi)
		add("tls_overhead", pos, ro+int64(x.hdr+x.n)-pos)
	}
	a.Parts = parts
	a.TLS = t
}

// startLineLen is the length of m's start line with its CRLF.
func startLineLen(m *http1.Message) int64 {
	if m.Method != "" {
		return int64(len(m.Method) + 1 + len(m.URI) + 1 + len(m.Version) + 2)
	}
	return int64(len(m.Version) + 1 + 3 + 1 + len(m.Reason) + 2)
}

// tlsNotes describes, per frame, the TLS records that frame completed, for the ladder:
// "TLS client_hello", "TLS server_hello, change_cipher_spec, application_data x2".
// Empty for a connection that is not TLS.
func (r *recorder) tlsNotes() map[uint64]string {
	if len(r.tlsRecs) == 0 {
		return nil
	}
	m := map[uint64]string{}
	var last string
	var lastFrame uint64
	repeat := 0
	flush := func() {
		if repeat > 1 {
			m[lastFrame] += " x" + strconv.Itoa(repeat)
		}
		repeat = 0
	}
	for i := range r.tlsRecs {
		x := &r.tlsRecs[i]
		var name string
		switch {
		case x.nhs > 0:
			var parts []string
			for _, h := range x.hs[:x.nhs] {
				parts = append(parts, h.String())
			}
			name = strings.Join(parts, ", ")
			if x.typ == tlsrec.TypeApplicationData || (x.typ == tlsrec.TypeHandshake && x.decrypted) {
				name += " (encrypted)"
			}
		case x.typ == tlsrec.TypeApplicationData && !x.decrypted:
			name = "application_data"
		default:
			name = x.inner.String()
		}
		if x.frame == lastFrame && name == last {
			repeat++
			continue
		}
		if x.frame != lastFrame {
			flush()
		} else if repeat > 1 {
			m[lastFrame] += " x" + strconv.Itoa(repeat)
		}
		repeat = 1
		if prev, ok := m[x.frame]; ok {
			m[x.frame] = prev + ", " + name
		} else {
			m[x.frame] = "TLS " + name
		}
		last, lastFrame = name, x.frame
	}
	flush()
	return m
}

// tlsAckMap maps a direction's TCP stream offsets to its plaintext offsets at the ends of
// its last application-data records (a small ring: acknowledgements concern recent
// records).
type tlsAckMap struct {
	tcpEnd, plainEnd [16]uint64
	n                int // records added
}

func (m *tlsAckMap) add(tcpEnd, plainEnd uint64) {
	i := m.n % len(m.tcpEnd)
	m.tcpEnd[i], m.plainEnd[i] = tcpEnd, plainEnd
	m.n++
}

// plainAt returns the plaintext offset up to which records wholly below TCP offset ack
// carried application data (0 when none is known).
func (m *tlsAckMap) plainAt(ack uint64) uint64 {
	var best uint64
	for i := 0; i < min(m.n, len(m.tcpEnd)); i++ {
		if m.tcpEnd[i] <= ack && m.plainEnd[i] > best {
			best = m.plainEnd[i]
		}
	}
	return best
}
