package reassembly

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps Conn within the 896-byte allocation size class: every open
// connection is one.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 896 {
		t.Errorf("unsafe.Sizeof(Conn{}) = %d, want <= 896 (Go's size class; the next is 1024)", n)
	}
}

// TestTombSize keeps a tombstone within the 240-byte allocation size class: every
// connection closed within ClosedLinger stays in the table as one, so its size (plus
// about 27 bytes of map entry) is most of the tracker's memory on a capture with many
// short connections.
func TestTombSize(t *testing.T) {
	if n := unsafe.Sizeof(tomb{}); n > 240 {
		t.Errorf("unsafe.Sizeof(tomb{}) = %d, want <= 240 (Go's size class; the next is 256)", n)
	}
	if n := unsafe.Sizeof(tombDir{}); n != 64 {
		t.Errorf("unsafe.Sizeof(tombDir{}) = %d, want 64", n)
	}
}
