package reassembly

import (
	"fmt"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
)

// ackLog records, for every OnData, the bytes' offset and DataAck, and the FIN offsets
// the tracker accepted at each OnSegment.
type ackLog struct {
	nopHandler
	data []string
	fins []string
}

func (l *ackLog) OnData(c *Conn, d flow.Dir, off uint64, b []byte, frame uint64, _ int64) {
	a, ok := c.DataAck()
	l.data = append(l.data, fmt.Sprintf("%s %d+%d #%d ack %d %v", d, off, len(b), frame, a, ok))
}

func (l *ackLog) OnSegment(c *Conn, d flow.Dir, seg *decode.Segment, _ *SegInfo) {
	if off, ok := c.Dir[d].FINOffset(); ok {
		l.fins = append(l.fins, fmt.Sprintf("#%d %s fin at %d", seg.Frame, d, off))
	}
}

// TestDataAckAndFINOffset: in-order bytes carry their own segment's acknowledgement,
// bytes held out of order the one of the segment that brought them (not of the one that
// filled the hole); a FIN counts from the segment the tracker accepted it in.
func TestDataAckAndFINOffset(t *testing.T) {
	v := newConv()
	segs := cat(v.handshake(), []*decode.Segment{
		v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"),     // #4: client bytes 0-18, acks 0 of the server's
		v.s(A, 1, 19, "HTTP/1.1 200 OK\r\n"),        // #5: server bytes 0-17, acks 18
		v.s(PA, 39, 19, "body"),                     // #6: out of order (hole 17-38), acks 18
		v.c(A, 19, 18, ""),                          // #7
		v.s(A, 18, 30, "Content-Length: 4\r\n\r\n"), // #8: fills the hole, acks 29 (a made-up later ack)
		v.s(FA, 43, 19, ""),                         // #9: FIN at 42
	})
	l := &ackLog{}
	tr := NewTracker(Config{}, l)
	for _, s := range segs {
		tr.Add(s)
	}
	want := []string{
		"c2s 0+18 #4 ack 0 true",
		"s2c 0+17 #5 ack 18 true",
		"s2c 17+21 #8 ack 29 true",
		"s2c 38+4 #6 ack 18 true",
	}
	if fmt.Sprint(l.data) != fmt.Sprint(want) {
		t.Errorf("OnData:\n%v\nwant\n%v", l.data, want)
	}
	if len(l.fins) != 1 || l.fins[0] != "#9 s2c fin at 42" {
		t.Errorf("FIN offsets %v, want [#9 s2c fin at 42]", l.fins)
	}
}
