package tlsrec

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
)

// Facts is what a Conn learned about one TLS connection.
type Facts struct {
	Version        Version  // negotiated (supported_versions for TLS 1.3); 0 before the ServerHello
	OfferedVersion Version  // the highest version the client offered
	Suite          Suite    // negotiated cipher suite
	SNI            string   // server_name of the ClientHello
	ALPNOffered    []string // ALPN protocols the client offered (at most Limits.MaxALPN)
	ALPN           string   // ALPN protocol chosen (TLS 1.3: only when decrypted)
	Resumed        Resumption
	PSKOffered     bool // TLS 1.3 ClientHello carried a pre_shared_key
	EarlyData      bool // 0-RTT attempted: the ClientHello carried early_data
	HelloRetry     bool // the server sent a HelloRetryRequest
	ExtendedMaster bool // TLS 1.2 extended master secret negotiated (RFC 7627)
	EncryptThenMAC bool // TLS 1.2 encrypt_then_mac negotiated (RFC 7366)
	SSLv2Hello     bool // the ClientHello came in SSLv2-compatible form
	ClientRandom   [32]byte

	// HelloTS and HelloFrame are when the ClientHello's first byte was seen;
	// ServerHelloTS when the ServerHello's; FirstAppTS and FirstAppFrame when the
	// client's first application data record was (TLS 1.3 without keys: the client's
	// first encrypted record after its Finished, guessed as its second). 0: not seen.
	HelloTS, ServerHelloTS, FirstAppTS int64
	HelloFrame, FirstAppFrame          uint64
	// RoundTrips is the handshake's cost before the first application data: the
	// client flights before the one that carried it (TLS 1.3: 1, with HRR 2, 0-RTT 0;
	// TLS 1.2: 2, resumed or False Start 1). Valid when FirstAppTS is set.
	RoundTrips int

	// The server certificate (the first of the chain), when it is visible: in clear
	// with TLS 1.2, decrypted with TLS 1.3.
	CertSubject, CertIssuer     string
	CertNotBefore, CertNotAfter int64 // Unix seconds
	CertSeen                    bool

	Tickets          int    // NewSessionTicket messages seen
	KeyUpdates       int    // TLS 1.3 KeyUpdate messages seen (decrypted)
	KeysFound        bool   // the key log had this session
	DecryptedRecords uint64 // records opened
	Alerts           []Alert
	Anomalies        Anomalies
	AnomalyCount     [anomCount]uint32
}

// Decrypted reports whether any record was opened.
func (f *Facts) Decrypted() bool { return f.DecryptedRecords > 0 }

var hrrRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// handshakeData appends handshake bytes of one record and handles every complete message.
func (c *Conn) handshakeData(h *half, r *Record, b []byte) {
	if h.hsSkip > 0 {
		n := min(h.hsSkip, len(b))
		h.hsSkip -= n
		b = b[n:]
	}
	buf := b
	c.msgTS, c.msgFrame = r.FirstTS, r.FirstFrame
	if len(h.hs) > 0 {
		h.hs = append(h.hs, b...)
		buf = h.hs
		c.msgTS, c.msgFrame = h.hsTS, h.hsFrame
	}
	for len(buf) >= 4 {
		n := int(buf[1])<<16 | int(buf[2])<<8 | int(buf[3])
		if n > c.lim.MaxHandshake {
			c.anomaly(AnomHandshakeTooLong)
			skip := 4 + n - len(buf)
			if skip > 0 {
				h.hsSkip = skip
				buf = nil
			} else {
				buf = buf[4+n:]
			}
			continue
		}
		if len(buf) < 4+n {
			break
		}
		typ := HandshakeType(buf[0])
		if r.NHandshake < len(r.Handshake) {
			r.Handshake[r.NHandshake] = typ
			r.NHandshake++
		}
		c.message(h, r, typ, buf[4:4+n])
		buf = buf[4+n:]
		c.msgTS, c.msgFrame = r.FirstTS, r.FirstFrame
	}
	if len(buf) > 0 {
		h.hsTS, h.hsFrame = c.msgTS, c.msgFrame
	}
	// keep the partial message (never more than MaxHandshake+4 bytes)
	if len(h.hs) > 0 {
		h.hs = append(h.hs[:0], buf...)
	} else if len(buf) > 0 {
		h.hs = append(h.hs, buf...)
	}
}

func (c *Conn) message(h *half, r *Record, typ HandshakeType, m []byte) {
	f := &c.facts
	switch {
	case typ == HSClientHello && h.dir == C2S:
		if f.HelloTS == 0 {
			f.HelloTS, f.HelloFrame = c.msgTS, c.msgFrame
		}
		if !c.clientHello(m) {
			c.anomaly(AnomBadHandshake)
		}
	case typ == HSServerHello && h.dir == S2C:
		if !c.serverHello(r, m) {
			c.anomaly(AnomBadHandshake)
		}
	case typ == HSEncryptedExtensions && h.dir == S2C:
		c.encryptedExtensions(m)
	case typ == HSCertificate && h.dir == S2C:
		c.certificate(m)
	case typ == HSNewSessionTicket && h.dir == S2C:
		f.Tickets++
	case typ == HSFinished:
		if f.Version == VersionTLS13 {
			h.switchTo = true
			if h.dir == S2C {
				c.serverFin = true
			} else {
				c.sawFinC = true
				c.finFlights = c.flights
			}
		}
	case typ == HSKeyUpdate && f.Version == VersionTLS13 && h.cur != nil:
		f.KeyUpdates++
		h.next = h.cur.keyUpdate()
		h.switchTo = true
	}
}

// vec reads a vector with an n-byte length prefix.
func vec(b []byte, n int) (v, rest []byte, ok bool) {
	if len(b) < n {
		return nil, nil, false
	}
	l := 0
	for i := 0; i < n; i++ {
		l = l<<8 | int(b[i])
	}
	b = b[n:]
	if len(b) < l {
		return nil, nil, false
	}
	return b[:l], b[l:], true
}

// eachExtension calls fn for each extension of a hello's extension block ext (its
// 2-byte length first; empty when the hello has none). It returns false when the block
// is malformed.
func eachExtension(ext []byte, fn func(typ uint16, body []byte)) bool {
	if len(ext) == 0 {
		return true
	}
	exts, _, ok := vec(ext, 2)
	if !ok {
		return false
	}
	for len(exts) >= 4 {
		typ := binary.BigEndian.Uint16(exts)
		var body []byte
		if body, exts, ok = vec(exts[2:], 2); !ok {
			return false
		}
		fn(typ, body)
	}
	return true
}

func (c *Conn) clientHello(m []byte) bool {
	f := &c.facts
	if len(m) < 2+32 {
		return false
	}
	// a second ClientHello (after a HelloRetryRequest, or renegotiation) replaces the first
	f.SNI, f.ALPNOffered = "", f.ALPNOffered[:0]
	f.OfferedVersion = Version(binary.BigEndian.Uint16(m))
	copy(c.clientRandom[:], m[2:34])
	f.ClientRandom = c.clientRandom
	sid, rest, ok := vec(m[34:], 1)
	if !ok {
		return false
	}
	c.sessionID = append(c.sessionID[:0], sid...)
	if _, rest, ok = vec(rest, 2); !ok { // cipher suites
		return false
	}
	if _, rest, ok = vec(rest, 1); !ok { // compression methods
		return false
	}
	return eachExtension(rest, func(typ uint16, body []byte) {
		switch typ {
		case 0: // server_name
			list, _, ok := vec(body, 2)
			for ok && len(list) >= 3 {
				nt := list[0]
				var name []byte
				if name, list, ok = vec(list[1:], 2); ok && nt == 0 && f.SNI == "" {
					f.SNI = string(name)
				}
			}
		case 16: // ALPN
			list, _, ok := vec(body, 2)
			for ok && len(list) > 0 {
				var p []byte
				if p, list, ok = vec(list, 1); ok && len(f.ALPNOffered) < c.lim.MaxALPN {
					f.ALPNOffered = append(f.ALPNOffered, string(p))
				}
			}
		case 43: // supported_versions
			list, _, ok := vec(body, 1)
			for ok && len(list) >= 2 {
				v := Version(binary.BigEndian.Uint16(list))
				if v&0x0f0f == 0x0a0a { // GREASE
					list = list[2:]
					continue
				}
				if v > f.OfferedVersion && v <= VersionTLS13 {
					f.OfferedVersion = v
				}
				list = list[2:]
			}
		case 35: // session_ticket
			c.ticketSent = len(body) > 0
		case 41: // pre_shared_key
			f.PSKOffered = true
		case 42: // early_data
			f.EarlyData = true
		}
	})
}

func (c *Conn) serverHello(r *Record, m []byte) bool {
	f := &c.facts
	if len(m) < 2+32 {
		return false
	}
	ver := Version(binary.BigEndian.Uint16(m))
	var random [32]byte
	copy(random[:], m[2:34])
	sid, rest, ok := vec(m[34:], 1)
	if !ok || len(rest) < 3 {
		return false
	}
	suite := Suite(binary.BigEndian.Uint16(rest))
	rest = rest[3:] // suite, compression method
	hrr := random == hrrRandom
	var alpn string
	ems, etm, psk := false, false, false
	if !eachExtension(rest, func(typ uint16, body []byte) {
		switch typ {
		case 43:
			if len(body) == 2 {
				ver = Version(binary.BigEndian.Uint16(body))
			}
		case 16:
			if list, _, ok := vec(body, 2); ok {
				if p, _, ok := vec(list, 1); ok {
					alpn = string(p)
				}
			}
		case 23:
			ems = true
		case 22:
			etm = true
		case 41:
			psk = true
		}
	}) {
		return false
	}
	if hrr {
		f.HelloRetry = true
		return true
	}
	if f.ServerHelloTS == 0 {
		f.ServerHelloTS = c.msgTS
	}
	c.serverRandom = random
	f.Version, f.Suite = ver, suite
	if alpn != "" {
		f.ALPN = alpn
	}
	f.ExtendedMaster = ems
	info, known := suites[suite]
	f.EncryptThenMAC = etm && known && info.kind == kindCBC
	switch {
	case ver == VersionTLS13 && psk:
		f.Resumed = ResumePSK
	case ver < VersionTLS13 && len(sid) > 0 && bytes.Equal(sid, c.sessionID):
		if c.ticketSent {
			f.Resumed = ResumeTicket
		} else {
			f.Resumed = ResumeSessionID
		}
	}
	c.setKeys(info, known)
	return true
}

// setKeys prepares both directions' decryption after the ServerHello.
func (c *Conn) setKeys(info suiteInfo, known bool) {
	f := &c.facts
	cl, sv := &c.half[C2S], &c.half[S2C]
	if f.Version == VersionTLS13 {
		cl.encrypt, sv.encrypt = true, true
	}
	if c.keys == nil {
		return
	}
	s := c.keys.Lookup(c.clientRandom)
	if s == nil {
		c.noKeys()
		return
	}
	f.KeysFound = true
	c.secrets = s
	if !known || info.tls13 != (f.Version == VersionTLS13) || f.Version < VersionTLS12 {
		c.anomaly(AnomUnsupportedCipher)
		return
	}
	if f.Version == VersionTLS13 {
		if s.ServerHandshake != nil {
			sv.cur = newState13(info, s.ServerHandshake)
		}
		if s.ClientHandshake != nil {
			cl.cur = newState13(info, s.ClientHandshake)
		}
		if s.ServerTraffic != nil {
			sv.next = newState13(info, s.ServerTraffic)
		}
		if s.ClientTraffic != nil {
			cl.next = newState13(info, s.ClientTraffic)
		}
		cl.keyed = cl.cur != nil && cl.next != nil
		sv.keyed = sv.cur != nil && sv.next != nil
		if !cl.keyed || !sv.keyed {
			c.noKeys()
		}
		return
	}
	if s.Master == nil {
		c.noKeys()
		return
	}
	cl.pending, sv.pending = newStates12(info, s.Master, c.clientRandom[:], c.serverRandom[:], f.EncryptThenMAC)
}

func (c *Conn) encryptedExtensions(m []byte) {
	exts, _, ok := vec(m, 2)
	for ok && len(exts) >= 4 {
		typ := binary.BigEndian.Uint16(exts)
		var body []byte
		if body, exts, ok = vec(exts[2:], 2); !ok {
			return
		}
		if typ == 16 {
			if list, _, ok := vec(body, 2); ok {
				if p, _, ok := vec(list, 1); ok {
					c.facts.ALPN = string(p)
				}
			}
		}
	}
}

// certificate reads the first certificate of the server's chain.
func (c *Conn) certificate(m []byte) {
	f := &c.facts
	if f.CertSeen {
		return
	}
	if f.Version == VersionTLS13 {
		var ok bool
		if _, m, ok = vec(m, 1); !ok { // certificate_request_context
			return
		}
	}
	list, _, ok := vec(m, 3)
	if !ok {
		c.anomaly(AnomBadHandshake)
		return
	}
	der, _, ok := vec(list, 3)
	if !ok {
		c.anomaly(AnomBadHandshake)
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return
	}
	f.CertSeen = true
	f.CertSubject = cert.Subject.String()
	f.CertIssuer = cert.Issuer.String()
	f.CertNotBefore = cert.NotBefore.Unix()
	f.CertNotAfter = cert.NotAfter.Unix()
}

// sslv2Hello reads an SSLv2-compatible ClientHello (RFC 5246 §E.2).
func (c *Conn) sslv2Hello(b []byte, r *Record) {
	f := &c.facts
	f.SSLv2Hello = true
	if f.HelloTS == 0 {
		f.HelloTS, f.HelloFrame = r.FirstTS, r.FirstFrame
	}
	if len(b) < 9 || b[0] != 1 {
		c.anomaly(AnomBadHandshake)
		return
	}
	f.OfferedVersion = Version(binary.BigEndian.Uint16(b[1:3]))
	specs := int(binary.BigEndian.Uint16(b[3:5]))
	sid := int(binary.BigEndian.Uint16(b[5:7]))
	chal := int(binary.BigEndian.Uint16(b[7:9]))
	if chal > 32 || 9+specs+sid+chal > len(b) {
		c.anomaly(AnomBadHandshake)
		return
	}
	ch := b[9+specs+sid : 9+specs+sid+chal]
	copy(c.clientRandom[32-chal:], ch)
	f.ClientRandom = c.clientRandom
	c.sessionID = c.sessionID[:0]
}

func (c *Conn) alert(h *half, r *Record, b []byte) {
	f := &c.facts
	for len(b) >= 2 {
		if b[0] == 2 {
			c.anomaly(AnomFatalAlert)
		}
		if len(f.Alerts) < c.lim.MaxAlerts {
			f.Alerts = append(f.Alerts, Alert{Dir: h.dir, Level: b[0], Description: b[1], Frame: r.Frame, TS: r.TS})
		}
		b = b[2:]
	}
}
