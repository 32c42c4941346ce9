package analysis

import (
	"strings"
	"testing"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// simpleConn is one keep-alive-less exchange: handshake, GET, a delayed ACK, a response
// of three segments, the client's ACK and a FIN exchange started by the client.
func simpleConn() *conn {
	c := newConn()
	c.handshake(ms)                            // 1-3
	c.add(ms/10, dirC2S, tcp.ACK|tcp.PSH, 38)  // 4 GET
	c.add(41*ms, dirS2C, tcp.ACK, 0)           // 5 delayed ACK
	c.add(ms, dirS2C, tcp.ACK, 1448)           // 6
	c.add(ms/10, dirS2C, tcp.ACK, 1448)        // 7
	c.add(ms/10, dirS2C, tcp.ACK|tcp.PSH, 145) // 8
	c.add(ms/10, dirC2S, tcp.ACK, 0)           // 9
	c.add(5*ms, dirC2S, tcp.ACK|tcp.FIN, 0)    // 10
	c.add(ms, dirS2C, tcp.ACK|tcp.FIN, 0)      // 11
	c.add(ms/20, dirC2S, tcp.ACK, 0)           // 12
	c.exchange(1, "GET", "/x", 200, 0, 38, 0, 3041)
	c.ci.Closer = 0
	return c
}

func notesOf(evs []report.Event, frame uint64) string {
	for _, e := range evs {
		if e.Frame == frame {
			return strings.Join(e.Notes, " | ")
		}
	}
	return "<no event>"
}

func TestLadderNotes(t *testing.T) {
	c := simpleConn()
	evs := Ladder(&c.ci, c.segs, c.xs, 0)
	if len(evs) != len(c.segs) {
		t.Fatalf("Ladder: %d events for %d segments", len(evs), len(c.segs))
	}
	want := map[uint64][]string{
		1:  {"client 10.0.0.1:40000, server 10.0.0.2:80", "handshake: SYN [mss 1460"},
		2:  {"handshake: SYN-ACK (1.00 ms after the SYN)"},
		3:  {"handshake complete (RTT 1.05 ms, SYN to ACK)"},
		4:  {"GET /x (request 1)"},
		5:  {"ACK after 41.0 ms (delayed ACK?)"},
		6:  {"200 OK (response 1, 3,041 bytes)"},
		8:  {"end of response 1"},
		9:  {""},
		10: {"FIN: client closes first -> client holds TIME_WAIT"},
		11: {"FIN: server closes too (passive close)"},
		12: {"ACK of the server's FIN: closed; the client now holds TIME_WAIT"},
	}
	for frame, subs := range want {
		got := notesOf(evs, frame)
		for _, sub := range subs {
			if sub == "" && got != "" {
				t.Errorf("frame %d notes = %q, want none", frame, got)
			}
			if !strings.Contains(got, sub) {
				t.Errorf("frame %d notes = %q, want %q in them", frame, got, sub)
			}
		}
	}
	e := evs[3]
	if e.Rel != report.Duration(ms+ms/20+ms/10) || e.Dir != "c2s" || e.Seq != 1 || e.Ack != 1 || e.Len != 38 {
		t.Errorf("event 4 = %+v", e)
	}
}

func TestLadderRetransmissionAndRST(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 500)
	c.retrans(212*ms, dirS2C, 0, 500)
	c.add(ms, dirS2C, tcp.RST, 0)
	evs := Ladder(&c.ci, c.segs, c.xs, 0)
	if got := notesOf(evs, 6); !strings.Contains(got, "retransmission of frame 5 (after 212 ms)") {
		t.Errorf("retransmission note = %q", got)
	}
	if got := notesOf(evs, 7); !strings.Contains(got, "RST: the server resets the connection (abortive close, no TIME_WAIT)") {
		t.Errorf("RST note = %q", got)
	}
}

func TestLadderCollapse(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	var total int64
	for i := range 30 {
		n := 1448
		if i == 29 {
			n = 100
		}
		total += int64(n)
		c.add(ms/10, dirS2C, tcp.ACK, n)
		if i%2 == 1 {
			c.add(ms/100, dirC2S, tcp.ACK, 0)
		}
	}
	c.exchange(1, "GET", "/", 200, 0, 38, 0, uint64(total))
	full := Ladder(&c.ci, c.segs, c.xs, 0)
	evs := Ladder(&c.ci, c.segs, c.xs, 5)
	if len(evs) >= len(full) {
		t.Fatalf("collapsed ladder has %d rows, full %d", len(evs), len(full))
	}
	var segs, collapsedRows int
	var bytes int64
	for _, e := range evs {
		switch {
		case e.Collapsed > 0:
			collapsedRows++
			segs += e.Collapsed
			bytes += e.CollapsedBytes
			if len(e.Notes) != 1 || !strings.Contains(e.Notes[0], "ACK-only segments from the client") {
				t.Errorf("collapsed notes = %q", e.Notes)
			}
		case e.Dir == "s2c" && e.Len > 0:
			segs++
			bytes += int64(e.Len)
		}
	}
	if segs != 30 || bytes != total || collapsedRows != 1 {
		t.Errorf("collapsed ladder shows %d data segments, %d bytes in %d collapsed rows; want 30, %d, 1", segs, bytes, collapsedRows, total)
	}
	// Rows: the "200 OK" row and the "end of response" row carry notes and stay; the
	// unannotated run between them takes maxRows rows.
	dataRows := 0
	for _, e := range evs {
		if e.Dir == "s2c" && (e.Len > 0 || e.Collapsed > 0) {
			dataRows++
		}
	}
	if dataRows != 1+5+1 {
		t.Errorf("data rows = %d, want 7", dataRows)
	}
}

func TestAckOffWraps(t *testing.T) {
	// A stream past 4 GiB: relative ack numbers wrap, offsets do not.
	ref := int64(1<<32 + 1000)
	if got := ackOff(uint32(ref+1+500), ref); got != ref+500 {
		t.Errorf("ackOff = %d, want %d", got, ref+500)
	}
}

// TestOffIndex compares the index lookups with a scan of the whole log, on a log with
// retransmissions, overlaps and out-of-order segments.
func TestOffIndex(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	for range 50 {
		c.add(ms, dirS2C, tcp.ACK, 100)
	}
	c.retrans(ms, dirS2C, 150, 300)  // overlaps three segments
	c.retrans(ms, dirS2C, 4000, 100) // an exact copy
	c.retrans(ms, dirS2C, 9000, 50)  // beyond the end: no original
	idx := newOffIndex(c.segs)
	for i := range c.segs {
		if c.segs[i].Len == 0 {
			continue
		}
		if got, want := idx.original(i), originalOf(c.segs, i); got != want {
			t.Errorf("original(%d) = %d, want %d", i, got, want)
		}
	}
	for off := int64(-1); off < 5100; off += 7 {
		want := -1
		for i := range c.segs {
			if s := &c.segs[i]; s.Dir == dirS2C && s.Len > 0 && s.Off <= off && off < s.end() {
				want = i
				break
			}
		}
		if got := idx.at(dirS2C, off); got != want {
			t.Errorf("at(%d) = %d, want %d", off, got, want)
		}
	}
}

func TestLadderWindowAndPipelining(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)    // 4 request 1
	c.add(ms/10, dirC2S, tcp.ACK|tcp.PSH, 38) // 5 request 2, pipelined
	c.add(ms, dirS2C, tcp.ACK, 1448)          // 6 response 1 starts
	zw := c.add(ms, dirC2S, tcp.ACK, 0, tcp.ClassZeroWindow)
	zw.Win = 0                                              // 7
	c.add(35*ms, dirC2S, tcp.ACK, 0, tcp.ClassWindowUpdate) // 8
	c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 552)                 // 9 end of response 1
	c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 100)                 // 10 response 2
	c.exchange(1, "GET", "/a", 200, 0, 38, 0, 2000)
	c.exchange(2, "GET", "/b", 200, 38, 76, 2000, 2100)
	evs := Ladder(&c.ci, c.segs, c.xs, 0)
	for frame, sub := range map[uint64]string{
		5:  "GET /b (request 2): sent before response 1 was complete (pipelined)",
		6:  "200 OK (response 1, 2,000 bytes)",
		7:  "zero window: the client's receive buffer is full",
		8:  "window update",
		9:  "end of response 1",
		10: "200 OK (response 2, 100 bytes)",
	} {
		if got := notesOf(evs, frame); !strings.Contains(got, sub) {
			t.Errorf("frame %d notes = %q, want %q in them", frame, got, sub)
		}
	}
}
