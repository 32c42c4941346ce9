// Package jsonl renders report records as JSON Lines: one JSON object per line, with the
// field names of the contract in DESIGN.md. It encodes by appending to a reused buffer,
// without reflection and without allocating; a segment record (the one written per
// packet) takes about 120 ns: field names are constants, integers are formatted eight
// digits at a time (enc.go), and records are appended straight into the output buffer.
//
// It computes nothing: every value comes from the record as it is.
package jsonl

import (
	"io"

	"github.com/segscope/segscope/report"
)

// Sink writes JSON Lines to a writer. It buffers; Close flushes.
type Sink struct {
	// FlushEach writes every record out as soon as it is complete (live capture: a
	// record shows when its packet arrives), instead of 256 KiB at a time.
	FlushEach bool

	w   io.Writer
	buf []byte // records not yet written; each record is appended to it in place
	err error  // the first write error; every later call returns it
	enc Encoder
}

// Encoder renders records as JSON Lines into byte slices, apart from a Sink: several
// goroutines may render at once, each with an Encoder of its own (the zero value is
// ready to use). A record's rendering depends on that record alone; an Encoder keeps only
// a cache of the last second's formatted date. It implements report.Encoder.
type Encoder struct {
	tc timeCache
}

// flushAt is how many buffered bytes make the Sink write. The buffer has room for a few
// typical records more, so that they are encoded in place without growing it.
const flushAt = 256 << 10

// New returns a Sink writing to w.
func New(w io.Writer) *Sink {
	return &Sink{w: w, buf: make([]byte, 0, flushAt+16<<10)}
}

// NewEncoder returns an Encoder of its own (report.EncodingSink).
func (s *Sink) NewEncoder() report.Encoder { return new(Encoder) }

// WriteRendered writes records rendered by Encoders (report.EncodingSink), after those
// already buffered. A write error is kept as for records passed one by one.
func (s *Sink) WriteRendered(p []byte) error {
	if len(s.buf)+len(p) < flushAt {
		s.buf = append(s.buf, p...)
		return s.err
	}
	if s.flush() != nil || len(p) == 0 {
		return s.err
	}
	n, err := s.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	s.err = err
	return err
}

// AppendSegment appends a "segment" record without its connection ID, which belongs at
// connAt (report.Encoder).
func (e *Encoder) AppendSegment(dst []byte, r *report.Segment) (b []byte, connAt int) {
	b, connAt = e.appendSegment(dst, r, false)
	return append(b, '}', '\n'), connAt
}

// AppendConn appends a "conn" record without its connection ID, which belongs at connAt
// (report.Encoder).
func (e *Encoder) AppendConn(dst []byte, r *report.Conn) (b []byte, connAt int) {
	b, connAt = e.appendConn(dst, r, false)
	return append(b, '}', '\n'), connAt
}

// AppendHTTP appends an "http" record without its connection ID, which belongs at
// connAt (report.Encoder).
func (e *Encoder) AppendHTTP(dst []byte, r *report.HTTP) (b []byte, connAt int) {
	b, connAt = e.appendHTTP(dst, r, false)
	return append(b, '}', '\n'), connAt
}

// AppendConnID appends a connection ID as the records' "conn" value (report.Encoder).
func (e *Encoder) AppendConnID(dst []byte, id uint64) []byte { return appendU64(dst, id) }

// emit ends the record that b (s.buf with the record appended) holds, and writes the
// buffer out once it holds flushAt bytes.
func (s *Sink) emit(b []byte) error {
	s.buf = append(b, '}', '\n')
	if len(s.buf) >= flushAt || s.FlushEach {
		return s.flush()
	}
	return s.err
}

// flush writes the buffered records out.
func (s *Sink) flush() error {
	if s.err == nil && len(s.buf) > 0 {
		n, err := s.w.Write(s.buf)
		if err == nil && n < len(s.buf) {
			err = io.ErrShortWrite
		}
		s.err = err
	}
	s.buf = s.buf[:0]
	return s.err
}

// Segment writes a "segment" record.
func (s *Sink) Segment(r *report.Segment) error {
	b, _ := s.enc.appendSegment(s.buf, r, true)
	return s.emit(b)
}

// appendSegment appends the record without its closing brace and newline, and with its
// connection ID only if withID; connAt is where the ID is. Field names are written with
// their separators as constants; only the values are formatted.
func (e *Encoder) appendSegment(b []byte, r *report.Segment, withID bool) (_ []byte, connAt int) {
	b = append(b, `{"type":"segment","frame":`...)
	b = appendU64(b, r.Frame)
	b = append(b, `,"ts":`...)
	b = e.tc.appendTS(b, r.TS)
	b = append(b, `,"rel":`...)
	b = AppendSeconds(b, r.Rel)
	b = append(b, `,"conn":`...)
	connAt = len(b)
	if withID {
		b = appendU64(b, r.Conn)
	}
	b = append(b, `,"dir":`...)
	b = appendString(b, r.Dir)
	b = append(b, `,"src":`...)
	b = appendString(b, r.Src)
	b = append(b, `,"dst":`...)
	b = appendString(b, r.Dst)
	b = append(b, `,"flags":`...)
	b = r.Flags.AppendJSON(b)
	b = append(b, `,"seq":`...)
	b = appendU64(b, uint64(r.Seq))
	b = append(b, `,"ack":`...)
	b = appendU64(b, uint64(r.Ack))
	b = append(b, `,"seq_raw":`...)
	b = appendU64(b, uint64(r.SeqRaw))
	b = append(b, `,"ack_raw":`...)
	b = appendU64(b, uint64(r.AckRaw))
	b = append(b, `,"len":`...)
	b = appendI64(b, int64(r.Len))
	b = append(b, `,"win":`...)
	b = appendU64(b, uint64(r.Win))
	b = append(b, `,"win_scaled":`...)
	b = appendU64(b, uint64(r.WinScaled))
	ip := &r.IP
	if ip.Version == 4 {
		b = append(b, `,"ip":{"version":4,"id":`...)
	} else {
		b = append(b, `,"ip":{"version":`...)
		b = appendU64(b, uint64(ip.Version))
		b = append(b, `,"id":`...)
	}
	b = appendU64(b, uint64(ip.ID))
	b = append(b, `,"ttl":`...)
	b = appendU8(b, ip.TTL)
	b = append(b, `,"total_len":`...)
	b = appendI64(b, int64(ip.TotalLen))
	if ip.HdrLen == 20 && ip.DF && !ip.MF && ip.FragOff == 0 {
		// The common case: an IPv4 header without options, not fragmented.
		b = append(b, `,"hdr_len":20,"df":true,"mf":false,"frag_off":0`...)
	} else {
		b = appendIPFrag(b, ip)
	}
	if ip.Fragments > 1 {
		b = append(b, `,"fragments":`...)
		b = appendI64(b, int64(ip.Fragments))
	}
	if ip.ChecksumBad {
		b = append(b, `,"checksum_bad":true`...)
	}
	b = append(b, `},"tcp_hdr_len":`...)
	if uint(r.TCPHdrLen) < 256 {
		b = appendU8(b, uint8(r.TCPHdrLen))
	} else {
		b = appendI64(b, int64(r.TCPHdrLen))
	}
	b = append(b, `,"options":`...)
	b = appendOptions(b, &r.Options)
	if r.Class == 0 {
		b = append(b, `,"class":[]`...)
	} else {
		b = append(b, `,"class":`...)
		b = r.Class.AppendJSON(b)
	}
	if r.DupAck > 0 {
		b = append(b, `,"dup_ack":`...)
		b = appendI64(b, int64(r.DupAck))
	}
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, `,"frame_len":`...)
	return appendI64(b, int64(r.FrameLen)), connAt
}

// appendIPFrag appends the IP header length, the fragment flags and offset.
func appendIPFrag(b []byte, ip *report.IP) []byte {
	b = append(b, `,"hdr_len":`...)
	b = appendI64(b, int64(ip.HdrLen))
	switch {
	case ip.DF && ip.MF:
		b = append(b, `,"df":true,"mf":true,"frag_off":`...)
	case ip.DF:
		b = append(b, `,"df":true,"mf":false,"frag_off":`...)
	case ip.MF:
		b = append(b, `,"df":false,"mf":true,"frag_off":`...)
	default:
		b = append(b, `,"df":false,"mf":false,"frag_off":`...)
	}
	return appendU64(b, uint64(ip.FragOff))
}

// appendOptions appends the options object; absent options are left out.
func appendOptions(b []byte, o *report.Options) []byte {
	if o.MSS == 0 && !o.HasWScale && !o.SACKPerm && len(o.SACK) == 0 && !o.TFO &&
		!o.MPTCP && o.Unknown <= 0 && !o.Malformed {
		// Timestamps alone (most segments of a connection that uses them), or nothing.
		if !o.HasTS {
			return append(b, '{', '}')
		}
		b = append(b, `{"ts_val":`...)
		b = appendU64(b, uint64(o.TSVal))
		b = append(b, `,"ts_ecr":`...)
		b = appendU64(b, uint64(o.TSEcr))
		return append(b, '}')
	}
	// Every member is written after a comma; the first one's becomes the opening brace.
	open := len(b)
	if o.MSS != 0 {
		b = append(b, `,"mss":`...)
		b = appendU64(b, uint64(o.MSS))
	}
	if o.HasWScale {
		b = append(b, `,"wscale":`...)
		b = appendI64(b, int64(o.WScale))
	}
	if o.SACKPerm {
		b = append(b, `,"sack_perm":true`...)
	}
	if len(o.SACK) > 0 {
		b = append(b, `,"sack":[`...)
		for i, blk := range o.SACK {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendU64(b, uint64(blk[0]))
			b = append(b, ',')
			b = appendU64(b, uint64(blk[1]))
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if o.HasTS {
		b = append(b, `,"ts_val":`...)
		b = appendU64(b, uint64(o.TSVal))
		b = append(b, `,"ts_ecr":`...)
		b = appendU64(b, uint64(o.TSEcr))
	}
	if o.TFO {
		b = append(b, `,"tfo":true`...)
	}
	if o.MPTCP {
		b = append(b, `,"mptcp":true`...)
	}
	if o.Unknown > 0 {
		b = append(b, `,"unknown":`...)
		b = appendI64(b, int64(o.Unknown))
	}
	if o.Malformed {
		b = append(b, `,"malformed":true`...)
	}
	b[open] = '{'
	return append(b, '}')
}

// Conn writes a "conn" record.
func (s *Sink) Conn(r *report.Conn) error {
	b, _ := s.enc.appendConn(s.buf, r, true)
	return s.emit(b)
}

// appendConn appends the record without its closing brace and newline, and with its
// connection ID only if withID; connAt is where the ID is.
func (e *Encoder) appendConn(b []byte, r *report.Conn, withID bool) (_ []byte, connAt int) {
	b = append(b, '{')
	b = appendStrField(b, "type", "conn")
	b = appendKey(b, "conn")
	connAt = len(b)
	if withID {
		b = appendU64(b, r.Conn)
	}
	b = appendStrField(b, "client", r.Client)
	b = appendStrField(b, "server", r.Server)
	b = appendStrField(b, "community_id", r.CommunityID)
	b = appendStrField(b, "uid", r.UID)
	b = appendUint(b, "first_frame", r.FirstFrame)
	b = appendUint(b, "last_frame", r.LastFrame)
	b = e.tc.appendTime(b, "start", r.Start)
	b = e.tc.appendTime(b, "end", r.End)
	b = appendSeconds(b, "rel", r.StartRel)
	b = appendSeconds(b, "duration", r.Duration)
	b = appendStrField(b, "state", r.State)
	b = appendSeconds(b, "handshake_rtt", r.HandshakeRTT)
	b = appendPair(b, "mss", int64(r.MSS[0]), int64(r.MSS[1]))
	b = appendPair(b, "wscale", int64(r.WScale[0]), int64(r.WScale[1]))
	b = appendBool(b, "sack", r.SACK)
	b = appendBool(b, "timestamps", r.Timestamps)
	b = appendPerDir(b, "packets", r.Packets)
	b = appendPerDir(b, "bytes", r.Bytes)
	b = appendPerDir(b, "retransmissions", r.Retransmissions)
	b = appendPerDir(b, "out_of_order", r.OutOfOrder)
	b = appendPerDir(b, "gap_bytes", r.GapBytes)
	b = appendPerDir(b, "conflict_bytes", r.ConflictBytes)
	b = appendPerDir(b, "seq_bytes", r.SeqBytes)
	b = appendPerDir(b, "ip_bytes", r.IPBytes)
	b = appendStrField(b, "history", r.History)
	b = appendStrField(b, "conn_state", r.ConnState)
	b = appendInt(b, "requests", int64(r.Requests))
	b = appendStrField(b, "protocol", r.Protocol)
	if r.SNI != "" {
		b = appendStrField(b, "sni", r.SNI)
	}
	b = appendStrField(b, "close", r.Close)
	if r.Closer != "" {
		b = appendStrField(b, "closer", r.Closer)
	}
	if r.Reused {
		b = appendBool(b, "reused_tuple", true)
		b = appendInt(b, "tuple_index", int64(r.TupleIndex))
	}
	if r.TLS != nil {
		b = e.appendTLS(appendKey(b, "tls"), r.TLS)
	}
	return b, connAt
}

// appendTLS appends a conn record's "tls" object.
func (e *Encoder) appendTLS(b []byte, t *report.TLS) []byte {
	b = append(b, '{')
	b = appendStrField(b, "version", t.Version)
	b = appendStrField(b, "offered_version", t.OfferedVersion)
	b = appendStrField(b, "cipher_suite", t.CipherSuite)
	b = appendStrField(b, "sni", t.SNI)
	b = appendStrings(b, "alpn_offered", t.ALPNOffered)
	b = appendStrField(b, "alpn", t.ALPN)
	b = appendStrField(b, "inner", t.Inner)
	b = appendStrField(b, "resumed", t.Resumed)
	b = appendBool(b, "early_data", t.EarlyData)
	b = appendBool(b, "hello_retry", t.HelloRetry)
	b = appendBool(b, "extended_master_secret", t.ExtendedMaster)
	b = appendBool(b, "encrypt_then_mac", t.EncryptThenMAC)
	b = appendBool(b, "sslv2_hello", t.SSLv2Hello)
	b = appendInt(b, "round_trips", int64(t.RoundTrips))
	b = appendSeconds(b, "handshake_time", t.HandshakeTime)
	b = appendSeconds(b, "server_hello_delay", t.ServerHelloDelay)
	b = appendUint(b, "hello_frame", t.HelloFrame)
	b = appendUint(b, "first_app_frame", t.FirstAppFrame)
	if t.CertSubject != "" {
		b = appendStrField(b, "cert_subject", t.CertSubject)
		b = appendStrField(b, "cert_issuer", t.CertIssuer)
		b = e.tc.appendTime(b, "cert_not_before", t.CertNotBefore)
		b = e.tc.appendTime(b, "cert_not_after", t.CertNotAfter)
	}
	b = appendInt(b, "tickets", int64(t.Tickets))
	b = appendInt(b, "key_updates", int64(t.KeyUpdates))
	b = appendStrField(b, "keylog", t.KeyLog)
	b = appendUint(b, "decrypted_records", t.DecryptedRecords)
	b = appendUint(b, "decrypt_failed", t.DecryptFailed)
	b = appendStrings(b, "alerts", t.Alerts)
	b = appendStrings(b, "anomalies", t.Anomalies)
	return append(b, '}')
}

// HTTP writes an "http" record.
func (s *Sink) HTTP(r *report.HTTP) error {
	b, _ := s.enc.appendHTTP(s.buf, r, true)
	return s.emit(b)
}

// appendHTTP appends the record without its closing brace and newline, and with its
// connection ID only if withID; connAt is where the ID is.
func (e *Encoder) appendHTTP(b []byte, r *report.HTTP, withID bool) (_ []byte, connAt int) {
	b = append(b, '{')
	b = appendStrField(b, "type", "http")
	b = appendKey(b, "conn")
	connAt = len(b)
	if withID {
		b = appendU64(b, r.Conn)
	}
	b = appendInt(b, "depth", int64(r.Depth))
	b = e.tc.appendTime(b, "ts", r.TS)
	b = appendSeconds(b, "rel", r.Rel)
	b = appendStrField(b, "client", r.Client)
	b = appendStrField(b, "server", r.Server)
	b = appendStrField(b, "uid", r.UID)
	b = appendStrField(b, "community_id", r.CommunityID)
	b = appendStrField(b, "method", r.Method)
	b = appendStrField(b, "uri", r.URI)
	b = appendStrField(b, "host", r.Host)
	b = appendStrField(b, "version", r.Version)
	b = appendInt(b, "status", int64(r.Status))
	b = appendStrField(b, "reason", r.Reason)
	b = appendInt(b, "req_body_len", r.ReqBodyLen)
	b = appendInt(b, "resp_body_len", r.RespBodyLen)
	b = appendInt(b, "resp_decoded_len", r.RespDecodedLen)
	if r.ContentType != "" {
		b = appendStrField(b, "content_type", r.ContentType)
	}
	if r.ContentEnc != "" {
		b = appendStrField(b, "content_encoding", r.ContentEnc)
	}
	b = appendInts(b, "interim", r.Interim)
	b = appendPair(b, "req_frames", int64(r.ReqFrames[0]), int64(r.ReqFrames[1]))
	b = appendPair(b, "resp_frames", int64(r.RespFrames[0]), int64(r.RespFrames[1]))
	b = appendKey(b, "timing")
	b = append(b, '{')
	b = appendSeconds(b, "connect", r.Timing.Connect)
	if r.Timing.TLS > 0 {
		b = appendSeconds(b, "tls", r.Timing.TLS)
	}
	b = appendSeconds(b, "send", r.Timing.Send)
	b = appendSeconds(b, "wait", r.Timing.Wait)
	b = appendSeconds(b, "receive", r.Timing.Receive)
	b = append(b, '}')
	if r.HostLookup > 0 {
		b = appendSeconds(b, "host_lookup", r.HostLookup)
	}
	b = appendStrField(b, "verdict", r.Verdict)
	b = appendStrings(b, "anomalies", r.Anomalies)
	if r.Upgrade != "" {
		b = appendStrField(b, "upgrade", r.Upgrade)
	}
	b = appendStrField(b, "resp_version", r.RespVersion)
	b = appendInt(b, "req_header_len", r.ReqHeaderLen)
	b = appendInt(b, "resp_header_len", r.RespHeaderLen)
	b = appendInt(b, "req_msg_len", r.ReqMsgLen)
	b = appendInt(b, "resp_msg_len", r.RespMsgLen)
	b = appendUint(b, "req_gap_bytes", r.ReqGapBytes)
	b = appendUint(b, "resp_gap_bytes", r.RespGapBytes)
	b = appendPerDir(b, "retransmissions", r.Retransmissions)
	b = appendHeaders(b, "req_headers", r.ReqHeaders)
	b = appendHeaders(b, "resp_headers", r.RespHeaders)
	if len(r.ReqHeadersCut) > 0 {
		b = appendInts(b, "req_headers_cut", r.ReqHeadersCut)
	}
	if len(r.RespHeadersCut) > 0 {
		b = appendInts(b, "resp_headers_cut", r.RespHeadersCut)
	}
	if len(r.ReqTrailers) > 0 {
		b = appendHeaders(b, "req_trailers", r.ReqTrailers)
	}
	if len(r.RespTrailers) > 0 {
		b = appendHeaders(b, "resp_trailers", r.RespTrailers)
	}
	if len(r.ReqTrailersCut) > 0 {
		b = appendInts(b, "req_trailers_cut", r.ReqTrailersCut)
	}
	if len(r.RespTrailersCut) > 0 {
		b = appendInts(b, "resp_trailers_cut", r.RespTrailersCut)
	}
	return b, connAt
}

// appendHeaders appends header fields as [["name","value"],...].
func appendHeaders(b []byte, k string, v []report.Header) []byte {
	b = appendKey(b, k)
	b = append(b, '[')
	for i := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, v[i].Name)
		b = append(b, ',')
		b = appendString(b, v[i].Value)
		b = append(b, ']')
	}
	return append(b, ']')
}

// Anatomy writes an "anatomy" record.
func (s *Sink) Anatomy(r *report.Anatomy) error {
	b := append(s.buf, '{')
	b = appendStrField(b, "type", "anatomy")
	b = appendUint(b, "conn", r.Conn)
	b = appendInt(b, "depth", int64(r.Depth))
	b = appendStrField(b, "dir", r.Dir)
	b = appendStrField(b, "title", r.Title)
	b = appendInt(b, "msg_off", r.MsgOff)
	b = appendInt(b, "msg_len", r.MsgLen)
	b = appendInt(b, "header_len", r.HeaderLen)
	b = appendInt(b, "body_len", r.BodyLen)
	b = appendInt(b, "gap_bytes", r.GapBytes)
	b = appendKey(b, "parts")
	b = append(b, '[')
	for i := range r.Parts {
		p := &r.Parts[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendStrField(b, "kind", p.Kind)
		b = appendInt(b, "off", p.Off)
		b = appendInt(b, "len", p.Len)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendKey(b, "segments")
	b = append(b, '[')
	for i := range r.Segments {
		g := &r.Segments[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendUint(b, "frame", g.Frame)
		b = appendSeconds(b, "rel", g.Rel)
		b = appendUint(b, "seq", uint64(g.Seq))
		b = appendInt(b, "off", g.Off)
		b = appendInt(b, "len", int64(g.Len))
		b = appendInt(b, "msg_bytes", int64(g.MsgBytes))
		b = g.Flags.AppendJSON(appendKey(b, "flags"))
		b = appendInt(b, "ip_hdr_len", int64(g.IPHdrLen))
		b = appendInt(b, "tcp_hdr_len", int64(g.TCPHdrLen))
		b = appendInt(b, "ip_total_len", int64(g.IPTotalLen))
		b = appendUint(b, "ip_id", uint64(g.IPID))
		b = appendBool(b, "df", g.DF)
		if g.Fragments > 1 {
			b = appendInt(b, "fragments", int64(g.Fragments))
		}
		b = appendInt(b, "frame_len", int64(g.FrameLen))
		if g.TCPOptions != "" {
			b = appendStrField(b, "tcp_options", g.TCPOptions)
		}
		b = g.Class.AppendJSON(appendKey(b, "class"))
		b = append(b, '}')
	}
	b = append(b, ']')
	if t := r.TLS; t != nil {
		b = appendKey(b, "tls")
		b = append(b, '{')
		b = appendInt(b, "plain_off", t.PlainOff)
		b = appendInt(b, "plain_len", t.PlainLen)
		b = appendInt(b, "overhead", t.Overhead)
		b = appendKey(b, "records")
		b = append(b, '[')
		for i := range t.Records {
			x := &t.Records[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendInt(b, "off", x.Off)
			b = appendInt(b, "header_len", int64(x.HeaderLen))
			b = appendInt(b, "len", int64(x.Len))
			b = appendInt(b, "plain_len", int64(x.PlainLen))
			b = appendInt(b, "msg_bytes", int64(x.MsgBytes))
			b = appendUint(b, "frame", x.Frame)
			b = appendBool(b, "decrypted", x.Decrypted)
			b = append(b, '}')
		}
		b = append(b, ']', '}')
	}
	sm := &r.Summary
	b = appendKey(b, "summary")
	b = append(b, '{')
	b = appendInt(b, "segments", int64(sm.Segments))
	b = appendInt(b, "ip_packets", int64(sm.IPPackets))
	b = appendInt(b, "overhead", sm.Overhead)
	b = appendInt(b, "mss", int64(sm.MSS))
	b = appendInt(b, "retransmissions", int64(sm.Retransmissions))
	b = appendSeconds(b, "first_retrans_delay", sm.FirstRetransGap)
	b = appendSeconds(b, "span", sm.Span)
	b = append(b, '}')
	return s.emit(b)
}

// Event writes a "ladder" record.
func (s *Sink) Event(r *report.Event) error {
	b := append(s.buf, '{')
	b = appendStrField(b, "type", "ladder")
	b = appendUint(b, "conn", r.Conn)
	b = appendUint(b, "frame", r.Frame)
	b = appendSeconds(b, "rel", r.Rel)
	b = appendStrField(b, "dir", r.Dir)
	b = r.Flags.AppendJSON(appendKey(b, "flags"))
	b = appendUint(b, "seq", uint64(r.Seq))
	b = appendUint(b, "ack", uint64(r.Ack))
	b = appendInt(b, "len", int64(r.Len))
	b = appendUint(b, "win", uint64(r.Win))
	b = r.Class.AppendJSON(appendKey(b, "class"))
	b = appendStrings(b, "notes", r.Notes)
	if len(r.Calls) > 0 {
		b = appendStrings(b, "calls", r.Calls)
	}
	if r.Collapsed > 0 {
		b = appendInt(b, "collapsed", int64(r.Collapsed))
		b = appendInt(b, "collapsed_bytes", r.CollapsedBytes)
	}
	return s.emit(b)
}

// Finding writes a "finding" record.
func (s *Sink) Finding(r *report.Finding) error {
	b := append(s.buf, '{')
	b = appendStrField(b, "type", "finding")
	b = appendUint(b, "conn", r.Conn)
	b = appendUint(b, "frame", r.Frame)
	b = appendStrField(b, "kind", r.Kind)
	b = appendStrField(b, "severity", r.Severity)
	b = appendStrField(b, "text", r.Text)
	return s.emit(b)
}

// Malformed writes a "malformed" record.
func (s *Sink) Malformed(r *report.Malformed) error {
	b := append(s.buf, `{"type":"malformed","frame":`...)
	b = appendU64(b, r.Frame)
	b = append(b, `,"ts":`...)
	b = s.enc.tc.appendTS(b, r.TS)
	b = append(b, `,"rel":`...)
	b = AppendSeconds(b, r.Rel)
	b = appendStrField(b, "layer", r.Layer)
	return s.emit(b)
}

// Close flushes buffered output.
func (s *Sink) Close() error { return s.flush() }
