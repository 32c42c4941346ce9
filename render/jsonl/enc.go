package jsonl

import (
	"math/bits"
	"time"
	"unicode/utf8"

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
	i := 0
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return appendStringSlow(append(b, '"'), s, i)
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

func appendStrField(b []byte, k, v string) []byte { return appendString(appendKey(b, k), v) }
func appendUint(b []byte, k string, v uint64) []byte { return appendU64(appendKey(b, k), v) }
func appendInt(b []byte, k string, v int64) []byte  { return appendI64(appendKey(b, k), v) }
func appendBool(b []byte, k string, v bool) []byte  { return appendB(appendKey(b, k), v) }

func appendB(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// digitPairs holds the two-digit decimal forms of 0 to 99, one after the other.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// pow10 holds 10^0 to 10^19, every power of ten a uint64 holds.
var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// decLen returns the number of decimal digits of v > 0.
func decLen(v uint64) int {
	t := bits.Len64(v) * 1233 >> 12 // about log10(v), never too high by more than one
	if v < pow10[t] {
		return t
	}
	return t + 1
}

// grow returns b with room for n more bytes, extended to len(b)+n; the new bytes are
// to be overwritten.
func grow(b []byte, n int) []byte {
	l := len(b)
	if cap(b)-l < n {
		b = append(b, make([]byte, n)...)
	}
	return b[:l+n]
}

// appendU64 appends v in decimal, like strconv.AppendUint(b, v, 10): it writes the
// digits in place, two at a time, without an intermediate buffer.
func appendU64(b []byte, v uint64) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	if v < 100 {
		return append(b, digitPairs[2*v], digitPairs[2*v+1])
	}
	n := decLen(v)
	b = grow(b, n)
	putDigits(b[len(b)-n:], v)
	return b
}

// putDigits writes v into d, right-aligned and zero-padded to len(d) digits. v must
// have at most len(d) digits.
func putDigits(d []byte, v uint64) {
	i := len(d)
	for v >= 100 && i >= 2 {
		q := v / 100
		r := v - q*100
		i -= 2
		d[i], d[i+1] = digitPairs[2*r], digitPairs[2*r+1]
		v = q
	}
	for i > 0 {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
}

// appendI64 appends v in decimal, like strconv.AppendInt(b, v, 10).
func appendI64(b []byte, v int64) []byte {
	if v < 0 {
		return appendU64(append(b, '-'), -uint64(v))
	}
	return appendU64(b, uint64(v))
}

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
	b = grow(b, 11)
	d := b[len(b)-11:]
	putDigits(d[:9], uint64(nsec))
	d[9], d[10] = 'Z', '"'
	return b
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
	u := uint64(d)
	if d < 0 {
		b = append(b, '-')
		u = -u
	}
	b = appendU64(b, u/1e9)
	frac := u % 1e9
	if frac == 0 {
		return append(b, '.', '0')
	}
	b = grow(b, 10)
	d10 := b[len(b)-10:]
	d10[0] = '.'
	putDigits(d10[1:], frac)
	n := len(b)
	for b[n-1] == '0' {
		n--
	}
	return b[:n]
}

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
