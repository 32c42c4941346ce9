// Package tcpseq does 32-bit TCP sequence-number arithmetic (RFC 9293 §3.4, serial number
// arithmetic as in RFC 1982) and unwraps sequence numbers to 64-bit stream offsets. It is
// the only place in segscope where raw sequence numbers are compared.
package tcpseq

// Seq is a TCP sequence or acknowledgement number.
type Seq uint32

// Add returns s advanced by n bytes, modulo 2^32.
func (s Seq) Add(n uint32) Seq { return s + Seq(n) }

// Diff returns s - t as a signed distance, valid when the two are within 2^31 of each other.
func (s Seq) Diff(t Seq) int32 { return int32(s - t) }

// LessThan reports whether s comes before t in sequence space.
func (s Seq) LessThan(t Seq) bool { return int32(s-t) < 0 }

// LessEq reports whether s comes before or equals t.
func (s Seq) LessEq(t Seq) bool { return int32(s-t) <= 0 }

// InWindow reports whether s lies in [start, start+size).
func (s Seq) InWindow(start Seq, size uint32) bool {
	return uint32(s-start) < size
}

// Unwrapper turns 32-bit sequence numbers of one direction into 64-bit offsets from a base
// (normally ISN+1, so the first data byte is offset 0). It follows the stream across
// wrap-around, as long as successive numbers stay within 2^31 of the last one seen.
type Unwrapper struct {
	base Seq
	last uint64 // last unwrapped offset, plus 2^32 bias so small negatives stay representable
}

const bias = 1 << 32

// Reset sets the base: Unwrap(base) will be 0.
func (u *Unwrapper) Reset(base Seq) {
	u.base = base
	u.last = bias
}

// Unwrap returns s as a signed 64-bit offset from the base. Numbers slightly before the
// base (a keep-alive at ISN, or the SYN itself) give small negative offsets.
func (u *Unwrapper) Unwrap(s Seq) int64 {
	cur := Seq(uint32(u.last)) + u.base
	d := int64(s.Diff(cur))
	v := int64(u.last) + d
	if v < 0 {
		v = 0
	}
	if d > 0 {
		u.last = uint64(v)
	}
	return v - bias
}
