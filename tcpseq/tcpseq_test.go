package tcpseq

import (
	"math/rand"
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		name     string
		a, b     Seq
		less, le bool
	}{
		{"plain", 1, 2, true, true},
		{"equal", 7, 7, false, true},
		{"greater", 9, 3, false, false},
		{"across wrap", 0xfffffff0, 0x10, true, true},
		{"across wrap reversed", 0x10, 0xfffffff0, false, false},
		{"half space", 0, 0x7fffffff, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.LessThan(tc.b); got != tc.less {
				t.Errorf("LessThan(%#x, %#x) = %v, want %v", tc.a, tc.b, got, tc.less)
			}
			if got := tc.a.LessEq(tc.b); got != tc.le {
				t.Errorf("LessEq(%#x, %#x) = %v, want %v", tc.a, tc.b, got, tc.le)
			}
		})
	}
}

func TestInWindow(t *testing.T) {
	if !Seq(0xfffffffe).InWindow(0xfffffff0, 100) || Seq(0x60).InWindow(0xfffffff0, 100) {
		t.Error("InWindow across the wrap is wrong")
	}
	if Seq(5).InWindow(5, 0) {
		t.Error("an empty window holds nothing")
	}
}

// TestUnwrap walks a stream of several GiB in random steps, starting just below the
// wrap, and checks every unwrapped offset, including small steps back (retransmissions).
func TestUnwrap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	base := Seq(0xffff0000)
	var u Unwrapper
	u.Reset(base)
	if got := u.Unwrap(base - 1); got != -1 {
		t.Fatalf("Unwrap(ISN) = %d, want -1", got)
	}
	var off int64
	for i := 0; i < 200000; i++ {
		off += int64(rng.Intn(64 << 10))
		if got := u.Unwrap(base.Add(uint32(off))); got != off {
			t.Fatalf("step %d: Unwrap = %d, want %d", i, got, off)
		}
		back := off - int64(rng.Intn(1<<20))
		if back >= 0 {
			if got := u.Unwrap(base.Add(uint32(back))); got != back {
				t.Fatalf("step %d: Unwrap(back) = %d, want %d", i, got, back)
			}
		}
	}
	if off < 1<<32 {
		t.Fatalf("walk too short to cross the wrap again: %d", off)
	}
}
