package tlsrec

import (
	"encoding/binary"
)

// Limits bound every buffer of a Conn. The zero value of a field means its default.
type Limits struct {
	// MaxRecord is the longest record fragment accepted (default 16384+2048, the TLS 1.2
	// ciphertext limit of RFC 5246 §6.2.3, which also covers TLS 1.3's 16384+256). A
	// longer length is tls_record_too_long and the direction is resynchronised.
	MaxRecord int
	// MaxHandshake is the longest handshake message reassembled (default 64 KiB: a
	// certificate chain); a longer one is skipped (tls_handshake_too_long).
	MaxHandshake int
	// MaxALPN is the number of ALPN names kept from the ClientHello (default 8).
	MaxALPN int
	// MaxAlerts is the number of alerts kept per connection (default 8).
	MaxAlerts int
	// MaxResyncTries bounds the sequence numbers tried after records were lost in a
	// gap, beyond the fewest that can have been lost (default 64).
	MaxResyncTries int
}

func (l Limits) withDefaults() Limits {
	if l.MaxRecord <= 0 {
		l.MaxRecord = 16384 + 2048
	}
	if l.MaxHandshake <= 0 {
		l.MaxHandshake = 64 << 10
	}
	if l.MaxALPN <= 0 {
		l.MaxALPN = 8
	}
	if l.MaxAlerts <= 0 {
		l.MaxAlerts = 8
	}
	if l.MaxResyncTries <= 0 {
		l.MaxResyncTries = 64
	}
	return l
}

// Record describes one TLS record. It is passed to Handler methods and valid only for
// the call.
type Record struct {
	Dir     Dir
	Type    ContentType // as on the wire (application_data for every TLS 1.3 encrypted record)
	Inner   ContentType // the real content type: TLS 1.3's inner type once decrypted, else Type
	Version Version     // record-layer version field
	// Off is the stream offset of the record header; the record spans HeaderLen+Len
	// bytes from there.
	Off       uint64
	HeaderLen int // 5 (2 for an SSLv2-compatible hello)
	Len       int // fragment length
	// FirstFrame and Frame are the frames that carried the record's first and last
	// bytes; FirstTS and TS their timestamps.
	FirstFrame, Frame uint64
	FirstTS, TS       int64
	Encrypted         bool // protected by a cipher
	Decrypted         bool // and the key log opened it
	Failed            bool // decryption was tried and the record failed authentication
	Lost              bool // bytes of the record were lost in a gap (or the stream ended)
	// PlainOff and PlainLen place the application data the record carried (decrypted,
	// or lost) in the direction's plaintext stream; PlainLen is 0 for other records.
	PlainOff uint64
	PlainLen int
	// Handshake lists the first handshake messages that started in this record.
	Handshake  [4]HandshakeType
	NHandshake int
}

// Handler receives what a Conn finds. Calls happen inside Feed, Gap and Close.
type Handler interface {
	// TLSRecord is called for every record, after the record is complete and before
	// TLSPlaintext for its data.
	TLSRecord(r *Record)
	// TLSPlaintext delivers application data decrypted from r; data is borrowed for
	// the call. Only called for directions the key log decrypts.
	TLSPlaintext(dir Dir, data []byte, r *Record)
	// TLSPlainGap reports n plaintext bytes that cannot be delivered (a record failed
	// authentication, or was lost in a TCP gap); n is exact for AEAD suites and at most
	// 255 bytes over for CBC (padding). r is the record, or nil when whole records were
	// lost.
	TLSPlainGap(dir Dir, n uint64, r *Record)
}

type phase uint8

const (
	phaseHeader phase = iota // reading a record header
	phaseBody                // reading a record body
	phaseResync              // after a gap: looking for the next record header
	phaseDead                // the direction is not TLS any more; bytes are counted only
)

// half is one direction's record-layer state.
type half struct {
	dir   Dir
	phase phase
	off   uint64 // stream offset of the next byte
	hdr   [5]byte
	nhdr  int
	need  int    // body bytes still missing
	body  []byte // body bytes collected across Feed calls (nil when read in place)
	rec   Record // the record being read
	lost  bool   // bytes of rec were lost

	hs      []byte // partial handshake message(s)
	hsSkip  int    // bytes of an oversized handshake message still to skip
	hsTS    int64  // time and frame of the record where the partial message in hs started
	hsFrame uint64

	cur      *cipherState // decrypts this direction's records (nil: plaintext or no key)
	pending  *cipherState // TLS 1.2: activated by ChangeCipherSpec
	next     *cipherState // TLS 1.3: the traffic keys after Finished
	switchTo bool         // switch cur to next after this record
	encrypt  bool         // records of this direction are encrypted from now on
	keyed    bool         // this direction's keys are known (plaintext is delivered)

	plainOff uint64 // application plaintext delivered or lost so far

	// resync state
	lostBytes uint64 // stream bytes lost since the last whole record
	win       []byte // the last bytes scanned while resynchronising (at most 4)
	sslv2     bool   // the first record may be an SSLv2-compatible hello (client)
}

// Conn is the TLS state of one TCP connection: both directions' record layers, the
// handshake, the facts and the decryption keys. Not safe for concurrent use.
type Conn struct {
	h     Handler
	keys  *KeyLog
	lim   Limits
	half  [2]half
	facts Facts

	clientRandom [32]byte
	serverRandom [32]byte
	sessionID    []byte
	ticketSent   bool // ClientHello carried a non-empty session_ticket extension
	secrets      *Secrets

	flights    int // client flights so far
	lastDir    Dir
	anyRec     bool
	sawFinC    bool // TLS 1.3 client's Finished seen (decrypted) or guessed (no keys)
	enc13C     int  // TLS 1.3 encrypted client records after ServerHello (no keys)
	serverFin  bool // TLS 1.3 server's Finished seen (decrypted)
	finFlights int  // client flights when the TLS 1.3 client sent its Finished

	msgTS    int64 // time and frame of the record where the message being handled started
	msgFrame uint64

	// out receives decrypted records: the Conn's own buffer, or one shared by every
	// Conn of a goroutine (ShareOutput), since plaintext is only lent to the handler.
	out *[]byte
	own []byte
}

// ShareOutput makes c decrypt into *buf, which other Conns used on the same goroutine
// may share (a pipeline with many connections keeps one such buffer instead of one per
// connection). The plaintext passed to TLSPlaintext lives there until the next record
// of any Conn sharing it.
func (c *Conn) ShareOutput(buf *[]byte) { c.out = buf }

// output returns the decryption buffer with room for n bytes.
func (c *Conn) output(n int) []byte {
	if c.out == nil {
		c.out = &c.own
	}
	if cap(*c.out) < n {
		*c.out = make([]byte, 0, max(n, c.lim.MaxRecord))
	}
	return *c.out
}

// NewConn returns a Conn that reports to h and decrypts with keys (nil: no decryption).
func NewConn(h Handler, keys *KeyLog, lim Limits) *Conn {
	c := &Conn{h: h, keys: keys, lim: lim.withDefaults()}
	c.Reset()
	return c
}

// SetHandler replaces the handler (for reuse from a pool).
func (c *Conn) SetHandler(h Handler) { c.h = h }

// Reset makes c ready for a new connection, keeping its buffers.
func (c *Conn) Reset() {
	for d := range c.half {
		h := &c.half[d]
		body, hs, win := h.body[:0], h.hs[:0], h.win[:0]
		*h = half{dir: Dir(d), body: body, hs: hs, win: win}
	}
	c.half[C2S].sslv2 = true
	alpn := c.facts.ALPNOffered[:0]
	alerts := c.facts.Alerts[:0]
	c.facts = Facts{ALPNOffered: alpn, Alerts: alerts}
	c.clientRandom, c.serverRandom = [32]byte{}, [32]byte{}
	c.sessionID = c.sessionID[:0]
	c.ticketSent, c.secrets = false, nil
	c.flights, c.lastDir, c.anyRec, c.sawFinC, c.enc13C, c.serverFin, c.finFlights = 0, 0, false, false, 0, false, 0
}

// Facts returns what is known of the connection so far. The pointer stays valid until
// Reset; its slices are reused after Reset.
func (c *Conn) Facts() *Facts { return &c.facts }

// Decrypting reports whether dir's application data is being decrypted (the key log
// had this session's keys for it).
func (c *Conn) Decrypting(dir Dir) bool { return c.half[dir].keyed }

func (c *Conn) anomaly(a Anomaly) {
	c.facts.Anomalies |= 1 << a
	if c.facts.AnomalyCount[a] < ^uint32(0) {
		c.facts.AnomalyCount[a]++
	}
}

// Feed pushes in-order bytes of dir that start at stream offset off; data is borrowed
// for the call. A jump in off is taken as a gap of the missing bytes.
func (c *Conn) Feed(dir Dir, off uint64, data []byte, frame uint64, ts int64) {
	h := &c.half[dir&1]
	if off > h.off {
		c.Gap(dir, h.off, off-h.off, ts)
	} else if off < h.off {
		// already seen: skip the overlap
		if off+uint64(len(data)) <= h.off {
			return
		}
		data = data[h.off-off:]
	}
	for len(data) > 0 {
		switch h.phase {
		case phaseDead:
			h.off += uint64(len(data))
			return
		case phaseResync:
			n := c.resync(h, data, frame, ts)
			h.off += uint64(n)
			h.lostBytes += uint64(n)
			data = data[n:]
		case phaseHeader:
			n := c.header(h, data, frame, ts)
			h.off += uint64(n)
			data = data[n:]
		case phaseBody:
			n := h.need
			if n > len(data) {
				n = len(data)
			}
			if len(h.body) == 0 && n == h.need {
				// the whole body is in data: no copy
				h.need = 0
				h.off += uint64(n)
				h.rec.Frame, h.rec.TS = frame, ts
				c.record(h, data[:n])
				data = data[n:]
				continue
			}
			h.body = append(h.body, data[:n]...)
			h.need -= n
			h.off += uint64(n)
			data = data[n:]
			if h.need == 0 {
				h.rec.Frame, h.rec.TS = frame, ts
				b := h.body
				c.record(h, b)
				h.body = b[:0]
			}
		}
	}
}

// header reads header bytes and returns how many of data it used.
func (c *Conn) header(h *half, data []byte, frame uint64, ts int64) int {
	used := 0
	if h.nhdr == 0 {
		h.rec = Record{Dir: h.dir, Off: h.off, FirstFrame: frame, FirstTS: ts, HeaderLen: 5}
		h.lost = false
	}
	for h.nhdr < 5 && used < len(data) {
		h.hdr[h.nhdr] = data[used]
		h.nhdr++
		used++
		if h.nhdr == 2 && h.sslv2 && h.hdr[0]&0x80 != 0 {
			// SSLv2-compatible ClientHello: a 2-byte header, then msg_type 1
			h.nhdr = 0
			h.sslv2 = false
			n := int(h.hdr[0]&0x7f)<<8 | int(h.hdr[1])
			if n > c.lim.MaxRecord {
				c.anomaly(AnomRecordTooLong)
				c.startResync(h, 2)
				return used
			}
			h.rec.Type, h.rec.Inner, h.rec.HeaderLen, h.rec.Len = TypeSSLv2Hello, TypeSSLv2Hello, 2, n
			h.need = n
			h.phase = phaseBody
			if n == 0 {
				h.rec.Frame, h.rec.TS = frame, ts
				c.record(h, nil)
			}
			return used
		}
	}
	if h.nhdr < 5 {
		return used
	}
	h.nhdr = 0
	h.sslv2 = false
	typ := ContentType(h.hdr[0])
	ver := Version(binary.BigEndian.Uint16(h.hdr[1:3]))
	n := int(binary.BigEndian.Uint16(h.hdr[3:5]))
	if !plausibleHeader(h.hdr[:]) {
		c.anomaly(AnomBadRecord)
		c.startResync(h, 5)
		return used
	}
	if n > c.lim.MaxRecord {
		c.anomaly(AnomRecordTooLong)
		c.startResync(h, 5)
		return used
	}
	h.rec.Type, h.rec.Inner, h.rec.Version, h.rec.Len = typ, typ, ver, n
	h.need = n
	h.phase = phaseBody
	if n == 0 {
		h.rec.Frame, h.rec.TS = frame, ts
		c.record(h, nil)
	}
	return used
}

// plausibleHeader reports whether b starts like a TLS record header.
func plausibleHeader(b []byte) bool {
	return b[0] >= byte(TypeChangeCipherSpec) && b[0] <= byte(TypeHeartbeat) && b[1] == 3 && b[2] <= 4
}

// Sniff reports whether the first bytes of a stream are TLS: a record header of a
// handshake, alert, or application data record (a capture that starts mid-connection),
// or an SSLv2-compatible ClientHello. more is true when b is too short to decide.
func Sniff(b []byte) (tls, more bool) {
	if len(b) < 5 {
		if len(b) == 0 {
			return false, true
		}
		if b[0]&0x80 != 0 {
			return false, true
		}
		if b[0] < byte(TypeChangeCipherSpec) || b[0] > byte(TypeApplicationData) {
			return false, false
		}
		if len(b) >= 2 && b[1] != 3 {
			return false, false
		}
		return false, true
	}
	if b[0]&0x80 != 0 {
		// SSLv2 record: 2-byte length, msg_type 1 (client_hello), version 0x0002 or 3.x
		return b[2] == 1 && (b[3] == 3 || (b[3] == 0 && b[4] == 2)), false
	}
	if b[0] < byte(TypeChangeCipherSpec) || b[0] > byte(TypeApplicationData) || b[1] != 3 || b[2] > 4 {
		return false, false
	}
	n := int(b[3])<<8 | int(b[4])
	return n > 0 && n <= 16384+2048, false
}

// startResync enters resynchronisation after lost bytes: lost is the stream bytes lost
// (already counted in off by the caller).
func (c *Conn) startResync(h *half, lost uint64) {
	h.phase = phaseResync
	h.nhdr = 0
	h.need = 0
	h.body = h.body[:0]
	h.win = h.win[:0]
	h.lostBytes += lost
	// a handshake message cut by the loss cannot be finished
	h.hs = h.hs[:0]
	h.hsSkip = 0
}

// resync scans for the next plausible record header and returns the bytes of data
// before it (lost). The last 4 bytes of earlier calls are kept in h.win, so a header
// split across Feed calls is found too. When found, the direction reads records again.
func (c *Conn) resync(h *half, data []byte, frame uint64, ts int64) int {
	nw := len(h.win)
	at := func(i int) byte { // i indexes win followed by data
		if i < nw {
			return h.win[i]
		}
		return data[i-nw]
	}
	total := nw + len(data)
	var b [5]byte
	for i := 0; i+5 <= total; i++ {
		for k := range b {
			b[k] = at(i + k)
		}
		if !c.candidate(h, b[:]) {
			continue
		}
		c.anomaly(AnomResync)
		h.phase = phaseHeader
		if i < nw {
			// the header starts in the kept bytes: they are not lost after all
			k := nw - i
			h.rec = Record{Dir: h.dir, Off: h.off - uint64(k), FirstFrame: frame, FirstTS: ts, HeaderLen: 5}
			h.lost = false
			copy(h.hdr[:], h.win[i:])
			h.nhdr = k
			h.lostBytes -= uint64(k)
			h.win = h.win[:0]
			return 0
		}
		h.win = h.win[:0]
		return i - nw
	}
	// keep the last 4 bytes for the next call
	keep := min(4, total)
	var tmp [4]byte
	for k := 0; k < keep; k++ {
		tmp[k] = at(total - keep + k)
	}
	h.win = append(h.win[:0], tmp[:keep]...)
	return len(data)
}

// candidate reports whether b (5 bytes) can be the header of the next record.
func (c *Conn) candidate(h *half, b []byte) bool {
	if !plausibleHeader(b) {
		return false
	}
	n := int(b[3])<<8 | int(b[4])
	if n == 0 || n > c.lim.MaxRecord {
		return false
	}
	t := ContentType(b[0])
	if h.encrypt && t != TypeApplicationData && t != TypeAlert && t != TypeHandshake {
		return false
	}
	if c.facts.Version != 0 && Version(binary.BigEndian.Uint16(b[1:3])) != c.recordVersion() {
		return false
	}
	return true
}

// recordVersion is the version field expected on records after the ServerHello.
func (c *Conn) recordVersion() Version {
	if c.facts.Version >= VersionTLS12 {
		return VersionTLS12
	}
	return c.facts.Version
}

// Gap tells c that n bytes of dir starting at off are missing from the capture.
func (c *Conn) Gap(dir Dir, off, n uint64, ts int64) {
	h := &c.half[dir&1]
	if n == 0 || h.phase == phaseDead {
		h.off = max(h.off, off+n)
		return
	}
	if off+n <= h.off {
		return
	}
	if off < h.off {
		n -= h.off - off
	}
	c.anomaly(AnomRecordLost)
	switch h.phase {
	case phaseBody:
		if n < uint64(h.need) {
			// the gap is inside this record: its length still frames the stream
			h.lost = true
			h.need -= int(n)
			h.off += n
			// keep the body length right with zeros (the record cannot be opened)
			var zero [256]byte
			for k := n; k > 0; {
				m := min(k, uint64(len(zero)))
				h.body = append(h.body, zero[:m]...)
				k -= m
			}
			return
		}
		// the record ends inside the gap
		rest := n - uint64(h.need)
		h.off += n
		h.lost = true
		h.rec.TS = ts
		c.lostRecord(h)
		c.startResync(h, rest)
	default:
		h.off += n
		c.startResync(h, n)
	}
}

// lostRecord reports the record being read as lost: it cannot be opened, and its
// sequence number is used.
func (c *Conn) lostRecord(h *half) {
	h.need = 0
	h.body = h.body[:0]
	h.phase = phaseHeader
	h.rec.Lost = true
	h.rec.Encrypted = h.encrypt && h.rec.Type != TypeChangeCipherSpec
	if h.rec.Encrypted && h.cur != nil {
		h.cur.seq++
	}
	c.emitLost(h, &h.rec)
}

// emitLost reports a lost or failed record, and the plaintext it carried as a gap.
func (c *Conn) emitLost(h *half, r *Record) {
	app := r.Type == TypeApplicationData && (c.facts.Version < VersionTLS13 || c.appPhase(h))
	if app && h.keyed {
		est := r.Len
		if h.cur != nil {
			est -= h.cur.overhead()
		}
		if est < 0 {
			est = 0
		}
		r.PlainOff, r.PlainLen = h.plainOff, est
	}
	c.h.TLSRecord(r)
	if app && h.keyed && r.PlainLen > 0 {
		h.plainOff += uint64(r.PlainLen)
		c.h.TLSPlainGap(h.dir, uint64(r.PlainLen), r)
	}
}

// appPhase reports whether dir's TLS 1.3 records carry application data now.
func (c *Conn) appPhase(h *half) bool {
	if h.dir == C2S {
		return c.sawFinC
	}
	return c.serverFin
}

// Close tells c that dir ended (FIN, or the end of the capture). A record still being
// read is reported as lost.
func (c *Conn) Close(dir Dir, ts int64) {
	h := &c.half[dir&1]
	if h.phase == phaseBody {
		h.rec.TS = ts
		h.rec.Frame = h.rec.FirstFrame
		c.lostRecord(h)
	}
	h.phase = phaseDead
}

// record handles one complete record whose fragment is body (borrowed).
func (c *Conn) record(h *half, body []byte) {
	h.phase = phaseHeader
	r := &h.rec
	if h.lost {
		c.lostRecord(h)
		return
	}
	c.flight(h.dir)
	if r.Type == TypeSSLv2Hello {
		c.sslv2Hello(body, r)
		c.h.TLSRecord(r)
		return
	}
	// resynchronised after lost records: find the sequence number
	if h.lostBytes > 0 {
		c.afterLoss(h, r, body)
		return
	}
	if h.encrypt && r.Type != TypeChangeCipherSpec {
		r.Encrypted = true
		c.encrypted(h, r, body)
		return
	}
	c.plainRecord(h, r, body)
}

// flight counts client flights: a client record after a server record starts one.
func (c *Conn) flight(d Dir) {
	if d == C2S && (!c.anyRec || c.lastDir == S2C) {
		c.flights++
	}
	c.anyRec = true
	c.lastDir = d
}

func (c *Conn) plainRecord(h *half, r *Record, body []byte) {
	switch r.Type {
	case TypeChangeCipherSpec:
		c.h.TLSRecord(r)
		if c.facts.Version == VersionTLS13 || c.facts.Version == 0 {
			// TLS 1.3's middlebox compatibility CCS (RFC 8446 §D.4), also the one a
			// client sends after a HelloRetryRequest, before any ServerHello: no keys
			return
		}
		h.encrypt = true
		h.cur = h.pending
		h.pending = nil
		if h.cur != nil {
			h.cur.seq = 0
			h.keyed = true
		} else if c.facts.Version != 0 {
			c.noKeys()
		}
		return
	case TypeHandshake:
		c.handshakeData(h, r, body)
		c.h.TLSRecord(r)
	case TypeAlert:
		c.alert(h, r, body)
		c.h.TLSRecord(r)
	case TypeApplicationData:
		// application data in clear: a TLS 1.3 record before the keys are known
		// (no ServerHello seen), or data of a midstream capture
		if c.facts.Version == VersionTLS13 || c.facts.Version == 0 {
			r.Encrypted = true
			if h.dir == C2S {
				c.firstApp(r)
			}
		}
		c.h.TLSRecord(r)
	default:
		c.h.TLSRecord(r)
	}
}

func (c *Conn) noKeys() {
	if c.keys != nil && !c.facts.Anomalies.Has(AnomUndecryptable) && !c.facts.Anomalies.Has(AnomUnsupportedCipher) {
		c.anomaly(AnomUndecryptable)
	}
}

// encrypted handles a protected record.
func (c *Conn) encrypted(h *half, r *Record, body []byte) {
	if h.cur == nil {
		// no key: the record is shown, its content is not
		if r.Type == TypeApplicationData && h.dir == C2S {
			if c.facts.Version == VersionTLS13 {
				// the client's first encrypted record is its Finished; the next one is
				// taken as its first application data
				c.enc13C++
				if c.enc13C == 1 {
					c.sawFinC = true
					c.finFlights = c.flights
				} else {
					c.firstApp(r)
				}
			} else {
				c.firstApp(r)
			}
		}
		c.h.TLSRecord(r)
		return
	}
	plain, inner, ok := h.cur.open(c.output(len(body)), &h.hdr, body)
	if !ok && h.dir == C2S && c.facts.EarlyData && !c.sawFinC && c.facts.Version == VersionTLS13 {
		// 0-RTT early data (under the early traffic secret, not decrypted) that the
		// capture shows after the ServerHello: not an error
		h.cur.seq--
		c.h.TLSRecord(r)
		return
	}
	if !ok {
		r.Failed = true
		c.anomaly(AnomDecryptFailed)
		c.emitLost(h, r)
		return
	}
	r.Decrypted = true
	r.Inner = inner
	c.facts.DecryptedRecords++
	switch inner {
	case TypeHandshake:
		c.handshakeData(h, r, plain)
		c.h.TLSRecord(r)
	case TypeAlert:
		c.alert(h, r, plain)
		c.h.TLSRecord(r)
	case TypeApplicationData:
		if h.dir == C2S {
			c.firstApp(r)
		}
		r.PlainOff, r.PlainLen = h.plainOff, len(plain)
		c.h.TLSRecord(r)
		h.plainOff += uint64(len(plain))
		if len(plain) > 0 {
			c.h.TLSPlaintext(h.dir, plain, r)
		}
	default:
		c.h.TLSRecord(r)
	}
	if h.switchTo {
		h.switchTo = false
		h.cur, h.next = h.next, nil
		if h.cur == nil {
			h.keyed = false
			c.noKeys()
		}
	}
}

// afterLoss opens the first record after a gap that swallowed records: the sequence
// numbers of the lost records are unknown, so the ones that fit are tried.
func (c *Conn) afterLoss(h *half, r *Record, body []byte) {
	lost := h.lostBytes
	h.lostBytes = 0
	if !h.encrypt || h.cur == nil || r.Type == TypeChangeCipherSpec {
		if h.encrypt && r.Type != TypeChangeCipherSpec {
			r.Encrypted = true
			c.encrypted(h, r, body)
			return
		}
		c.plainRecord(h, r, body)
		return
	}
	r.Encrypted = true
	// at least this many records fitted in the lost bytes (full-size records)
	minRecs := lost / uint64(5+c.lim.MaxRecord)
	base := h.cur.seq
	for k := uint64(0); k <= uint64(c.lim.MaxResyncTries); k++ {
		h.cur.seq = base + minRecs + k
		plain, inner, ok := h.cur.open(c.output(len(body)), &h.hdr, body)
		if !ok {
			continue
		}
		skipped := minRecs + k
		if skipped > 0 && h.keyed {
			// the plaintext of the records lost whole: the lost bytes less their overhead
			over := skipped * uint64(5+h.cur.overhead())
			if lost > over {
				g := lost - over
				h.plainOff += g
				c.h.TLSPlainGap(h.dir, g, nil)
			}
		}
		// open it again on the normal path, with the sequence number found
		h.cur.seq--
		_, _ = plain, inner
		c.encrypted(h, r, body)
		return
	}
	h.cur.seq = base
	r.Failed = true
	c.anomaly(AnomDecryptFailed)
	if h.keyed && lost > 0 {
		h.plainOff += lost
		c.h.TLSPlainGap(h.dir, lost, nil)
	}
	c.emitLost(h, r)
}

// firstApp notes the client's first application data record.
func (c *Conn) firstApp(r *Record) {
	f := &c.facts
	if f.FirstAppTS != 0 || f.HelloTS == 0 {
		return
	}
	f.FirstAppTS, f.FirstAppFrame = r.FirstTS, r.FirstFrame
	f.RoundTrips = c.flights - 1
	if f.Version == VersionTLS13 && c.finFlights > 0 {
		// nothing after its Finished holds a TLS 1.3 client back (a NewSessionTicket
		// between the two is not waited for)
		f.RoundTrips = c.finFlights - 1
	}
}
