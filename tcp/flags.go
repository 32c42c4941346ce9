// Package tcp is the typed TCP vocabulary shared by decode, reassembly, analysis, report
// and the renderers: the header flags of a segment (Flags) and the analysis classes the
// reassembler gives it (Class), each with its names and its text. It imports only the
// standard library and parses nothing: decode reads flags from headers, reassembly
// decides the classes.
//
// A value stays typed from decode to the renderer: JSON writes the names (MarshalJSON,
// AppendJSON), text writes tcpdump's letters (AppendLetters) and Wireshark's class names.
package tcp

import "strings"

// Flags is the set of TCP header flags of a segment.
type Flags uint16

// The flags, with the bit values of the header's flag byte (NS is bit 8).
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
	NS // the old ECN nonce bit (RFC 3540, historic)
)

var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}

// nameOrder is the order of Names and of the JSON contract: SYN, ACK, PSH, FIN, RST,
// URG, ECE, CWR, NS.
var nameOrder = [...]Flags{SYN, ACK, PSH, FIN, RST, URG, ECE, CWR, NS}

// Has reports whether every flag of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Any reports whether at least one flag of g is set in f.
func (f Flags) Any(g Flags) bool { return f&g != 0 }

// Names appends the flag names to dst in the JSON contract's order (SYN, ACK, PSH, FIN,
// RST, URG, ECE, CWR, NS) and returns it.
func (f Flags) Names(dst []string) []string {
	for _, g := range nameOrder {
		if f&g != 0 {
			dst = append(dst, g.name())
		}
	}
	return dst
}

func (f Flags) name() string {
	for i := range flagNames {
		if f == 1<<i {
			return flagNames[i]
		}
	}
	return "?"
}

// AppendJSON appends the flags as a JSON array of names, in Names' order.
func (f Flags) AppendJSON(b []byte) []byte {
	b = append(b, '[')
	first := true
	for _, g := range nameOrder {
		if f&g == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, g.name()...)
		b = append(b, '"')
	}
	return append(b, ']')
}

// MarshalJSON writes the flags as a JSON array of names, as AppendJSON does.
func (f Flags) MarshalJSON() ([]byte, error) { return f.AppendJSON(nil), nil }

// letters are tcpdump's flag letters in its order; ACK is the '.' after them.
var letters = [...]struct {
	f Flags
	c byte
}{{SYN, 'S'}, {FIN, 'F'}, {PSH, 'P'}, {RST, 'R'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'}}

// AppendLetters appends the flags as tcpdump prints them inside [...]: S, F, P, R, U, E,
// W, then "." for ACK ("S." is SYN-ACK), or "none". NS is not shown.
func (f Flags) AppendLetters(b []byte) []byte {
	n := len(b)
	for _, x := range letters {
		if f&x.f != 0 {
			b = append(b, x.c)
		}
	}
	if f&ACK != 0 {
		b = append(b, '.')
	}
	if len(b) == n {
		b = append(b, "none"...)
	}
	return b
}

// Short returns the flags as tcpdump prints them inside [...] (AppendLetters).
func (f Flags) Short() string { return string(f.AppendLetters(nil)) }

// String returns the flag names joined by "|".
func (f Flags) String() string {
	var buf [len(flagNames)]string
	return strings.Join(f.Names(buf[:0]), "|")
}
