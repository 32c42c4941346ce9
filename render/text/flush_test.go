package text

import (
	"bytes"
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
