package segscope_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/text"
	"github.com/segscope/segscope/report"
)

// sliceSource hands out frames once.
type sliceSource struct {
	frames []capture.Frame
	n      int
}

func (s *sliceSource) Next() (capture.Frame, error) {
	if s.n == len(s.frames) {
		return capture.Frame{}, io.EOF
	}
	s.n++
	return s.frames[s.n-1], nil
}

func (s *sliceSource) Close() error { return nil }

// connSink keeps the conn records.
type connSink struct {
	countSink
	conns []report.Conn
}

func (s *connSink) Conn(c *report.Conn) error { s.conns = append(s.conns, *c); return nil }

// TestMalformedListed breaks the IPv4 header of two frames of a real capture (header
// length 4 bytes, impossible) and checks that `packets` lists them by frame number, a
// "malformed" record in JSON and a line in text, the same with one worker and with three.
func TestMalformedListed(t *testing.T) {
	src, err := capture.OpenFiles([]string{"testdata/pcaps/keepalive.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	var frames []capture.Frame
	for {
		f, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Data = append([]byte(nil), f.Data...)
		if f.Frame == 5 || f.Frame == 9 {
			f.Data[14] = 0x41 // Ethernet, then IPv4 with IHL 1
		}
		frames = append(frames, f)
	}
	src.Close()
	var outs []string
	for _, workers := range []int{1, 3} {
		var js, txt bytes.Buffer
		sum, err := segscope.Run(context.Background(), &sliceSource{frames: frames}, jsonl.New(&js), segscope.Config{Mode: segscope.ModePackets, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := segscope.Run(context.Background(), &sliceSource{frames: frames}, text.New(&txt), segscope.Config{Mode: segscope.ModePackets, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		if sum.Malformed != 2 {
			t.Errorf("workers %d: summary counts %d malformed, want 2", workers, sum.Malformed)
		}
		for _, want := range []string{`{"type":"malformed","frame":5,"ts":"2026-11-27T18:41:20.314344000Z","rel":0.000152,`, `{"type":"malformed","frame":9,`, `"layer":"ipv4"}`} {
			if !strings.Contains(js.String(), want) {
				t.Errorf("workers %d: JSON has no %s:\n%s", workers, want, tail(js.String()))
			}
		}
		if !strings.Contains(txt.String(), "     5 0.000152 malformed frame (ipv4 header)\n") {
			t.Errorf("workers %d: text has no line for frame 5:\n%s", workers, tail(txt.String()))
		}
		outs = append(outs, js.String()+txt.String())
	}
	if outs[0] != outs[1] {
		t.Errorf("3 workers differ from 1")
	}
}

func tail(s string) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(len(l)-4, 0):], "\n")
}

// TestSnaplenInsideOptions cuts the SYN and the SYN-ACK of a real capture inside their
// TCP options (as a snaplen of 60 bytes does: 14 + 20 + 20 + 6 of the 20 option bytes):
// the segments are kept as truncated, the MSS that fits and the handshake time survive.
func TestSnaplenInsideOptions(t *testing.T) {
	src, err := capture.OpenFiles([]string{"testdata/pcaps/get-simple.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	var frames []capture.Frame
	for {
		f, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Data = append([]byte(nil), f.Data...)
		if f.Frame <= 2 {
			f.Data = f.Data[:60] // OrigLen stays: the snaplen cut it
		}
		frames = append(frames, f)
	}
	src.Close()
	rec := &connSink{}
	sum, err := segscope.Run(context.Background(), &sliceSource{frames: frames}, rec, segscope.Config{Mode: segscope.ModeConns})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.conns) != 1 {
		t.Fatalf("%d connections, want 1", len(rec.conns))
	}
	c := rec.conns[0]
	if c.MSS != [2]int{1460, 1460} || c.HandshakeRTT <= 0 || c.Packets.C2S+c.Packets.S2C != uint64(len(frames)) || sum.Truncated != 2 {
		t.Errorf("conn: mss %v rtt %v packets %d/%d, summary %d truncated; want mss 1460/1460, a handshake RTT, all %d frames, 2 truncated",
			c.MSS, c.HandshakeRTT, c.Packets.C2S, c.Packets.S2C, sum.Truncated, len(frames))
	}
}
