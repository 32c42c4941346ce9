package reassembly

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps Conn within the 896-byte allocation size class: every connection
// seen within ClosedLinger stays in the table as a tombstone, so its size is most of the
// tracker's memory on a capture with many short connections.
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 896 {
		t.Errorf("unsafe.Sizeof(Conn{}) = %d, want <= 896 (Go's size class; the next is 1024)", n)
	}
}
