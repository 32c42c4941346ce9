package jsonl

import (
	"bytes"
	"io"
	"testing"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// TestEncoderMatchesSink renders records through Encoders, with the connection ID put in
// at connAt, and through the Sink: the bytes must be the same. The records cross
// seconds, so that each Encoder's time cache is refilled, and the Encoders render in an
// order the Sink does not see.
func TestEncoderMatchesSink(t *testing.T) {
	segs := []report.Segment{benchSeg, benchSeg, benchSeg}
	segs[1].TS += 3e9
	segs[1].Conn = 7
	segs[2].Conn = 1 << 40
	segs[2].Options = report.Options{}
	conn := report.Conn{Conn: 12, Client: "10.0.0.1:1", Server: "10.0.0.2:80", Start: 1700000000123456789,
		End: 1700000005000000000, State: "closed", Close: "fin", Reused: true, TupleIndex: 2}
	h := report.HTTP{Conn: 99, Depth: 2, TS: 1700000001000000001, Method: "GET", URI: "/x", Status: 200,
		Interim: []int{100}, Verdict: "complete", Anomalies: []string{"bare_lf"}, Upgrade: "websocket"}

	var want bytes.Buffer
	s := New(&want)
	for i := range segs {
		s.Segment(&segs[i])
	}
	s.Conn(&conn)
	s.HTTP(&h)
	s.Close()

	// Two Encoders, each rendering every other record (the second one backwards).
	var encs [2]report.Encoder = [2]report.Encoder{s.NewEncoder(), s.NewEncoder()}
	type part struct {
		b      []byte
		connAt int
		id     uint64
	}
	parts := make([]part, len(segs)+2)
	render := func(i int) {
		e := encs[i%2]
		var p part
		switch {
		case i < len(segs):
			p.b, p.connAt = e.AppendSegment(nil, &segs[i])
			p.id = segs[i].Conn
		case i == len(segs):
			p.b, p.connAt = e.AppendConn(nil, &conn)
			p.id = conn.Conn
		default:
			p.b, p.connAt = e.AppendHTTP(nil, &h)
			p.id = h.Conn
		}
		parts[i] = p
	}
	for i := 0; i < len(parts); i += 2 {
		render(i)
	}
	for i := len(parts) - 1 - len(parts)%2; i >= 1; i -= 2 {
		render(i)
	}
	var got bytes.Buffer
	s = New(&got)
	for _, p := range parts {
		b := append([]byte{}, p.b[:p.connAt]...)
		b = encs[0].AppendConnID(b, p.id)
		b = append(b, p.b[p.connAt:]...)
		if err := s.WriteRendered(b); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("rendered by Encoders:\n%s\nby the Sink:\n%s", got.Bytes(), want.Bytes())
	}
}

// TestWriteRendered checks that WriteRendered keeps the order of what the Sink buffered,
// writes large inputs through, and keeps the first write error.
func TestWriteRendered(t *testing.T) {
	seg := report.Segment{Frame: 1, Dir: "c2s", Src: "10.0.0.1:1", Dst: "10.0.0.2:80", Flags: tcp.SYN}
	var ref bytes.Buffer
	rs := New(&ref)
	rs.Segment(&seg)
	rs.Close()
	line := ref.Bytes()

	big := bytes.Repeat([]byte("x\n"), flushAt)
	var out bytes.Buffer
	s := New(&out)
	s.Segment(&seg)
	if err := s.WriteRendered([]byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRendered(big); err != nil {
		t.Fatal(err)
	}
	s.Segment(&seg)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := append(append(append(append([]byte{}, line...), "a\n"...), big...), line...)
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("WriteRendered: %d bytes out, want %d (order kept)", out.Len(), len(want))
	}

	s = New(failWriter{})
	if err := s.WriteRendered(big); err != io.ErrClosedPipe {
		t.Errorf("WriteRendered to a failing writer = %v, want %v", err, io.ErrClosedPipe)
	}
	if err := s.Segment(&seg); err != io.ErrClosedPipe {
		t.Errorf("Segment after a failed write = %v, want %v", err, io.ErrClosedPipe)
	}
	if err := s.WriteRendered([]byte("a\n")); err != io.ErrClosedPipe || s.Close() != io.ErrClosedPipe {
		t.Errorf("after a failed write: %v, want %v", err, io.ErrClosedPipe)
	}
}

var _ report.EncodingSink = (*Sink)(nil)
