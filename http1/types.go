package http1

// Dir is the direction of a byte stream within one TCP connection. The values
// match flow.C2S and flow.S2C; http1 does not import flow.
type Dir uint8

const (
	C2S Dir = 0 // client to server: requests
	S2C Dir = 1 // server to client: responses
)

func (d Dir) String() string {
	if d == C2S {
		return "c2s"
	}
	return "s2c"
}

// Proto is what the parser decided the connection carries.
type Proto uint8

const (
	ProtoUnknown Proto = iota // not decided yet
	ProtoHTTP1                // at least one HTTP/1.x start line parsed
	ProtoTLS                  // client sent a TLS handshake record first; see SNI
	ProtoHTTP2                // client sent the HTTP/2 prior-knowledge preface
	ProtoTunnel               // HTTP/1.x until a CONNECT 2xx or a 101; then opaque, TLS (SNI) or proxied HTTP/1.x
	ProtoOther                // bytes that never looked like HTTP/1.x
)

var protoNames = [...]string{"unknown", "http1", "tls", "http2", "tunnel", "other"}

func (p Proto) String() string {
	if int(p) < len(protoNames) {
		return protoNames[p]
	}
	return "proto(?)"
}

// Verdict is the integrity verdict of one exchange.
type Verdict uint8

const (
	VerdictComplete   Verdict = iota // both messages fully seen
	VerdictGap                       // bytes of a message were missing from the capture
	VerdictConflict                  // set by the caller: retransmissions disagreed
	VerdictTruncated                 // a message ended early (close, end of capture, bad framing)
	VerdictNoResponse                // the request got no response
	VerdictNoRequest                 // a response whose request is not in the capture (nor lost in a gap)
	VerdictInferred                  // both messages seen whole, paired first-in first-out without TCP evidence
)

var verdictNames = [...]string{"complete", "gap", "conflict", "truncated", "no_response", "no_request", "inferred"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "verdict(?)"
}

// Framing says how the length of a message body was decided (RFC 9112 §6.3).
type Framing uint8

const (
	FramingNone           Framing = iota // no body
	FramingContentLength                 // Content-Length
	FramingChunked                       // Transfer-Encoding: chunked
	FramingCloseDelimited                // response body ends when the server closes
	FramingTunnel                        // CONNECT 2xx or 101: the rest is not HTTP
	FramingInvalid                       // framing headers are unusable; the stream is resynchronised
)

var framingNames = [...]string{"none", "content_length", "chunked", "close_delimited", "tunnel", "invalid"}

func (f Framing) String() string {
	if int(f) < len(framingNames) {
		return framingNames[f]
	}
	return "framing(?)"
}

// Header is one header field line, name and value as on the wire (the value
// with surrounding whitespace removed and obs-fold lines joined by one space).
type Header struct {
	Name, Value string
}

// ChunkMark records one chunk-size line: its stream offset and the chunk size.
type ChunkMark struct {
	Off  uint64 // stream offset of the first byte of the chunk-size line
	Size int64  // chunk data size; 0 for the last chunk
}

// Limits bounds what a Parser keeps. Zero fields take the defaults.
type Limits struct {
	MaxLine        int   // longest start line, header line or chunk-size line; default 8 KiB
	MaxHeaderBytes int   // header block size; default 64 KiB
	MaxHeaders     int   // header fields kept per message; default 200
	MaxPipeline    int   // exchanges pending in one connection; default 1024
	MaxChunkMarks  int   // ChunkMarks kept per message; default 4096
	KeepBodies     bool  // retain bodies (chunk framing removed, gaps zero-filled) in Message.Body
	MaxBody        int64 // cap on a retained body; default 16 MiB
	// Budget, when set with KeepBodies, caps the body bytes retained by every parser
	// sharing it at once (see BodyBudget).
	Budget       *BodyBudget
	DecodeBodies bool  // report Message.DecodedLen (gzip: from its trailer; deflate, br, chains: decoded)
	VerifyCoding bool  // with DecodeBodies, inflate gzip bodies too and check them (CRC32, ISIZE)
	MaxDecoded   int64 // cap on encoded bytes kept and on decoded output; default 64 MiB
}

func (l Limits) withDefaults() Limits {
	if l.MaxLine <= 0 {
		l.MaxLine = 8 << 10
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = 200
	}
	if l.MaxPipeline <= 0 {
		l.MaxPipeline = 1024
	}
	if l.MaxChunkMarks <= 0 {
		l.MaxChunkMarks = 4096
	}
	if l.MaxBody <= 0 {
		l.MaxBody = 16 << 20
	}
	if l.MaxDecoded <= 0 {
		l.MaxDecoded = 64 << 20
	}
	return l
}

// Message is one request or response.
type Message struct {
	Method, URI, Version string // Method and URI empty for a response
	Status               int    // 0 for a request
	Reason               string
	Headers              []Header // in wire order, repeated fields kept
	Trailers             []Header // chunked trailer fields
	// HeadersCut and TrailersCut are the indexes in Headers and Trailers of the fields
	// whose value was cut short by Limits.MaxLine or Limits.MaxHeaderBytes (line_too_long,
	// headers_too_large): the field keeps the part of its value within the limit.
	HeadersCut, TrailersCut []int
	Host                    string // authority of a CONNECT or absolute-form target, else the first Host value

	StartOff, HeaderEnd, EndOff uint64 // stream offsets in this message's direction
	// AckOff is the offset of the other direction's stream that the segment carrying
	// the first byte acknowledged (see Parser.Ack); -1 when not known.
	AckOff int64

	BodyLen         int64 // body bytes after removing chunk framing, bytes lost in gaps included
	DecodedLen      int64 // after undoing Content-Encoding; BodyLen when identity; -1 when not decoded
	ContentEncoding string
	ContentType     string
	Chunked         bool
	Chunks          []ChunkMark // at most Limits.MaxChunkMarks
	Framing         Framing
	KeepAlive       bool // the connection may persist after this message

	GapBytes              uint64 // bytes of this message missing from the capture
	FirstFrame, LastFrame uint64
	FirstTS, LastTS       int64
	HeadEndTS             int64 // time the header block completed
	Complete              bool  // the message ended where its framing says

	Body      []byte // when Limits.KeepBodies: body without chunk framing, gaps zero-filled, at most MaxBody bytes (and Budget), none when Content-Length is over MaxBody; shorter than BodyLen when cut
	Anomalies []Anomaly

	headSeen bool // the header block was complete
	overMax  bool // Content-Length over Limits.MaxBody: the body is not kept at all
}

// HeaderLen is the size of the start line and header block.
func (m *Message) HeaderLen() uint64 { return m.HeaderEnd - m.StartOff }

// Get returns the first value of the named header field (case-insensitive).
func (m *Message) Get(name string) (string, bool) {
	for i := range m.Headers {
		if equalFold(m.Headers[i].Name, name) {
			return m.Headers[i].Value, true
		}
	}
	return "", false
}

func (m *Message) reset() {
	// The fields' strings are cut from the parser's string chunks: clear them so a free
	// message does not keep a chunk alive.
	clear(m.Headers)
	clear(m.Trailers)
	// A large retained body's array is dropped, not kept for the next message: pooled
	// exchanges would otherwise pin MaxBody bytes each.
	body := m.Body[:0]
	if cap(body) > keepBodyCap {
		body = nil
	}
	*m = Message{
		Headers:     m.Headers[:0],
		Trailers:    m.Trailers[:0],
		HeadersCut:  m.HeadersCut[:0],
		TrailersCut: m.TrailersCut[:0],
		Chunks:      m.Chunks[:0],
		Body:        body,
		Anomalies:   m.Anomalies[:0],
	}
}

func (m *Message) flag(a Anomaly) {
	for _, x := range m.Anomalies {
		if x == a {
			return
		}
	}
	m.Anomalies = append(m.Anomalies, a)
}

// Exchange is a request paired with its response.
type Exchange struct {
	Depth     int      // 1-based position within the connection
	Req, Resp *Message // Req nil: response without request; Resp nil: no response
	Interim   []int    // statuses of 1xx responses before the final one
	Verdict   Verdict
	Anomalies []Anomaly // request and response anomalies plus exchange ones, no repeats
	Upgrade   string    // protocol switched to by a 101 ("websocket", "h2c", ...)

	reqMsg, respMsg   Message // storage behind Req and Resp
	reqDone, respDone bool
	respGap           bool   // server bytes were lost while this exchange awaited its response
	reqLost           bool   // no request: it was lost in a gap of the client's stream
	lossOff           uint64 // with reqLost and no response yet: where the client's lost bytes began
	lossBefore        bool   // client bytes were lost just before this request began
	anom              []Anomaly
}

func (x *Exchange) flag(a Anomaly) {
	for _, y := range x.anom {
		if y == a {
			return
		}
	}
	x.anom = append(x.anom, a)
}
