package http1

import (
	"bytes"
	"strconv"
	"testing"
)

// TestStrArena checks that strings cut from the arena keep their bytes while the arena
// goes on (the buffer they came from is reused by the caller, chunks fill and are
// replaced), for short and long strings.
func TestStrArena(t *testing.T) {
	var a strArena
	var got []string
	var want []string
	buf := make([]byte, 0, 2*arenaMax)
	for i := range 3000 {
		n := i % 97
		if i%250 == 0 {
			n = arenaMax + i%7 // own allocation
		}
		buf = append(buf[:0], bytes.Repeat([]byte{byte('a' + i%26)}, n)...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		got = append(got, a.string(buf))
		want = append(want, string(buf))
		clear(buf) // the caller reuses its buffer
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d changed: %q, want %q", i, got[i], want[i])
		}
	}
	if a.string(nil) != "" {
		t.Error("empty input gave a non-empty string")
	}
	if n := testing.AllocsPerRun(1000, func() { _ = a.string([]byte("GET / HTTP/1.1")) }); n > 0.01 {
		t.Errorf("%v allocations per string, want about 1 per %d bytes", n, arenaChunkMax)
	}
}
