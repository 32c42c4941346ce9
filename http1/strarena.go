package http1

import "unsafe"

// strArena makes the parser's strings (start lines, header blocks) from append-only
// chunks: one allocation per chunk instead of one per message. Bytes once written to a
// chunk are never written again (a full chunk is replaced, never reset), so the strings
// cut from it are as immutable as any Go string; a chunk stays alive, like any array, as
// long as one of its strings does.
type strArena struct {
	buf []byte
}

const (
	arenaChunk = 2 << 10 // small: every pooled parser keeps one
	arenaMax   = 512     // longer strings get an allocation of their own
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
		a.buf = make([]byte, 0, arenaChunk)
	}
	off := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[off], len(b))
}
