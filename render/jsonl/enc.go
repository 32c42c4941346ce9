package jsonl

import (
	"encoding/binary"
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

// The integer encoders below turn up to eight digits at a time into ASCII with a few
// multiplications on one uint64 (digits8), and store them with a single 8-byte write
// into the slice's spare capacity (room), keeping only the bytes that belong.

// digits8 returns the eight decimal digits of x < 1e8, zero-padded, as ASCII bytes in
// little-endian order: the most significant digit in the lowest byte.
func digits8(x uint64) uint64 {
	// Two lanes of 32 bits: the upper four digits in the low lane, the lower four in the
	// high lane; then each lane is split in two 16-bit lanes (x/100, x%100), and those in
	// two 8-bit lanes (x/10, x%10). 10486>>20 and 103>>10 divide by 100 and 10 exactly
	// for lanes below 10000 and 100.
	y := x/10000 | (x%10000)<<32
	h := (y * 10486 >> 20) & 0x0000007f_0000007f
	y = h | (y-h*100)<<16
	t := (y * 103 >> 10) & 0x000f000f_000f000f
	y = t | (y-t*10)<<8
	return y + 0x30303030_30303030
}

// room returns b with at least n bytes of spare capacity.
func room(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		b = append(b, make([]byte, n)...)[:len(b)]
	}
	return b
}

// appendDigits8 appends the eight digits of x < 1e8, zero-padded.
func appendDigits8(b []byte, x uint64) []byte {
	b = room(b, 8)
	l := len(b)
	binary.LittleEndian.PutUint64(b[l:l+8], digits8(x))
	return b[:l+8]
}

// digits4 is digits8 for x < 1e4: four digits in a uint32.
func digits4(x uint32) uint32 {
	y := x/100 | (x%100)<<16
	t := (y * 103 >> 10) & 0x000f000f
	y = t | (y-t*10)<<8
	return y + 0x30303030
}

// Leading zeros of a digit group are its low bytes equal to '0'; the count comes from
// the trailing zero bits of the group minus '0's. The last digit always stays: its
// byte is marked non-zero before counting (last4, last8), which also makes 0 print as 0.
const (
	zeros4 = 0x30303030
	zeros8 = 0x30303030_30303030
	last4  = 1 << 24
	last8  = 1 << 56
)

// appendU64 appends v in decimal, like strconv.AppendUint(b, v, 10). Values below 1e12
// (every uint32) take one or two digit groups and no further call; below 1e8 the digit
// count is found without a branch, since fields like seq, ack and len change magnitude
// from one record to the next and a mispredicted branch costs more than the digits.
func appendU64(b []byte, v uint64) []byte {
	b = room(b, 12)
	l := len(b)
	switch {
	case v < 1e8:
		w := digits8(v)
		z := bits.TrailingZeros64(w-zeros8|last8) / 8
		binary.LittleEndian.PutUint64(b[l:l+8], w>>(8*z))
		return b[:l+8-z]
	case v < 1e12:
		hi := v / 1e8
		w := digits4(uint32(hi))
		z := bits.TrailingZeros32(w-zeros4|last4) / 8
		binary.LittleEndian.PutUint32(b[l:l+4], w>>(8*z))
		l += 4 - z
		binary.LittleEndian.PutUint64(b[l:l+8], digits8(v-hi*1e8))
		return b[:l+8]
	}
	return appendBig(b, v)
}

// appendBig appends v >= 1e12 in decimal.
func appendBig(b []byte, v uint64) []byte {
	if v < 1e16 {
		return appendDigits8(appendU64(b, v/1e8), v%1e8)
	}
	b = appendU64(b, v/1e16)
	return appendDigits8(appendDigits8(b, v/1e8%1e8), v%1e8)
}

// appendU8 appends v in decimal, for fields that are small and nearly constant (TTL,
// header lengths), where a branch on the digit count is predicted well.
func appendU8(b []byte, v uint8) []byte {
	switch {
	case v < 10:
		return append(b, '0'+v)
	case v < 100:
		return append(b, '0'+v/10, '0'+v%10)
	}
	return append(b, '0'+v/100, '0'+v/10%10, '0'+v%10)
}

// appendI64 appends v in decimal, like strconv.AppendInt(b, v, 10).
func appendI64(b []byte, v int64) []byte {
	if v < 0 {
		return appendNeg(b, v)
	}
	return appendU64(b, uint64(v))
}

func appendNeg(b []byte, v int64) []byte { return appendU64(append(b, '-'), -uint64(v)) }

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
	if sec := u / 1e9; sec < 100 {
		// Seconds since the first packet: small, and of the same magnitude from one
		// record to the next.
		b = appendU8(b, uint8(sec))
	} else {
		b = appendU64(b, sec)
	}
	frac := u % 1e9
	b = append(b, '.', byte('0'+frac/1e8))
	w := digits8(frac % 1e8)
	// Trailing zeros are the high bytes equal to '0'.
	z := w - 0x30303030_30303030
	if z == 0 {
		return b // one decimal (the first) is kept even when it is 0
	}
	b = room(b, 8)
	l := len(b)
	binary.LittleEndian.PutUint64(b[l:l+8], w)
	return b[:l+8-bits.LeadingZeros64(z)/8]
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
