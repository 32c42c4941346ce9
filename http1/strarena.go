package http1

import "unsafe"

// strArena makes the parser's strings (start lines, header blocks) from append-only
// chunks: one allocation per chunk instead of one per message. Bytes once written to a
// chunk are never written again (a full chunk is replaced, never reset), so the strings
// cut from it are as immutable as any Go string; a chunk stays alive, like any array, as
// long as one of its strings does.
//
// A connection's first chunk is small and each next one twice as large, up to
// arenaChunkMax: an open connection with a message or two pins little more than its
// strings, and a long keep-alive connection makes one allocation per many messages.
type strArena struct {
	buf  []byte
	next int // size of the next chunk (0: arenaChunkMin)
}

const (
	arenaChunkMin = 512
	arenaChunkMax = 4 << 10
	arenaMax      = 1 << 10 // longer strings get an allocation of their own
)

// string returns a string with the bytes of b.
func (a *strArena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaMax {
		return string(b)
	}
	if len(b) > cap(a.buf)-len(a.buf) {
		n := max(a.next, arenaChunkMin)
		for n < len(b) {
			n *= 2
		}
		a.buf = make([]byte, 0, n)
		a.next = min(2*n, arenaChunkMax)
	}
	off := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[off], len(b))
}

// restart makes the next chunk a small one again (a new connection); the current chunk's
// room is still used first.
func (a *strArena) restart() { a.next = 0 }
