package jsonl

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
)

// The append-style helpers below write JSON without reflection and without allocating.

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
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

func appendStrField(b []byte, k, v string) []byte { return appendString(appendKey(b, k), v) }
func appendUint(b []byte, k string, v uint64) []byte {
	return strconv.AppendUint(appendKey(b, k), v, 10)
}
func appendInt(b []byte, k string, v int64) []byte { return strconv.AppendInt(appendKey(b, k), v, 10) }
func appendBool(b []byte, k string, v bool) []byte { return strconv.AppendBool(appendKey(b, k), v) }

const tsLayout = "2006-01-02T15:04:05."

// timeCache keeps the formatted date and time of the last second seen, so that the many
// timestamps within one second cost an append of 9 digits, not a time.Format.
type timeCache struct {
	sec    int64
	prefix []byte // "2006-01-02T15:04:05."
	valid  bool
}

func (c *timeCache) appendTime(b []byte, k string, t report.Time) []byte {
	b = appendKey(b, k)
	b = append(b, '"')
	sec, nsec := int64(t)/1e9, int64(t)%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	if !c.valid || sec != c.sec {
		c.prefix = time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], tsLayout)
		c.sec, c.valid = sec, true
	}
	b = append(b, c.prefix...)
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + nsec%10)
		nsec /= 10
	}
	b = append(b, digits[:]...)
	return append(b, 'Z', '"')
}

// appendSeconds writes a duration in seconds with nanosecond precision: 0.000123456.
// Negative values other than -1 do not occur; -1 (not measurable) is written as -1.
func appendSeconds(b []byte, k string, d report.Duration) []byte {
	b = appendKey(b, k)
	return AppendSeconds(b, d)
}

// AppendSeconds formats d as seconds with 9 decimals, trailing zeros trimmed (at least
// one decimal kept); -1 stays -1.
func AppendSeconds(b []byte, d report.Duration) []byte {
	if d == -1 {
		return append(b, '-', '1')
	}
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	b = strconv.AppendInt(b, int64(d)/1e9, 10)
	frac := int64(d) % 1e9
	b = append(b, '.')
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 9
	for n > 1 && digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}

func appendStrings(b []byte, k string, v []string) []byte {
	b = appendKey(b, k)
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
		b = strconv.AppendInt(b, int64(x), 10)
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
	b = strconv.AppendInt(b, a, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, c, 10)
	return append(b, ']')
}
