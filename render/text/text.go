// Package text renders report records for people: one tcpdump-style line per segment,
// aligned tables of connections and exchanges, and the anatomy and ladder diagrams. It
// formats only; every figure it prints was computed before it got the record.
package text

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Sink writes text. Tables are streamed with fixed column widths; a header is printed
// before the first row of each kind.
type Sink struct {
	w        *bufio.Writer
	buf      []byte
	header   [8]bool
	MaxRows  int // ladder: collapse long runs of data segments (0: never)
	lastConn uint64
	// FlushEach writes every line out at once (live capture: a line shows when its
	// packet arrives), instead of 256 KiB at a time.
	FlushEach bool
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
	b = padLeft(b, appendDec(num[:0], r.Frame), 6)
	b = append(b, ' ')
	b = appendSecs(b, r.Rel, 6)
	b = append(b, " c"...)
	b = appendDec(b, r.Conn)
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
		b = appendDec(b, uint64(r.Seq))
		if r.Len > 0 {
			b = append(b, ':')
			b = appendDec(b, uint64(r.Seq+uint32(r.Len)))
		}
		b = append(b, ", "...)
	}
	if f.Has(tcp.ACK) {
		b = append(b, "ack "...)
		b = appendDec(b, uint64(r.Ack))
		b = append(b, ", "...)
	}
	b = append(b, "win "...)
	b = appendDec(b, uint64(r.Win))
	b = appendOptions(b, &r.Options)
	b = append(b, ", length "...)
	b = strconv.AppendInt(b, int64(r.Len), 10)
	if line := startLine(r.Payload); len(line) > 0 {
		b = append(b, ": "...)
		b = appendPrintable(b, line)
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

func appendOptions(b []byte, o *report.Options) []byte {
	n := len(b)
	sep := func() {
		if len(b) == n {
			b = append(b, ", options ["...)
		} else {
			b = append(b, ',')
		}
	}
	if o.MSS != 0 {
		sep()
		b = append(b, "mss "...)
		b = appendDec(b, uint64(o.MSS))
	}
	if o.SACKPerm {
		sep()
		b = append(b, "sackOK"...)
	}
	if o.HasTS {
		sep()
		b = append(b, "TS val "...)
		b = appendDec(b, uint64(o.TSVal))
		b = append(b, " ecr "...)
		b = appendDec(b, uint64(o.TSEcr))
	}
	if o.HasWScale {
		sep()
		b = append(b, "wscale "...)
		b = strconv.AppendInt(b, int64(o.WScale), 10)
	}
	if len(o.SACK) > 0 {
		sep()
		b = append(b, "sack "...)
		b = strconv.AppendInt(b, int64(len(o.SACK)), 10)
		for _, blk := range o.SACK {
			b = append(b, " {"...)
			b = strconv.AppendUint(b, uint64(blk[0]), 10)
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(blk[1]), 10)
			b = append(b, '}')
		}
	}
	if o.TFO {
		sep()
		b = append(b, "tfo"...)
	}
	if o.MPTCP {
		sep()
		b = append(b, "mptcp"...)
	}
	if o.Unknown > 0 {
		sep()
		b = append(b, "unknown-"...)
		b = strconv.AppendInt(b, int64(o.Unknown), 10)
	}
	if o.Malformed {
		sep()
		b = append(b, "malformed"...)
	}
	if len(b) > n {
		b = append(b, ']')
	}
	return b
}

// startLine returns the HTTP request or status line at the start of p, if p starts with
// one, without the line end.
func startLine(p []byte) []byte {
	if len(p) < 8 {
		return nil
	}
	if string(p[:7]) != "HTTP/1." {
		// A request line starts with a method (3 or more capital letters) and a space.
		// Checked first, so that a segment of body bytes is rejected at its first bytes
		// instead of after a search for a line end.
		i := 0
		for i < len(p) && 'A' <= p[i] && p[i] <= 'Z' {
			i++
		}
		if i < 3 || i == len(p) || p[i] != ' ' {
			return nil
		}
	}
	end := len(p)
	for i, c := range p {
		if c == '\r' || c == '\n' {
			end = i
			break
		}
		if i >= 200 {
			return nil
		}
	}
	line := p[:end]
	if len(line) >= 12 && string(line[:7]) == "HTTP/1." {
		return line
	}
	sp := -1
	for i, c := range line {
		if c == ' ' {
			sp = i
			break
		}
		if c < 'A' || c > 'Z' {
			return nil
		}
	}
	if sp < 3 || len(line) < sp+10 || string(line[len(line)-8:len(line)-1]) != "HTTP/1." {
		return nil
	}
	return line
}

func appendPrintable(b []byte, p []byte) []byte {
	for _, c := range p {
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

// appendDec appends v in decimal, like strconv.AppendUint(b, v, 10); below 1e8 it
// writes eight digits at once and drops the leading zeros (the encoder of render/jsonl,
// which this package may not import, does the same).
func appendDec(b []byte, v uint64) []byte {
	if v >= 1e8 {
		if v >= 1e16 {
			return strconv.AppendUint(b, v, 10)
		}
		hi := v / 1e8
		return appendDigits8(appendDec(b, hi), v-hi*1e8)
	}
	w := digits8(v)
	// Leading zeros are the low bytes equal to '0'; the last digit always stays.
	z := bits.TrailingZeros64(w-0x30303030_30303030|1<<56) / 8
	b = room8(b)
	l := len(b)
	binary.LittleEndian.PutUint64(b[l:l+8], w>>(8*z))
	return b[:l+8-z]
}

// appendDigits8 appends the eight digits of x < 1e8, zero-padded.
func appendDigits8(b []byte, x uint64) []byte {
	b = room8(b)
	l := len(b)
	binary.LittleEndian.PutUint64(b[l:l+8], digits8(x))
	return b[:l+8]
}

// room8 returns b with at least 8 bytes of spare capacity.
func room8(b []byte) []byte {
	if cap(b)-len(b) < 8 {
		b = append(b, make([]byte, 8)...)[:len(b)]
	}
	return b
}

// digits8 returns the eight decimal digits of x < 1e8, zero-padded, as ASCII bytes in
// little-endian order (most significant digit in the lowest byte), computed in SWAR
// lanes: 4+4 digits, then 2+2+2+2, then 1 each; 10486>>20 and 103>>10 divide exactly
// by 100 and 10 in lanes below 10000 and 100.
func digits8(x uint64) uint64 {
	y := x/10000 | (x%10000)<<32
	h := (y * 10486 >> 20) & 0x0000007f_0000007f
	y = h | (y-h*100)<<16
	t := (y * 103 >> 10) & 0x000f000f_000f000f
	y = t | (y-t*10)<<8
	return y + 0x30303030_30303030
}

// appendSecs writes d in seconds with prec decimals (rounded down).
func appendSecs(b []byte, d report.Duration, prec int) []byte {
	if d < 0 {
		return append(b, '-')
	}
	b = appendDec(b, uint64(d)/1e9)
	if prec == 0 {
		return b
	}
	frac := uint64(d) % 1e9
	var digits [9]byte
	digits[0] = byte('0' + frac/1e8)
	binary.LittleEndian.PutUint64(digits[1:], digits8(frac%1e8))
	b = append(b, '.')
	return append(b, digits[:prec]...)
}

// FormatDuration writes a duration for people: 850ns, 12.3µs, 4.21ms, 1.502s; "-" when
// not measurable.
func FormatDuration(d report.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < 1000:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < 1e6:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	case d < 1e9:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(d)/1e9, 'f', 3, 64) + "s"
	}
}

// FormatBytes writes a byte count with thousands separators: 14,480.
func FormatBytes(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
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
	b = padRight(b, string(appendSecs(nil, r.StartRel, 6)), 10)
	b = append(b, ' ')
	b = padRight(b, FormatDuration(r.Duration), 9)
	b = append(b, ' ')
	b = padRight(b, FormatDuration(r.HandshakeRTT), 9)
	b = append(b, ' ')
	b = padRight(b, fmt.Sprintf("%d/%d", r.Packets.C2S, r.Packets.S2C), 16)
	b = append(b, ' ')
	b = padRight(b, fmt.Sprintf("%d/%d", r.Bytes.C2S, r.Bytes.S2C), 20)
	b = append(b, ' ')
	b = padRight(b, strconv.FormatUint(r.Retransmissions.C2S+r.Retransmissions.S2C, 10), 5)
	b = append(b, ' ')
	b = padRight(b, strconv.FormatUint(r.OutOfOrder.C2S+r.OutOfOrder.S2C, 10), 4)
	b = append(b, ' ')
	b = padRight(b, strconv.FormatUint(r.GapBytes.C2S+r.GapBytes.S2C, 10), 4)
	b = append(b, ' ')
	b = padRight(b, strconv.Itoa(r.Requests), 4)
	b = append(b, ' ')
	proto := r.Protocol
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

const httpHeader = "CONN  #   METHOD   HOST+URI                                          STATUS  REQ-BODY   RESP-BODY        WAIT       FRAMES            VERDICT"

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
	b = padRight(b, string(appendPrintable(nil, []byte(target))), 49)
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
	b = padRight(b, FormatBytes(r.ReqBodyLen), 10)
	b = append(b, ' ')
	rb := FormatBytes(r.RespBodyLen)
	if r.RespDecodedLen >= 0 && r.RespDecodedLen != r.RespBodyLen {
		rb += "(" + FormatBytes(r.RespDecodedLen) + ")"
	}
	b = padRight(b, rb, 16)
	b = append(b, ' ')
	b = padRight(b, FormatDuration(r.Timing.Wait), 10)
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
	return s.line(b)
}

// Malformed writes one line for a frame whose headers were impossible, in the frame
// column of the segment lines:
//
//	17 0.000412 malformed frame (tcp header)
func (s *Sink) Malformed(r *report.Malformed) error {
	b := s.buf[:0]
	var num [20]byte
	b = padLeft(b, appendDec(num[:0], r.Frame), 6)
	b = append(b, ' ')
	b = appendSecs(b, r.Rel, 6)
	b = append(b, " malformed frame ("...)
	b = append(b, r.Layer...)
	b = append(b, " header)"...)
	return s.line(b)
}

// Finding writes one finding of `segscope diagnose`, its text wrapped to 100 columns:
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
		if col+1+n > 100 && col > 4 {
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
