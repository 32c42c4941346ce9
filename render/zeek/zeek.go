// Package zeek writes conn records as Zeek's conn.log and http records as Zeek's
// http.log, in Zeek's tab-separated ASCII format with its header lines (#separator,
// #set_separator, #empty_field, #unset_field, #path, #open, #fields, #types, and #close
// at the end), so that zeek-cut, Zeek-based pipelines and anything that reads Zeek logs
// take segscope's output as they take Zeek's.
//
// It formats only: the values (uid, history, conn_state, the sequence-span byte counts,
// Community ID) are computed by the pipeline and package analysis and arrive in the
// records. What Zeek fills from analyzers segscope does not have (file analysis, MIME
// sniffing, tunnels) is written unset ("-"); the README lists the differences.
//
// Times are seconds since the Unix epoch with microseconds, as Zeek writes them. #open
// is the time of the capture's first packet (a record's ts minus its rel) and #close the
// latest time in the log's records, both in UTC as YYYY-MM-DD-HH-MM-SS: the same capture
// gives the same bytes, whenever it is read. (Zeek, reading a trace, also writes network
// time there, in local time.)
package zeek

import (
	"bufio"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
)

// Log says which Zeek log a Sink writes.
type Log uint8

// The logs.
const (
	ConnLog Log = iota // conn.log: one line per conn record
	HTTPLog            // http.log: one line per http record
)

// String returns the log's #path: "conn" or "http".
func (l Log) String() string {
	if l == HTTPLog {
		return "http"
	}
	return "conn"
}

type field struct{ name, typ string }

var connFields = []field{
	{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
	{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"proto", "enum"}, {"service", "string"},
	{"duration", "interval"}, {"orig_bytes", "count"}, {"resp_bytes", "count"},
	{"conn_state", "string"}, {"local_orig", "bool"}, {"local_resp", "bool"},
	{"missed_bytes", "count"}, {"history", "string"}, {"orig_pkts", "count"},
	{"orig_ip_bytes", "count"}, {"resp_pkts", "count"}, {"resp_ip_bytes", "count"},
	{"tunnel_parents", "set[string]"}, {"ip_proto", "count"}, {"community_id", "string"},
}

var httpFields = []field{
	{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
	{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"trans_depth", "count"},
	{"method", "string"}, {"host", "string"}, {"uri", "string"}, {"referrer", "string"},
	{"version", "string"}, {"user_agent", "string"}, {"origin", "string"},
	{"request_body_len", "count"}, {"response_body_len", "count"}, {"status_code", "count"},
	{"status_msg", "string"}, {"info_code", "count"}, {"info_msg", "string"},
	{"tags", "set[enum]"}, {"username", "string"}, {"password", "string"},
	{"proxied", "set[string]"}, {"orig_fuids", "vector[string]"},
	{"orig_filenames", "vector[string]"}, {"orig_mime_types", "vector[string]"},
	{"resp_fuids", "vector[string]"}, {"resp_filenames", "vector[string]"},
	{"resp_mime_types", "vector[string]"},
}

// Fields returns the names of the columns of log l, in order.
func Fields(l Log) []string {
	fs := connFields
	if l == HTTPLog {
		fs = httpFields
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

const (
	sep   = '\t'
	unset = "-"
	empty = "(empty)"
)

// Sink writes one Zeek log. Records of the other kinds are ignored: the command line
// offers --format zeek only where a log exists (conns, http).
type Sink struct {
	w   *bufio.Writer
	log Log
	// FlushEach writes every line as soon as it is complete (live capture).
	FlushEach bool

	header   bool
	first    report.Time // the capture's first packet time, from the first record
	latest   report.Time
	buf      []byte
	closeErr error
}

// New returns a Sink that writes log l to w.
func New(w io.Writer, l Log) *Sink {
	return &Sink{w: bufio.NewWriterSize(w, 64<<10), log: l}
}

func (s *Sink) writeHeader() {
	s.header = true
	b := s.buf[:0]
	b = append(b, "#separator \\x09\n"...)
	b = append(b, "#set_separator\t,\n"...)
	b = append(b, "#empty_field\t(empty)\n"...)
	b = append(b, "#unset_field\t-\n"...)
	b = append(b, "#path\t"...)
	b = append(b, s.log.String()...)
	b = append(b, "\n#open\t"...)
	b = appendStamp(b, s.first)
	fs := connFields
	if s.log == HTTPLog {
		fs = httpFields
	}
	b = append(b, "\n#fields"...)
	for _, f := range fs {
		b = append(b, sep)
		b = append(b, f.name...)
	}
	b = append(b, "\n#types"...)
	for _, f := range fs {
		b = append(b, sep)
		b = append(b, f.typ...)
	}
	b = append(b, '\n')
	s.buf = b
	s.w.Write(b)
}

// appendStamp writes t as Zeek's #open/#close time, in UTC.
func appendStamp(b []byte, t report.Time) []byte {
	return time.Unix(0, int64(t)).UTC().AppendFormat(b, "2006-01-02-15-04-05")
}

func (s *Sink) note(first, last report.Time) {
	if !s.header {
		s.first = first
		s.writeHeader()
	}
	if last > s.latest {
		s.latest = last
	}
}

func (s *Sink) line(b []byte) error {
	s.buf = b
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if s.FlushEach {
		return s.w.Flush()
	}
	return nil
}

// Conn writes a conn.log line (for a conn.log Sink).
func (s *Sink) Conn(r *report.Conn) error {
	if s.log != ConnLog {
		return nil
	}
	s.note(r.Start-report.Time(r.StartRel), r.End)
	return s.line(AppendConn(s.buf[:0], r))
}

// HTTP writes an http.log line (for an http.log Sink).
func (s *Sink) HTTP(r *report.HTTP) error {
	if s.log != HTTPLog {
		return nil
	}
	s.note(r.TS-report.Time(r.Rel), r.TS)
	return s.line(AppendHTTP(s.buf[:0], r))
}

// Close writes the header (when no record came) and the #close line, and flushes.
func (s *Sink) Close() error {
	if !s.header {
		s.writeHeader()
	}
	if s.latest < s.first {
		s.latest = s.first
	}
	b := append(s.buf[:0], "#close\t"...)
	b = appendStamp(b, s.latest)
	b = append(b, '\n')
	s.w.Write(b)
	return s.w.Flush()
}

// Segment, Anatomy, Event and Finding have no Zeek log; they write nothing.
func (s *Sink) Segment(*report.Segment) error { return nil }
func (s *Sink) Anatomy(*report.Anatomy) error { return nil }
func (s *Sink) Event(*report.Event) error     { return nil }
func (s *Sink) Finding(*report.Finding) error { return nil }

// AppendConn appends r as one conn.log line, newline included.
func AppendConn(b []byte, r *report.Conn) []byte {
	b = appendTime(b, r.Start)
	b = appendStr(append(b, sep), r.UID)
	b = appendEndpoints(b, r.Client, r.Server)
	b = append(b, "\ttcp\t"...)
	b = appendStr(b, service(r))
	// Zeek logs duration and sizes only for a connection that lasted.
	if r.ZeekDuration > 0 {
		b = appendInterval(append(b, sep), r.ZeekDuration)
		b = strconv.AppendUint(append(b, sep), r.SeqBytes.C2S, 10)
		b = strconv.AppendUint(append(b, sep), r.SeqBytes.S2C, 10)
	} else {
		b = append(b, "\t-\t-\t-"...)
	}
	b = appendStr(append(b, sep), r.ConnState)
	b = appendBool(append(b, sep), local(r.Client))
	b = appendBool(append(b, sep), local(r.Server))
	b = strconv.AppendUint(append(b, sep), r.GapBytes.C2S+r.GapBytes.S2C, 10)
	b = appendStr(append(b, sep), r.History)
	b = strconv.AppendUint(append(b, sep), r.Packets.C2S, 10)
	b = strconv.AppendUint(append(b, sep), r.IPBytes.C2S, 10)
	b = strconv.AppendUint(append(b, sep), r.Packets.S2C, 10)
	b = strconv.AppendUint(append(b, sep), r.IPBytes.S2C, 10)
	b = append(b, "\t-\t6"...) // tunnel_parents, ip_proto
	b = appendStr(append(b, sep), r.CommunityID)
	return append(b, '\n')
}

// service names the protocol as Zeek's conn.log does ("http", "ssl"), unset when none
// was recognised.
func service(r *report.Conn) string {
	switch r.Protocol {
	case "http1":
		return "http"
	case "tls":
		return "ssl"
	case "tunnel":
		// CONNECT: Zeek also names what it finds inside (usually TLS, seen by its SNI).
		if r.SNI != "" {
			return "http,ssl"
		}
		return "http"
	}
	return ""
}

// AppendHTTP appends r as one http.log line, newline included.
func AppendHTTP(b []byte, r *report.HTTP) []byte {
	b = appendTime(b, r.TS)
	b = appendStr(append(b, sep), r.UID)
	b = appendEndpoints(b, r.Client, r.Server)
	b = strconv.AppendInt(append(b, sep), int64(r.Depth), 10)
	b = appendStr(append(b, sep), r.Method)
	b = appendStr(append(b, sep), r.Host)
	b = appendValue(append(b, sep), unescapeURI(r.URI), r.Method != "")
	b = appendStr(append(b, sep), header(r.ReqHeaders, "Referer"))
	// Zeek's version is the response's when there is one.
	version := r.Version
	if r.RespVersion != "" {
		version = r.RespVersion
	}
	b = appendStr(append(b, sep), strings.TrimPrefix(version, "HTTP/"))
	b = appendStr(append(b, sep), header(r.ReqHeaders, "User-Agent"))
	b = appendStr(append(b, sep), header(r.ReqHeaders, "Origin"))
	b = strconv.AppendInt(append(b, sep), max(r.ReqBodyLen, 0), 10)
	body := r.RespBodyLen
	if r.RespDecodedLen >= 0 {
		body = r.RespDecodedLen // Zeek counts the body after content decoding
	}
	b = strconv.AppendInt(append(b, sep), max(body, 0), 10)
	if r.Status > 0 {
		b = strconv.AppendInt(append(b, sep), int64(r.Status), 10)
		b = appendValue(append(b, sep), r.Reason, true)
	} else {
		b = append(b, "\t-\t-"...)
	}
	switch n := len(r.Interim); {
	case n > 0:
		b = strconv.AppendInt(append(b, sep), int64(r.Interim[n-1]), 10)
		b = append(b, "\t-"...) // info_msg: the interim response's reason is not in the record
	case r.Status >= 100 && r.Status < 200:
		// A final 1xx (101 Switching Protocols) is also Zeek's informational response.
		b = strconv.AppendInt(append(b, sep), int64(r.Status), 10)
		b = appendValue(append(b, sep), r.Reason, true)
	default:
		b = append(b, "\t-\t-"...)
	}
	b = append(b, "\t(empty)"...)                   // tags
	b = append(b, "\t-\t-\t-\t-\t-\t-\t-\t-\t-"...) // username … resp_mime_types
	return append(b, '\n')
}

// unescapeURI decodes %XX escapes as Zeek logs the uri (its unescape_URI); a % not
// followed by two hex digits stays as it is.
func unescapeURI(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// header returns the value of the first request header field named name (as Zeek's
// http.log takes the first), or "".
func header(hs []report.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func appendEndpoints(b []byte, client, server string) []byte {
	for _, ep := range [2]string{client, server} {
		ap, err := netip.ParseAddrPort(ep)
		if err != nil {
			b = append(b, "\t-\t-"...)
			continue
		}
		b = ap.Addr().WithZone("").AppendTo(append(b, sep))
		b = strconv.AppendUint(append(b, sep), uint64(ap.Port()), 10)
	}
	return b
}

// local reports whether an endpoint's address is in Zeek's default local networks
// (Site::private_address_space with private_address_space_is_local): RFC 1918, shared
// address space 100.64/10, loopback, link-local, and IPv6 unique local addresses.
func local(ep string) bool {
	ap, err := netip.ParseAddrPort(ep)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 'T')
	}
	return append(b, 'F')
}

// appendTime writes t as seconds with microseconds: "1362692526.869344".
func appendTime(b []byte, t report.Time) []byte {
	us := int64(t) / 1000
	if t < 0 && int64(t)%1000 != 0 {
		us--
	}
	return appendMicros(b, us)
}

// appendInterval writes d as seconds with microseconds: "0.211484".
func appendInterval(b []byte, d report.Duration) []byte { return appendMicros(b, int64(d)/1000) }

func appendMicros(b []byte, us int64) []byte {
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	b = append(b, '.')
	for div := int64(1e5); div > 0; div /= 10 {
		b = append(b, byte('0'+frac/div%10))
	}
	return b
}

// appendStr writes a string field: unset ("-") when empty.
func appendStr(b []byte, s string) []byte { return appendValue(b, s, false) }

// appendValue writes a string field, escaped as Zeek's ASCII writer does: the
// separator, control characters, DEL and bytes that are not UTF-8 as \xNN, and a value
// that would read as the unset or empty marker with its first byte escaped. An empty
// value is "(empty)" when set, else "-".
func appendValue(b []byte, s string, set bool) []byte {
	if s == "" {
		if set {
			return append(b, empty...)
		}
		return append(b, unset...)
	}
	if s == unset || s == empty {
		b = appendHex(b, s[0])
		return append(b, s[1:]...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' && i+1 < len(s) && s[i+1] == 'x' {
			b = appendHex(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = appendHex(b, c)
			i++
			continue
		}
		b = append(b, s[i:i+n]...)
		i += n
	}
	return b
}

func appendHex(b []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'x', hex[c>>4], hex[c&15])
}
