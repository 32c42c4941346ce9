// Package flow names the endpoints and directions of TCP connections: an Endpoint is a
// netip.AddrPort, a Tuple is one direction (source to destination), a Key is the
// canonical, direction-free identity of a connection, and Dir says which way a segment
// went once the client and server are known. It owns no state and imports only the
// standard library.
package flow

import (
	"encoding/binary"
	"net/netip"
)

// Endpoint is one side of a connection: an IP address and a TCP port.
type Endpoint = netip.AddrPort

// Tuple is a directed 4-tuple: the segment went from Src to Dst.
type Tuple struct {
	Src, Dst Endpoint
}

// Key is the canonical form of a 4-tuple: A is the lesser endpoint, B the greater, so both
// directions of a connection share one Key. It is comparable and used as a map key.
type Key struct {
	A, B Endpoint
}

// Key returns the canonical key of t and whether t runs from B to A (swapped).
func (t Tuple) Key() (k Key, swapped bool) {
	if less(t.Dst, t.Src) {
		return Key{A: t.Dst, B: t.Src}, true
	}
	return Key{A: t.Src, B: t.Dst}, false
}

func less(a, b Endpoint) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Port() < b.Port()
}

// Hash returns a symmetric hash of the tuple: both directions hash alike. It is used
// to shard connections between workers; it allocates nothing.
func (t Tuple) Hash() uint64 {
	return mix(hashEP(t.Src) + hashEP(t.Dst))
}

func hashEP(e Endpoint) uint64 {
	a := e.Addr().As16()
	lo := binary.LittleEndian.Uint64(a[:8])
	hi := binary.LittleEndian.Uint64(a[8:])
	return lo*0x9e3779b97f4a7c15 + hi*0xc2b2ae3d27d4eb4f + uint64(e.Port())*0x165667b19e3779f9
}

// mix is MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Dir is the direction of a segment within a connection.
type Dir uint8

const (
	C2S Dir = 0 // client to server
	S2C Dir = 1 // server to client
)

// Other returns the opposite direction.
func (d Dir) Other() Dir { return d ^ 1 }

// String returns "c2s" or "s2c", the JSON contract's spelling.
func (d Dir) String() string {
	if d == S2C {
		return "s2c"
	}
	return "c2s"
}
