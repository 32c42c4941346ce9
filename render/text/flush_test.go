package text

import (
	"bytes"
	"errors"
	"testing"

	"github.com/segscope/segscope/report"
)

// TestFlushEach checks that with FlushEach every line (Sink) and every call (Follow)
// reaches the writer at once, and without it output waits for the buffer to fill.
func TestFlushEach(t *testing.T) {
	for _, each := range []bool{false, true} {
		var out bytes.Buffer
		s := New(&out)
		s.FlushEach = each
		if err := s.Conn(&report.Conn{Conn: 1, Client: "10.0.0.1:1", Server: "10.0.0.2:80", State: "closed/closed", Close: "fin"}); err != nil {
			t.Fatal(err)
		}
		if got := out.Len() > 0; got != each {
			t.Errorf("Sink, FlushEach %v: line written before Close: %v", each, got)
		}

		out.Reset()
		f := NewFollow(&out, FollowText)
		f.FlushEach = each
		if err := f.StreamData(1, "c2s", 0, []byte("GET / HTTP/1.1\r\n")); err != nil {
			t.Fatal(err)
		}
		if got := out.Len() > 0; got != each {
			t.Errorf("Follow, FlushEach %v: data written before Flush: %v", each, got)
		}
	}
}

// TestRawFillBounded: --fill-gaps writes zeros for holes only up to the bytes delivered
// plus MaxFillSlack; a 4 GiB jump is an error, not 4 GiB of output.
func TestRawFillBounded(t *testing.T) {
	var b bytes.Buffer
	f := NewFollow(&b, FollowRaw)
	f.Dir, f.FillGaps = "c2s", true
	f.StreamData(1, "c2s", 0, []byte("abc"))
	if err := f.StreamGap(1, "c2s", 3, 10); err != nil {
		t.Fatalf("small gap: %v", err)
	}
	err := f.StreamGap(1, "c2s", 13, 4<<30)
	f.Flush()
	if !errors.Is(err, ErrGapTooLarge) {
		t.Errorf("4 GiB gap: err %v, want ErrGapTooLarge", err)
	}
	if b.Len() != 13 {
		t.Errorf("wrote %d bytes, want 13", b.Len())
	}
}
