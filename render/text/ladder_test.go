package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

func ev(frame uint64, rel report.Duration, dir string, flags tcp.Flags, seq, ack uint32, n int, notes ...string) report.Event {
	return report.Event{Conn: 1, Frame: frame, Rel: rel, Dir: dir, Flags: flags, Seq: seq, Ack: ack, Len: n, Win: 64256, Notes: notes}
}

func ladderCase() []report.Event {
	syn := tcp.SYN
	synack := tcp.SYN | tcp.ACK
	fin := tcp.ACK | tcp.FIN
	evs := []report.Event{
		ev(1, 0, "c2s", syn, 0, 0, 0, "client 10.0.0.1:40000, server 10.0.0.2:80", "handshake: SYN [mss 1460,sackOK,TS,wscale 7]"),
		ev(2, msec, "s2c", synack, 0, 1, 0, "handshake: SYN-ACK (1.00 ms after the SYN) [mss 1460,sackOK,TS,wscale 7]"),
		ev(3, msec+msec/20, "c2s", ack, 1, 1, 0, "handshake complete (RTT 1.05 ms, SYN to ACK)"),
		ev(4, msec+msec/10, "c2s", pack, 1, 1, 38, "GET /x (request 1)"),
		ev(5, 42*msec, "s2c", ack, 1, 39, 0, "ACK after 41.0 ms (delayed ACK?)"),
		ev(6, 43*msec, "s2c", ack, 1, 39, 1448, "200 OK (response 1, 57,920 bytes)"),
		ev(7, 43*msec+msec/10, "s2c", ack, 1449, 39, 1448),
		{Conn: 1, Frame: 8, Rel: 43*msec + msec/5, Dir: "s2c", Seq: 2897, Ack: 39, Win: 64256, Collapsed: 36, CollapsedBytes: 52128,
			Notes: []string{"frames 8-60 over 4.10 ms, with 17 ACK-only segments from the client"}},
		ev(61, 48*msec, "s2c", pack, 55025, 39, 1448, "end of response 1"),
		ev(62, 48*msec+msec/10, "c2s", ack, 39, 57921, 0),
		ev(63, 53*msec, "c2s", fin, 39, 57921, 0, "FIN: client closes first -> client holds TIME_WAIT"),
		ev(64, 54*msec, "s2c", fin, 57921, 40, 0, "FIN: server closes too (passive close)"),
		ev(65, 54*msec+msec/20, "c2s", ack, 40, 57922, 0, "ACK of the server's FIN: closed; the client now holds TIME_WAIT"),
	}
	// A second connection, without the endpoints note and with a retransmission.
	e := ev(3, 2*report.Duration(1e9)+212*msec, "s2c", pack, 4294967000, 4294967001, 1448, "retransmission of frame 2 (after 212 ms)")
	e.Conn = 2
	e.Class = tcp.ClassRetransmission
	evs = append(evs, e)
	return evs
}

func TestLadderGolden(t *testing.T) {
	var out bytes.Buffer
	s := New(&out)
	evs := ladderCase()
	for i := range evs {
		if err := s.Event(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	golden(t, "ladder", out.Bytes())
}

func TestWrapNotes(t *testing.T) {
	tests := []struct {
		name  string
		notes []string
		want  []string
	}{
		{"none", nil, nil},
		{"fits", []string{"window update"}, []string{"window update"}},
		{"two notes", []string{"GET / (request 1)", "zero window"}, []string{"GET / (request 1);", "zero window"}},
		{"long word", []string{strings.Repeat("x", 25)}, []string{strings.Repeat("x", 20), "xxxxx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapNotes(tt.notes, 20)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrapNotes(%q, 20) = %q, want %q", tt.notes, got, tt.want)
			}
		})
	}
}
