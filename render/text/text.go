// Package text renders report records for people: one tcpdump-style line per segment,
// aligned tables of connections and exchanges, and the anatomy and ladder diagrams. It
// formats only; every figure it prints was computed before it got the record.
package text

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Sink writes text. Tables are streamed with fixed column widths; a header is printed
// before the first row of each kind.
type Sink struct {
	w       *bufio.Writer
	buf     []byte
	header  [8]bool
	MaxRows int // ladder: collapse long runs of data segments (0: never)
	// Headers writes each exchange's start lines and header fields under its row, one
	// indented line each, "> " for the request and "< " for the response (curl -v).
	Headers  bool
	lastConn uint64
	// FlushEach writes every line out at once (live capture: a line shows when its
	// packet arrives), instead of 256 KiB at a time.
	FlushEach bool
	// Width is the terminal width the ladder, the findings and the what-if table fit
	// (at least 80); 0 keeps the default 100-column layout (--wide).
	Width int
}

// width returns the columns the ladder, findings and what-if table fit.
func (s *Sink) width() int {
	if s.Width <= 0 {
		return viewWidth
	}
	return max(s.Width, 80)
}

// New returns a Sink writing to w.
func New(w io.Writer) *Sink {
	return &Sink{w: bufio.NewWriterSize(w, 256<<10), buf: make([]byte, 0, 512)}
}

// Close flushes buffered output.
func (s *Sink) Close() error { return s.w.Flush() }

// block writes a record of several lines.
func (s *Sink) block(text string) error {
	_, err := s.w.WriteString(text)
	if err == nil && s.FlushEach {
		err = s.w.Flush()
	}
	return err
}

func (s *Sink) line(b []byte) error {
	b = append(b, '\n')
	s.buf = b[:0]
	_, err := s.w.Write(b)
	if err == nil && s.FlushEach {
		err = s.w.Flush()
	}
	return err
}

// Segment writes one line in the style of tcpdump -n, preceded by Wireshark's frame
// number, the time since the first packet, and the connection and direction:
//
//	4  0.000351 c1 c2s 10.77.0.2:40126 > 10.77.0.1:80: Flags [P.], seq 1:79, ack 1, win 502, length 78: GET / HTTP/1.1
func (s *Sink) Segment(r *report.Segment) error {
	b := s.buf[:0]
	var num [20]byte
	b = padLeft(b, textfmt.AppendUint(num[:0], r.Frame), 6)
	b = append(b, ' ')
	b = textfmt.AppendSecondsFixed(b, int64(r.Rel), 6)
	b = append(b, " c"...)
	b = textfmt.AppendUint(b, r.Conn)
	b = append(b, ' ')
	b = append(b, r.Dir...)
	b = append(b, ' ')
	b = append(b, r.Src...)
	b = append(b, " > "...)
	b = append(b, r.Dst...)
	b = append(b, ": Flags ["...)
	f := r.Flags
	b = f.AppendLetters(b)
	b = append(b, "], "...)
	if r.Len > 0 || f.Any(tcp.SYN|tcp.FIN) || !f.Has(tcp.ACK) {
		b = append(b, "seq "...)
		b = textfmt.AppendUint(b, uint64(r.Seq))
		if r.Len > 0 {
			b = append(b, ':')
			b = textfmt.AppendUint(b, uint64(r.Seq+uint32(r.Len)))
		}
		b = append(b, ", "...)
	}
	if f.Has(tcp.ACK) {
		b = append(b, "ack "...)
		b = textfmt.AppendUint(b, uint64(r.Ack))
		b = append(b, ", "...)
	}
	b = append(b, "win "...)
	b = textfmt.AppendUint(b, uint64(r.Win))
	b = textfmt.AppendTCPOptions(b, &r.Options)
	b = append(b, ", length "...)
	b = strconv.AppendInt(b, int64(r.Len), 10)
	if len(r.Info) > 0 {
		b = append(b, ": "...)
		b = appendPrintable(b, r.Info)
	}
	if r.Truncated {
		b = append(b, " [|tcp]"...)
	}
	if r.Class != 0 {
		b = append(b, " ["...)
		n := 0
		for i := 0; i < tcp.NumClasses; i++ {
			c := tcp.Class(1) << i
			if !r.Class.Has(c) {
				continue
			}
			if n++; n > 1 {
				b = append(b, ' ')
			}
			b = append(b, c.Name()...)
			if c == tcp.ClassDupAck && r.DupAck > 0 {
				b = append(b, '#')
				b = strconv.AppendInt(b, int64(r.DupAck), 10)
			}
		}
		b = append(b, ']')
	}
	if r.IP.ChecksumBad {
		b = append(b, " [bad ip checksum]"...)
	}
	if r.IP.Fragments > 1 {
		b = append(b, " [reassembled from "...)
		b = strconv.AppendInt(b, int64(r.IP.Fragments), 10)
		b = append(b, " IP fragments]"...)
	}
	return s.line(b)
}

// appendPrintable appends p with every byte outside printable ASCII as ".".
func appendPrintable[T string | []byte](b []byte, p T) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c >= 0x7f {
			b = append(b, '.')
		} else {
			b = append(b, c)
		}
	}
	return b
}

func padLeft(b, v []byte, w int) []byte {
	for i := len(v); i < w; i++ {
		b = append(b, ' ')
	}
	return append(b, v...)
}

func padRight(b []byte, v string, w int) []byte {
	b = append(b, v...)
	for i := utf8.RuneCountInString(v); i < w; i++ {
		b = append(b, ' ')
	}
	return b
}

// perDir writes a per-direction count as "c2s/s2c", with thousands separators.
func perDir(v report.PerDir) string {
	return textfmt.Thousands(int64(v.C2S)) + "/" + textfmt.Thousands(int64(v.S2C))
}

const connHeader = "CONN  CLIENT                 SERVER                 FRAMES         START      DURATION  RTT       PACKETS c>s/s>c  BYTES c>s/s>c        RETX  OOO  GAP  REQ  PROTO    CLOSE    CLOSER  STATE"

// Conn writes one row of the connections table.
func (s *Sink) Conn(r *report.Conn) error {
	if !s.header[1] {
		s.header[1] = true
		if err := s.line(append(s.buf[:0], connHeader...)); err != nil {
			return err
		}
	}
	b := s.buf[:0]
	b = padRight(b, strconv.FormatUint(r.Conn, 10), 5)
	b = append(b, ' ')
	b = padRight(b, r.Client, 22)
	b = append(b, ' ')
	b = padRight(b, r.Server, 22)
	b = append(b, ' ')
	b = padRight(b, fmt.Sprintf("%d-%d", r.FirstFrame, r.LastFrame), 14)
	b = append(b, ' ')
	b = padRight(b, string(textfmt.AppendSecondsFixed(nil, int64(r.StartRel), 6)), 10)
	b = append(b, ' ')
	b = padRight(b, textfmt.DurationOrDash(int64(r.Duration)), 9)
	b = append(b, ' ')
	b = padRight(b, textfmt.DurationOrDash(int64(r.HandshakeRTT)), 9)
	b = append(b, ' ')
	b = padRight(b, perDir(r.Packets), 16)
	b = append(b, ' ')
	b = padRight(b, perDir(r.Bytes), 20)
	b = append(b, ' ')
	b = padRight(b, textfmt.Thousands(int64(r.Retransmissions.C2S+r.Retransmissions.S2C)), 5)
	b = append(b, ' ')
	b = padRight(b, textfmt.Thousands(int64(r.OutOfOrder.C2S+r.OutOfOrder.S2C)), 4)
	b = append(b, ' ')
	b = padRight(b, textfmt.Thousands(int64(r.GapBytes.C2S+r.GapBytes.S2C)), 4)
	b = append(b, ' ')
	b = padRight(b, textfmt.Thousands(int64(r.Requests)), 4)
	b = append(b, ' ')
	proto := r.Protocol
	if t := r.TLS; t != nil {
		proto = tlsProto(t)
	}
	if r.SNI != "" {
		proto += "(" + r.SNI + ")"
	}
	b = padRight(b, proto, 8)
	b = append(b, ' ')
	b = padRight(b, r.Close, 8)
	b = append(b, ' ')
	closer := r.Closer
	if closer == "" {
		closer = "-"
	}
	b = padRight(b, closer, 7)
	b = append(b, ' ')
	b = append(b, r.State...)
	return s.line(b)
}

// tlsProto is the PROTO column of a TLS connection: "tls1.3", then the inner protocol,
// "resumed" and "decrypted" when they apply: "tls1.3/http1,resumed,decrypted".
func tlsProto(t *report.TLS) string {
	p := "tls"
	if v, ok := strings.CutPrefix(t.Version, "TLS "); ok {
		p += v
	}
	if t.Inner != "" {
		p += "/" + t.Inner
	}
	if t.Resumed != "" {
		p += ",resumed"
	}
	if t.DecryptedRecords > 0 {
		p += ",decrypted"
	}
	return p
}

const httpHeader = "CONN  #   START       METHOD   HOST+URI                                          STATUS  REQ-BODY   RESP-BODY        SEND       WAIT       FRAMES            VERDICT"

// HTTP writes one row of the exchanges table.
func (s *Sink) HTTP(r *report.HTTP) error {
	if !s.header[2] {
		s.header[2] = true
		if err := s.line(append(s.buf[:0], httpHeader...)); err != nil {
			return err
		}
	}
	b := s.buf[:0]
	b = padRight(b, strconv.FormatUint(r.Conn, 10), 5)
	b = append(b, ' ')
	b = padRight(b, strconv.Itoa(r.Depth), 3)
	b = append(b, ' ')
	// START: when the request's first byte was seen (seconds since the first packet);
	// with SEND (first to last request byte) a Nagle stall shows without JSON.
	b = padRight(b, string(textfmt.AppendSecondsFixed(nil, int64(r.Rel), 6)), 11)
	b = append(b, ' ')
	m := r.Method
	if m == "" {
		m = "-"
	}
	b = padRight(b, m, 8)
	b = append(b, ' ')
	target := r.URI
	if strings.HasPrefix(r.URI, "/") {
		target = r.Host + r.URI // origin-form: show the host it was asked of
	}
	if target == "" {
		target = "-"
	}
	if len(target) > 49 {
		target = target[:48] + "…"
	}
	b = padRight(b, string(appendPrintable(nil, target)), 49)
	b = append(b, ' ')
	st := "-"
	if r.Status != 0 {
		st = strconv.Itoa(r.Status)
		for _, i := range r.Interim {
			st = strconv.Itoa(i) + "," + st
		}
	}
	b = padRight(b, st, 7)
	b = append(b, ' ')
	b = padRight(b, textfmt.Thousands(r.ReqBodyLen), 10)
	b = append(b, ' ')
	rb := textfmt.Thousands(r.RespBodyLen)
	if r.RespDecodedLen >= 0 && r.RespDecodedLen != r.RespBodyLen {
		rb += "(" + textfmt.Thousands(r.RespDecodedLen) + ")"
	}
	b = padRight(b, rb, 16)
	b = append(b, ' ')
	b = padRight(b, textfmt.DurationOrDash(int64(r.Timing.Send)), 10)
	b = append(b, ' ')
	b = padRight(b, textfmt.DurationOrDash(int64(r.Timing.Wait)), 10)
	b = append(b, ' ')
	fr := fmt.Sprintf("%d-%d", r.ReqFrames[0], r.RespFrames[1])
	if r.RespFrames[1] == 0 {
		fr = fmt.Sprintf("%d-%d", r.ReqFrames[0], r.ReqFrames[1])
	}
	if r.ReqFrames[0] == 0 {
		fr = fmt.Sprintf("%d-%d", r.RespFrames[0], r.RespFrames[1])
	}
	b = padRight(b, fr, 17)
	b = append(b, ' ')
	b = append(b, r.Verdict...)
	if len(r.Anomalies) > 0 {
		b = append(b, " ["...)
		b = append(b, strings.Join(r.Anomalies, " ")...)
		b = append(b, ']')
	}
	if s.Headers {
		b = append(b, '\n')
		b = appendHeaderLines(b, r)
		b = b[:len(b)-1]
	}
	return s.line(b)
}

// Malformed writes one line for a frame whose headers were impossible, in the frame
// column of the segment lines:
//
//	17 0.000412 malformed frame (tcp header)
func (s *Sink) Malformed(r *report.Malformed) error {
	b := s.buf[:0]
	var num [20]byte
	b = padLeft(b, textfmt.AppendUint(num[:0], r.Frame), 6)
	b = append(b, ' ')
	b = textfmt.AppendSecondsFixed(b, int64(r.Rel), 6)
	b = append(b, " malformed frame ("...)
	b = append(b, r.Layer...)
	b = append(b, " header)"...)
	return s.line(b)
}

// appendHeaderLines writes an exchange's messages as curl -v shows them: the request's
// start line and fields after "> ", a line "> " ending the block, the response's after
// "< ". A field a limit cut short ends in " [cut]"; trailers follow their message's
// body as "> [trailer] Name: value". Bytes that are not printable ASCII show as '.'.
func appendHeaderLines(b []byte, r *report.HTTP) []byte {
	const ind = "      "
	field := func(b []byte, mark string, h report.Header, cut bool, trailer bool) []byte {
		b = append(b, ind...)
		b = append(b, mark...)
		if trailer {
			b = append(b, "[trailer] "...)
		}
		b = appendPrintable(b, h.Name)
		b = append(b, ": "...)
		b = appendPrintable(b, h.Value)
		if cut {
			b = append(b, " [cut]"...)
		}
		return append(b, '\n')
	}
	if r.ReqHeaderLen >= 0 {
		b = append(b, ind+"> "...)
		b = appendPrintable(b, r.Method)
		b = append(b, ' ')
		b = appendPrintable(b, r.URI)
		b = append(b, ' ')
		b = appendPrintable(b, r.Version)
		b = append(b, '\n')
		for i, h := range r.ReqHeaders {
			b = field(b, "> ", h, slices.Contains(r.ReqHeadersCut, i), false)
		}
		b = append(b, ind+">\n"...)
		for i, h := range r.ReqTrailers {
			b = field(b, "> ", h, slices.Contains(r.ReqTrailersCut, i), true)
		}
	}
	if r.RespHeaderLen >= 0 {
		b = append(b, ind+"< "...)
		if r.Status == 0 {
			b = append(b, "(HTTP/0.9 response: no status line)"...)
		} else {
			b = appendPrintable(b, r.RespVersion)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(r.Status), 10)
			if r.Reason != "" {
				b = append(b, ' ')
				b = appendPrintable(b, r.Reason)
			}
		}
		b = append(b, '\n')
		for i, h := range r.RespHeaders {
			b = field(b, "< ", h, slices.Contains(r.RespHeadersCut, i), false)
		}
		b = append(b, ind+"<\n"...)
		for i, h := range r.RespTrailers {
			b = field(b, "< ", h, slices.Contains(r.RespTrailersCut, i), true)
		}
	}
	return b
}

// Finding writes one finding of `segscope diagnose`, its text wrapped to 100 columns (or
// Width):
//
//	conn 1 frame 12 [info] time_wait: the client sent the first FIN (frame 12): an
//	    active close, so the client holds the connection in TIME_WAIT ...
func (s *Sink) Finding(r *report.Finding) error {
	b := s.buf[:0]
	b = append(b, "conn "...)
	b = strconv.AppendUint(b, r.Conn, 10)
	if r.Frame > 0 {
		b = append(b, " frame "...)
		b = strconv.AppendUint(b, r.Frame, 10)
	}
	b = append(b, " ["...)
	b = append(b, r.Severity...)
	b = append(b, "] "...)
	b = append(b, r.Kind...)
	b = append(b, ':')
	col := utf8.RuneCount(b)
	for _, w := range strings.Fields(r.Text) {
		n := utf8.RuneCountInString(w)
		if col+1+n > s.width() && col > 4 {
			b = append(b, "\n    "...)
			col = 4
		} else {
			b = append(b, ' ')
			col++
		}
		b = append(b, w...)
		col += n
	}
	return s.line(b)
}
