// Package textfmt is the one home of segscope's number and duration text: the fast
// decimal encoder that JSON and text share (AppendUint, AppendInt), seconds for JSON and
// for packet lines (AppendSeconds, AppendSecondsFixed), the human duration style that
// every table and every sentence uses (Duration), thousands separators (Thousands), and
// the TCP options text (AppendTCPOptions, AppendOptionsBrief). render/* and analysis use
// it; it knows no protocol and formats values it is given.
package textfmt

import (
	"encoding/binary"
	"math/bits"
)

// The integer encoders turn up to eight digits at a time into ASCII with a few
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

// AppendDigits8 appends the eight digits of x < 1e8, zero-padded.
func AppendDigits8(b []byte, x uint64) []byte {
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

// AppendUint appends v in decimal, like strconv.AppendUint(b, v, 10). Values below 1e12
// (every uint32) take one or two digit groups and no further call; below 1e8 the digit
// count is found without a branch, since fields like seq, ack and len change magnitude
// from one record to the next and a mispredicted branch costs more than the digits.
func AppendUint(b []byte, v uint64) []byte {
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
		return AppendDigits8(AppendUint(b, v/1e8), v%1e8)
	}
	b = AppendUint(b, v/1e16)
	return AppendDigits8(AppendDigits8(b, v/1e8%1e8), v%1e8)
}

// AppendUint8 appends v in decimal, for fields that are small and nearly constant (TTL,
// header lengths), where a branch on the digit count is predicted well.
func AppendUint8(b []byte, v uint8) []byte {
	switch {
	case v < 10:
		return append(b, '0'+v)
	case v < 100:
		return append(b, '0'+v/10, '0'+v%10)
	}
	return append(b, '0'+v/100, '0'+v/10%10, '0'+v%10)
}

// AppendInt appends v in decimal, like strconv.AppendInt(b, v, 10).
func AppendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendNeg(b, v)
	}
	return AppendUint(b, uint64(v))
}

func appendNeg(b []byte, v int64) []byte { return AppendUint(append(b, '-'), -uint64(v)) }

// AppendSeconds appends ns nanoseconds as seconds with 9 decimals, trailing zeros
// trimmed (at least one decimal kept), the JSON form: 0.000123456, 1.5; -1 (not
// measurable) stays -1.
func AppendSeconds(b []byte, ns int64) []byte {
	if ns == -1 {
		return append(b, '-', '1')
	}
	u := uint64(ns)
	if ns < 0 {
		b = append(b, '-')
		u = -u
	}
	if sec := u / 1e9; sec < 100 {
		// Seconds since the first packet: small, and of the same magnitude from one
		// record to the next.
		b = AppendUint8(b, uint8(sec))
	} else {
		b = AppendUint(b, sec)
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

// AppendSecondsFixed appends ns nanoseconds as seconds with prec decimals (0 to 9,
// rounded down), the packet line's time: 0.000351. A negative span is written "-".
func AppendSecondsFixed(b []byte, ns int64, prec int) []byte {
	if ns < 0 {
		return append(b, '-')
	}
	b = AppendUint(b, uint64(ns)/1e9)
	if prec == 0 {
		return b
	}
	frac := uint64(ns) % 1e9
	var digits [9]byte
	digits[0] = byte('0' + frac/1e8)
	binary.LittleEndian.PutUint64(digits[1:], digits8(frac%1e8))
	b = append(b, '.')
	return append(b, digits[:prec]...)
}
