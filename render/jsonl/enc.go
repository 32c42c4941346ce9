package jsonl

import (
	"time"
	"unicode/utf8"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
)

// The append-style helpers below write JSON without reflection and without allocating.

const hexDigits = "0123456789abcdef"

// jsonSafe[c] is true for the bytes appendString copies as they are: printable ASCII
// other than '"' and '\\'. Every other byte takes the slow path (escapes, UTF-8 checks).
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string. Plain strings (endpoints, flag and class
// names) are scanned once and copied with one append.
func appendString(b []byte, s string) []byte {
	if len(s) >= 8 {
		// Eight bytes at a time; the last step overlaps the one before it, so that the
		// length of s costs no byte loop (and no mispredicted loop exit).
		i := 0
		for ; i+8 < len(s); i += 8 {
			if !plain8(leUint64(s[i:])) {
				return appendStringSlow(append(b, '"'), s, 0)
			}
		}
		if !plain8(leUint64(s[len(s)-8:])) {
			return appendStringSlow(append(b, '"'), s, 0)
		}
	} else {
		for i := 0; i < len(s); i++ {
			if !jsonSafe[s[i]] {
				return appendStringSlow(append(b, '"'), s, i)
			}
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

const (
	lsb8 = 0x01010101_01010101
	msb8 = 0x80808080_80808080
)

// plain8 reports whether all eight bytes in x are printable ASCII other than '"' and
// '\\' (jsonSafe, eight at a time).
func plain8(x uint64) bool {
	// A byte b is flagged (high bit set) when b < 0x20, b == '"', b == '\\' or b >= 0x80.
	// The zero-byte tests may flag a byte above a flagged one by borrow, never a byte
	// when none is, so the answer is exact.
	ctl := x - 0x20*lsb8
	quo := (x ^ '"'*lsb8) - lsb8
	bsl := (x ^ '\\'*lsb8) - lsb8
	quoZ := quo &^ (x ^ '"'*lsb8)
	bslZ := bsl &^ (x ^ '\\'*lsb8)
	return (ctl&^x|quoZ|bslZ|x)&msb8 == 0
}

// leUint64 reads the first eight bytes of s as a little-endian uint64.
func leUint64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// appendStringSlow appends the body of s, whose first i bytes need no escaping, and the
// closing quote.
func appendStringSlow(b []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Invalid UTF-8 (raw bytes from the wire): escape the byte as \u00XX so the
			// output stays valid JSON and the byte value is still recoverable.
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendKey(b []byte, k string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' && b[len(b)-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func appendStrField(b []byte, k, v string) []byte    { return appendString(appendKey(b, k), v) }
func appendUint(b []byte, k string, v uint64) []byte { return appendU64(appendKey(b, k), v) }
func appendInt(b []byte, k string, v int64) []byte   { return appendI64(appendKey(b, k), v) }
func appendBool(b []byte, k string, v bool) []byte   { return appendB(appendKey(b, k), v) }

func appendB(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// The decimal encoders are textfmt's (eight digits at a time, no allocation); these
// names keep the record writers short.

func appendDigits8(b []byte, x uint64) []byte { return textfmt.AppendDigits8(b, x) }
func appendU64(b []byte, v uint64) []byte     { return textfmt.AppendUint(b, v) }
func appendU8(b []byte, v uint8) []byte       { return textfmt.AppendUint8(b, v) }
func appendI64(b []byte, v int64) []byte      { return textfmt.AppendInt(b, v) }

const tsLayout = "2006-01-02T15:04:05."

// timeCache keeps the formatted date and time of the last second seen, so that the many
// timestamps within one second cost an append of 9 digits, not a time.Format.
type timeCache struct {
	sec    int64
	prefix []byte // "2006-01-02T15:04:05."
	valid  bool
}

func (c *timeCache) appendTime(b []byte, k string, t report.Time) []byte {
	return c.appendTS(appendKey(b, k), t)
}

// appendTS appends t as a quoted RFC 3339 time with nanoseconds, in UTC.
func (c *timeCache) appendTS(b []byte, t report.Time) []byte {
	sec, nsec := int64(t)/1e9, int64(t)%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	if !c.valid || sec != c.sec {
		c.prefix = time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], tsLayout)
		c.sec, c.valid = sec, true
	}
	b = append(b, '"')
	b = append(b, c.prefix...)
	b = append(b, byte('0'+nsec/1e8))
	b = appendDigits8(b, uint64(nsec%1e8))
	return append(b, 'Z', '"')
}

// appendSeconds writes a duration in seconds with nanosecond precision: 0.000123456.
// Negative values other than -1 do not occur; -1 (not measurable) is written as -1.
func appendSeconds(b []byte, k string, d report.Duration) []byte {
	b = appendKey(b, k)
	return AppendSeconds(b, d)
}

// AppendSeconds formats d as seconds with 9 decimals, trailing zeros trimmed (at least
// one decimal kept); -1 stays -1 (textfmt.AppendSeconds).
func AppendSeconds(b []byte, d report.Duration) []byte { return textfmt.AppendSeconds(b, int64(d)) }

func appendStrings(b []byte, k string, v []string) []byte {
	return appendStringList(appendKey(b, k), v)
}

// appendStringList appends v as a JSON array of strings.
func appendStringList(b []byte, v []string) []byte {
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendInts(b []byte, k string, v []int) []byte {
	b = appendKey(b, k)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendI64(b, int64(x))
	}
	return append(b, ']')
}

func appendPerDir(b []byte, k string, v report.PerDir) []byte {
	b = appendKey(b, k)
	b = append(b, '{')
	b = appendUint(b, "c2s", v.C2S)
	b = appendUint(b, "s2c", v.S2C)
	return append(b, '}')
}

func appendPair(b []byte, k string, a, c int64) []byte {
	b = appendKey(b, k)
	b = append(b, '[')
	b = appendI64(b, a)
	b = append(b, ',')
	b = appendI64(b, c)
	return append(b, ']')
}
