// Package har renders http records as an HTTP Archive (HAR 1.2), the format of browsers'
// developer tools, Charles, Fiddler, k6 and HAR viewers. It formats only: every figure
// comes from the record (timings, sizes, verdicts are computed before); what it derives
// is the HAR form of what the record says — the URL from Host and target, the query
// string, cookies and form parameters split out of their headers, bodies as UTF-8 text
// or base64.
//
// Entries are written as their records arrive, held only to put them in request order:
// at most Options.Window of packet time and Options.HeldBytes of rendered entries, so
// memory stays flat however long the capture. Pages (one per client address, titled by
// its first request) are written after the entries, which is valid JSON and HAR; readers
// that need pages first read the whole file anyway.
//
// segscope's own facts are in "_"-prefixed fields, as HAR 1.2 allows: _conn (connection
// id, also in "connection"), _depth, _community_id (the connection's Community ID, as in
// its conn record), _frames, _verdict, _anomalies, _retransmissions,
// _gap_bytes, and _trailers in a request or response (the fields after a chunked body). An exchange without a response (or without a request) is written too, with
// its verdict: the absent side has status 0 / method "" and -1 sizes.
package har

import (
	"bufio"
	"container/heap"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/segscope/segscope/report"
)

// Options configure a Sink. Zero fields take the defaults.
type Options struct {
	Creator string // creator.name; default "segscope"
	Version string // creator.version
	// BodyMax: bodies longer than this (after undoing the content-coding) get no text;
	// default 1 MiB; negative: no body text at all.
	BodyMax int64
	// Window is how much packet time entries are held to be written in request order;
	// default 10 s. HeldBytes caps the rendered entries held; default 4 MiB.
	Window    report.Duration
	HeldBytes int
	// MaxPages caps the pages (client addresses); later clients' entries have no
	// pageref. Default 4096.
	MaxPages int
}

func (o Options) withDefaults() Options {
	if o.Creator == "" {
		o.Creator = "segscope"
	}
	if o.BodyMax == 0 {
		o.BodyMax = 1 << 20
	}
	if o.Window <= 0 {
		o.Window = report.Duration(10 * time.Second)
	}
	if o.HeldBytes <= 0 {
		o.HeldBytes = 4 << 20
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 4096
	}
	return o
}

// Sink writes one HAR document. It implements report.Sink; records other than http are
// ignored. Close writes the end of the document and flushes; it must be called.
type Sink struct {
	w   *bufio.Writer
	o   Options
	err error

	begun   bool
	closed  bool
	entries int
	held    entryHeap
	heldB   int
	latest  report.Time
	free    [][]byte

	pageOf map[string]int // client address → index in pages
	pages  []page
}

type page struct {
	id, title string
	started   report.Time
}

// entry is a rendered entry waiting for its turn: body is the JSON object after its
// opening brace, without the pageref.
type entry struct {
	ts     report.Time
	conn   uint64
	depth  int
	client string
	url    string
	body   []byte
}

type entryHeap []entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	a, b := &h[i], &h[j]
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if a.conn != b.conn {
		return a.conn < b.conn
	}
	return a.depth < b.depth
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = entry{}
	*h = old[:len(old)-1]
	return e
}

// New returns a Sink writing a HAR document to w.
func New(w io.Writer, o Options) *Sink {
	return &Sink{w: bufio.NewWriterSize(w, 256<<10), o: o.withDefaults(), pageOf: map[string]int{}}
}

func (s *Sink) Segment(*report.Segment) error { return s.err }
func (s *Sink) Conn(*report.Conn) error       { return s.err }
func (s *Sink) Anatomy(*report.Anatomy) error { return s.err }
func (s *Sink) Event(*report.Event) error     { return s.err }
func (s *Sink) Finding(*report.Finding) error { return s.err }

func (s *Sink) begin() {
	if s.begun {
		return
	}
	s.begun = true
	b := []byte(`{"log":{"version":"1.2","creator":{"name":`)
	b = appendJSONString(b, s.o.Creator)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, s.o.Version)
	b = append(b, `},"entries":[`...)
	s.write(b)
}

func (s *Sink) write(b []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}

// HTTP renders the exchange's entry and writes the entries whose turn has come.
func (s *Sink) HTTP(r *report.HTTP) error {
	if s.err != nil {
		return s.err
	}
	s.begin()
	var buf []byte
	if n := len(s.free); n > 0 {
		buf, s.free = s.free[n-1][:0], s.free[:n-1]
	}
	// Room for the bodies as base64 and the rest, so that a large entry grows once.
	if need := 4*(len(r.ReqBody.Data)+len(r.RespBody.Data))/3 + 4096; cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	e := entry{ts: started(r), conn: r.Conn, depth: r.Depth, client: clientAddr(r.Client)}
	e.url = entryURL(r)
	e.body = s.appendEntry(buf, r, e.ts, e.url)
	heap.Push(&s.held, e)
	s.heldB += len(e.body)
	if e.ts > s.latest {
		s.latest = e.ts
	}
	for s.held.Len() > 0 && (s.heldB > s.o.HeldBytes || s.held[0].ts < s.latest-report.Time(s.o.Window)) {
		s.writeEntry(heap.Pop(&s.held).(entry))
	}
	return s.err
}

func (s *Sink) writeEntry(e entry) {
	s.heldB -= len(e.body)
	var b [64]byte
	p := b[:0]
	if s.entries > 0 {
		p = append(p, ',')
	}
	s.entries++
	p = append(p, '{')
	if i, ok := s.pageOf[e.client]; ok {
		p = append(p, `"pageref":`...)
		p = appendJSONString(p, s.pages[i].id)
		p = append(p, ',')
	} else if len(s.pages) < s.o.MaxPages {
		id := "page_" + strconv.Itoa(len(s.pages)+1)
		s.pageOf[e.client] = len(s.pages)
		s.pages = append(s.pages, page{id: id, title: e.client + " " + e.url, started: e.ts})
		p = append(p, `"pageref":`...)
		p = appendJSONString(p, id)
		p = append(p, ',')
	}
	s.write(p)
	s.write(e.body)
	if len(s.free) < 16 && cap(e.body) <= 64<<10 {
		s.free = append(s.free, e.body)
	}
}

// Close writes the held entries, the pages and the end of the document, and flushes.
func (s *Sink) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	s.begin()
	for s.held.Len() > 0 {
		s.writeEntry(heap.Pop(&s.held).(entry))
	}
	b := []byte(`],"pages":[`)
	for i, p := range s.pages {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"startedDateTime":`...)
		b = appendTime(b, p.started)
		b = append(b, `,"id":`...)
		b = appendJSONString(b, p.id)
		b = append(b, `,"title":`...)
		b = appendJSONString(b, p.title)
		b = append(b, `,"pageTimings":{"onContentLoad":-1,"onLoad":-1}}`...)
	}
	b = append(b, "]}}\n"...)
	s.write(b)
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}

// started is when the entry began: the first request byte, or the start of the TCP
// handshake when the entry includes the connect time (the connection's first exchange).
func started(r *report.HTTP) report.Time {
	if r.Timing.Connect > 0 && r.Method != "" {
		return r.TS - report.Time(r.Timing.Connect)
	}
	return r.TS
}

func clientAddr(ep string) string {
	if ap, err := netip.ParseAddrPort(ep); err == nil {
		return ap.Addr().String()
	}
	return ep
}

// entryURL is the request URL: an absolute-form target as it is, else the scheme, the
// Host (the server address without one) and the target.
func entryURL(r *report.HTTP) string {
	t := r.URI
	if r.Method == "" {
		return "http://" + r.Server + "/"
	}
	lt := strings.ToLower(t)
	if strings.HasPrefix(lt, "http://") || strings.HasPrefix(lt, "https://") {
		return uriSafe(t)
	}
	host := r.Host
	if host == "" {
		host = r.Server
	}
	switch {
	case r.Method == "CONNECT":
		return "http://" + uriSafe(t) + "/"
	case t == "*":
		return "http://" + uriSafe(host) + "/*"
	case !strings.HasPrefix(t, "/"):
		t = "/" + t
	}
	return "http://" + uriSafe(host) + uriSafe(t)
}

// uriSafe percent-encodes the bytes a URI may not hold (controls, space, non-ASCII,
// "<>\^`{|}) and a '%' not followed by two hex digits; the rest is kept as sent.
func uriSafe(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if !uriByte(s, i) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); i++ {
		if uriByte(s, i) {
			b = append(b, s[i])
		} else {
			b = append(b, '%', hex[s[i]>>4], hex[s[i]&15])
		}
	}
	return string(b)
}

func uriByte(s string, i int) bool {
	c := s[i]
	switch {
	case c <= ' ' || c >= 0x7f:
		return false
	case strings.IndexByte("\"<>\\^`{|}", c) >= 0:
		return false
	case c == '%':
		return i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func header(hs []report.Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// ms writes a duration as milliseconds with microsecond precision; -1 stays -1.
func appendMS(b []byte, d report.Duration) []byte {
	if d < 0 {
		return append(b, '-', '1')
	}
	return strconv.AppendFloat(b, float64(d)/1e6, 'f', 3, 64)
}

func appendTime(b []byte, t report.Time) []byte {
	b = append(b, '"')
	b = time.Unix(0, int64(t)).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	return append(b, '"')
}

func (s *Sink) appendEntry(b []byte, r *report.HTTP, ts report.Time, u string) []byte {
	b = append(b, `"startedDateTime":`...)
	b = appendTime(b, ts)
	// HAR: time is the sum of the timings that are not -1; send, wait and receive must be
	// numbers, so an unmeasured one is written 0 and named in the timings' comment.
	t := r.Timing
	var unknown []string
	for _, p := range []struct {
		d    *report.Duration
		name string
	}{{&t.Send, "send"}, {&t.Wait, "wait"}, {&t.Receive, "receive"}} {
		if *p.d < 0 {
			*p.d = 0
			unknown = append(unknown, p.name)
		}
	}
	total := t.Send + t.Wait + t.Receive
	if t.Connect > 0 && r.Method != "" {
		total += t.Connect
	} else {
		t.Connect = -1
	}
	b = append(b, `,"time":`...)
	b = appendMS(b, total)
	b = append(b, `,"request":`...)
	b = s.appendRequest(b, r, u)
	b = append(b, `,"response":`...)
	b = s.appendResponse(b, r)
	b = append(b, `,"cache":{},"timings":{"blocked":-1,"dns":-1,"connect":`...)
	b = appendMS(b, t.Connect)
	b = append(b, `,"send":`...)
	b = appendMS(b, t.Send)
	b = append(b, `,"wait":`...)
	b = appendMS(b, t.Wait)
	b = append(b, `,"receive":`...)
	b = appendMS(b, t.Receive)
	b = append(b, `,"ssl":-1`...)
	if len(unknown) > 0 {
		b = append(b, `,"comment":`...)
		b = appendJSONString(b, "not measured (written 0): "+strings.Join(unknown, ", "))
	}
	b = append(b, '}')
	if ap, err := netip.ParseAddrPort(r.Server); err == nil {
		b = append(b, `,"serverIPAddress":`...)
		b = appendJSONString(b, ap.Addr().Unmap().String())
	}
	b = append(b, `,"connection":`...)
	b = appendJSONString(b, strconv.FormatUint(r.Conn, 10))
	b = append(b, `,"_conn":`...)
	b = strconv.AppendUint(b, r.Conn, 10)
	b = append(b, `,"_depth":`...)
	b = strconv.AppendInt(b, int64(r.Depth), 10)
	if r.CommunityID != "" {
		b = append(b, `,"_community_id":`...)
		b = appendJSONString(b, r.CommunityID)
	}
	b = append(b, `,"_frames":{"request":[`...)
	b = strconv.AppendUint(b, r.ReqFrames[0], 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, r.ReqFrames[1], 10)
	b = append(b, `],"response":[`...)
	b = strconv.AppendUint(b, r.RespFrames[0], 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, r.RespFrames[1], 10)
	b = append(b, `]},"_verdict":`...)
	b = appendJSONString(b, r.Verdict)
	b = append(b, `,"_anomalies":[`...)
	for i, a := range r.Anomalies {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a)
	}
	b = append(b, `],"_retransmissions":{"request":`...)
	b = strconv.AppendUint(b, r.Retransmissions.C2S, 10)
	b = append(b, `,"response":`...)
	b = strconv.AppendUint(b, r.Retransmissions.S2C, 10)
	b = append(b, `},"_gap_bytes":{"request":`...)
	b = strconv.AppendUint(b, r.ReqGapBytes, 10)
	b = append(b, `,"response":`...)
	b = strconv.AppendUint(b, r.RespGapBytes, 10)
	b = append(b, "}}"...)
	return b
}

func appendHeaders(b []byte, hs []report.Header, cut []int) []byte {
	b = append(b, '[')
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, h.Name)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, h.Value)
		for _, c := range cut {
			if c == i {
				b = append(b, `,"comment":"value cut short by a header size limit"`...)
				break
			}
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendNV appends {"name":..,"value":..}.
func appendNV(b []byte, name, value string) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"value":`...)
	b = appendJSONString(b, value)
	return append(b, '}')
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// appendPairs appends name=value pairs of a query string or form body, in order,
// decoded (an undecodable one as sent).
func appendPairs(b []byte, q string) []byte {
	b = append(b, '[')
	n := 0
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendNV(b, unescape(k), unescape(v))
	}
	return append(b, ']')
}

func (s *Sink) appendRequest(b []byte, r *report.HTTP, u string) []byte {
	b = append(b, `{"method":`...)
	b = appendJSONString(b, r.Method)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, u)
	b = append(b, `,"httpVersion":`...)
	b = appendJSONString(b, r.Version)
	b = append(b, `,"cookies":[`...)
	n := 0
	for _, h := range r.ReqHeaders {
		if !strings.EqualFold(h.Name, "Cookie") {
			continue
		}
		for _, c := range strings.Split(h.Value, ";") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			k, v, _ := strings.Cut(c, "=")
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendNV(b, strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	b = append(b, `],"headers":`...)
	b = appendHeaders(b, r.ReqHeaders, r.ReqHeadersCut)
	if len(r.ReqTrailers) > 0 {
		b = append(b, `,"_trailers":`...)
		b = appendHeaders(b, r.ReqTrailers, r.ReqTrailersCut)
	}
	b = append(b, `,"queryString":`...)
	q := ""
	if i := strings.IndexByte(u, '?'); i >= 0 {
		q = u[i+1:]
		if j := strings.IndexByte(q, '#'); j >= 0 {
			q = q[:j]
		}
	}
	b = appendPairs(b, q)
	if r.ReqBodyLen > 0 {
		ct, _ := header(r.ReqHeaders, "Content-Type")
		b = append(b, `,"postData":{"mimeType":`...)
		b = appendJSONString(b, ct)
		text, why := s.bodyText(&r.ReqBody, r.ReqGapBytes)
		switch {
		case why != "":
			b = append(b, `,"comment":`...)
			b = appendJSONString(b, why)
		case !utf8.Valid(text):
			b = append(b, `,"comment":"binary body: HAR postData holds text only"`...)
		default:
			b = append(b, `,"text":`...)
			b = appendJSONBytes(b, text)
			if mt, _, _ := mime.ParseMediaType(ct); mt == "application/x-www-form-urlencoded" {
				b = append(b, `,"params":`...)
				b = appendPairs(b, string(text))
			}
		}
		b = append(b, '}')
	}
	b = append(b, `,"headersSize":`...)
	b = strconv.AppendInt(b, r.ReqHeaderLen, 10)
	b = append(b, `,"bodySize":`...)
	b = strconv.AppendInt(b, wireBody(r.ReqHeaderLen, r.ReqMsgLen), 10)
	if r.Method == "" {
		b = append(b, `,"comment":"request not captured"`...)
	}
	return append(b, '}')
}

// bodyText returns the body to write as text, or why there is none.
func (s *Sink) bodyText(body *report.Body, gap uint64) ([]byte, string) {
	switch {
	case s.o.BodyMax < 0:
		return nil, "body text not asked for"
	case !body.Kept:
		return nil, "body not retained"
	case body.Cut:
		return nil, "body over the body limit (" + strconv.FormatInt(s.o.BodyMax, 10) + " bytes) or the bytes kept for all bodies at once"
	case body.Incomplete:
		return nil, "body incomplete: see _verdict"
	case gap > 0:
		return nil, "body has " + strconv.FormatUint(gap, 10) + " bytes lost in gaps: see _gap_bytes"
	case body.DecodeErr != "":
		return nil, "content-coding " + body.Coding + " not undone: " + body.DecodeErr
	case int64(len(body.Data)) > s.o.BodyMax:
		return nil, "body over the body limit (" + strconv.FormatInt(s.o.BodyMax, 10) + " bytes)"
	}
	return body.Data, ""
}

func (s *Sink) appendResponse(b []byte, r *report.HTTP) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"statusText":`...)
	b = appendJSONString(b, r.Reason)
	b = append(b, `,"httpVersion":`...)
	b = appendJSONString(b, r.RespVersion)
	b = append(b, `,"cookies":[`...)
	n := 0
	for _, h := range r.RespHeaders {
		if !strings.EqualFold(h.Name, "Set-Cookie") {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendSetCookie(b, h.Value)
	}
	b = append(b, `],"headers":`...)
	b = appendHeaders(b, r.RespHeaders, r.RespHeadersCut)
	if len(r.RespTrailers) > 0 {
		b = append(b, `,"_trailers":`...)
		b = appendHeaders(b, r.RespTrailers, r.RespTrailersCut)
	}
	b = append(b, `,"content":{"size":`...)
	size := r.RespBodyLen
	if r.RespDecodedLen >= 0 {
		size = r.RespDecodedLen
	}
	if r.RespHeaderLen < 0 {
		size = 0
	}
	b = strconv.AppendInt(b, size, 10)
	if r.RespDecodedLen >= 0 && r.RespDecodedLen != r.RespBodyLen {
		// HAR: the bytes saved by the content-coding.
		b = append(b, `,"compression":`...)
		b = strconv.AppendInt(b, r.RespDecodedLen-r.RespBodyLen, 10)
	}
	mt := r.ContentType
	if mt == "" {
		mt = "x-unknown"
	}
	b = append(b, `,"mimeType":`...)
	b = appendJSONString(b, mt)
	if r.RespBodyLen > 0 {
		text, why := s.bodyText(&r.RespBody, r.RespGapBytes)
		switch {
		case why != "":
			b = append(b, `,"comment":`...)
			b = appendJSONString(b, why)
		case utf8.Valid(text):
			b = append(b, `,"text":`...)
			b = appendJSONBytes(b, text)
		default:
			b = append(b, `,"text":"`...)
			b = base64.StdEncoding.AppendEncode(b, text)
			b = append(b, `","encoding":"base64"`...)
		}
	}
	b = append(b, `},"redirectURL":`...)
	loc, _ := header(r.RespHeaders, "Location")
	b = appendJSONString(b, loc)
	b = append(b, `,"headersSize":`...)
	b = strconv.AppendInt(b, r.RespHeaderLen, 10)
	b = append(b, `,"bodySize":`...)
	b = strconv.AppendInt(b, wireBody(r.RespHeaderLen, r.RespMsgLen), 10)
	if r.RespHeaderLen < 0 {
		b = append(b, `,"comment":"no response captured"`...)
	}
	return append(b, '}')
}

// wireBody is HAR's bodySize: the body's bytes on the wire (chunk framing and trailers
// included, as browsers count them), -1 without the message.
func wireBody(headerLen, msgLen int64) int64 {
	if headerLen < 0 || msgLen < headerLen {
		return -1
	}
	return msgLen - headerLen
}

func appendSetCookie(b []byte, v string) []byte {
	c, err := http.ParseSetCookie(v)
	if err != nil {
		k, _, _ := strings.Cut(v, ";")
		name, value, _ := strings.Cut(k, "=")
		b = append(b, `{"name":`...)
		b = appendJSONString(b, strings.TrimSpace(name))
		b = append(b, `,"value":`...)
		b = appendJSONString(b, strings.TrimSpace(value))
		b = append(b, `,"comment":`...)
		b = appendJSONString(b, "Set-Cookie not parsed: "+err.Error())
		return append(b, '}')
	}
	b = append(b, `{"name":`...)
	b = appendJSONString(b, c.Name)
	b = append(b, `,"value":`...)
	b = appendJSONString(b, c.Value)
	if c.Path != "" {
		b = append(b, `,"path":`...)
		b = appendJSONString(b, c.Path)
	}
	if c.Domain != "" {
		b = append(b, `,"domain":`...)
		b = appendJSONString(b, c.Domain)
	}
	if !c.Expires.IsZero() {
		b = append(b, `,"expires":"`...)
		b = c.Expires.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	}
	b = append(b, `,"httpOnly":`...)
	b = strconv.AppendBool(b, c.HttpOnly)
	b = append(b, `,"secure":`...)
	b = strconv.AppendBool(b, c.Secure)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	return appendJSONBytes(b, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// jsonPlain marks the bytes a JSON string holds as they are: printable ASCII but '"' and
// '\\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return
}()

// appendJSONBytes appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONBytes(b []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Runs of bytes that need no escape are copied at once.
		j := i
		for j < len(s) && jsonPlain[s[j]] {
			j++
		}
		if j > i {
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\ufffd"...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
