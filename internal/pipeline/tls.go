package pipeline

import (
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
	}
}

// TLSRecord implements tlsrec.Handler: the explanatory views log records.
func (cs *connState) TLSRecord(r *tlsrec.Record) {
	if cs.rec != nil {
		cs.rec.tlsRecord(r)
	}
}

// TLSPlaintext implements tlsrec.Handler: decrypted application data goes where a clear
// stream's bytes go.
func (cs *connState) TLSPlaintext(d tlsrec.Dir, b []byte, r *tlsrec.Record) {
	p := cs.p
	if p.wantHTTP {
		p.parserOf(cs).Feed(http1.Dir(d), b, r.Frame, r.TS)
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

// anatomyTLS adds the TLS layer to an anatomy record: the records that carried message
// m (plaintext offsets) of dir.
func (p *Pipeline) anatomyTLS(cs *connState, m *http1.Message, dir uint8, a *report.Anatomy) {
	r := cs.rec
	t := &r.anatTLS
	*t = report.AnatomyTLS{Records: t.Records[:0]}
	start, end := m.StartOff, max(m.EndOff, m.StartOff)
	t.PlainOff, t.PlainLen = int64(start), int64(end-start)
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
		t.Overhead += int64(x.hdr + x.n - x.plainLen)
	}
	a.TLS = t
}
