package jsonl

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// TestRoundTrip encodes records with the append encoder and decodes them with
// encoding/json: every field the contract names comes back equal.
func TestRoundTrip(t *testing.T) {
	seg := report.Segment{Frame: 4, TS: 1700000000123456789, Rel: 1500, Conn: 1, Dir: "c2s",
		Src: "10.0.0.1:40000", Dst: "[fd77::2]:80", Flags: tcp.ACK | tcp.PSH, Seq: 1, Ack: 1,
		SeqRaw: 4000000000, AckRaw: 7, Len: 84, Win: 502, WinScaled: 64256,
		IP:        report.IP{Version: 4, ID: 0x1234, TTL: 64, TotalLen: 136, HdrLen: 20, DF: true},
		TCPHdrLen: 32, Options: report.Options{MSS: 1460, SACK: [][2]uint32{{1, 2}}, TSVal: 9, TSEcr: 8, HasTS: true},
		Class: tcp.ClassRetransmission, FrameLen: 150}
	var buf bytes.Buffer
	s := New(&buf)
	if err := s.Segment(&seg); err != nil {
		t.Fatal(err)
	}
	h := report.HTTP{Conn: 1, Depth: 2, Method: "GET", URI: "/a\"b\\c\x01\xff", Status: 200,
		Interim: []int{100}, ReqFrames: report.FrameRange{4, 4}, Timing: report.Timing{Connect: -1, Wait: 123456789},
		Verdict: "complete", Anomalies: []string{"bare_lf"}, RespDecodedLen: -1}
	s.HTTP(&h)
	s.Close()
	dec := json.NewDecoder(&buf)
	var gotSeg map[string]any
	if err := dec.Decode(&gotSeg); err != nil {
		t.Fatalf("segment line is not JSON: %v", err)
	}
	want := map[string]any{"type": "segment", "frame": 4.0, "ts": "2023-11-14T22:13:20.123456789Z", "rel": 1.5e-06,
		"seq_raw": 4e9, "dst": "[fd77::2]:80", "win_scaled": 64256.0, "len": 84.0}
	for k, v := range want {
		if !reflect.DeepEqual(gotSeg[k], v) {
			t.Errorf("segment %s = %v, want %v", k, gotSeg[k], v)
		}
	}
	if o := gotSeg["options"].(map[string]any); o["mss"] != 1460.0 || o["ts_val"] != 9.0 || o["wscale"] != nil {
		t.Errorf("options = %v", o)
	}
	var gotHTTP struct {
		URI            string
		Depth, Status  int
		Interim        []int
		Verdict        string
		RespDecodedLen int64 `json:"resp_decoded_len"`
		Timing         map[string]float64
	}
	if err := dec.Decode(&gotHTTP); err != nil {
		t.Fatalf("http line is not JSON: %v", err)
	}
	// An invalid UTF-8 byte from the wire is kept recoverable as \u00ff.
	if gotHTTP.URI != "/a\"b\\c\x01\u00ff" {
		t.Errorf("uri = %q", gotHTTP.URI)
	}
	if gotHTTP.Depth != 2 || gotHTTP.Status != 200 || !reflect.DeepEqual(gotHTTP.Interim, []int{100}) ||
		gotHTTP.Verdict != "complete" || gotHTTP.RespDecodedLen != -1 || gotHTTP.Timing["connect"] != -1 || gotHTTP.Timing["wait"] != 0.123456789 {
		t.Errorf("http = %+v", gotHTTP)
	}
}

func TestAppendSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    report.Duration
		want string
	}{{0, "0.0"}, {1, "0.000000001"}, {1500000000, "1.5"}, {-1, "-1"}, {123456789012, "123.456789012"}} {
		if got := string(AppendSeconds(nil, tc.d)); got != tc.want {
			t.Errorf("AppendSeconds(%d) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

// TestSegmentAllocs proves a segment record is written without allocating.
func TestSegmentAllocs(t *testing.T) {
	seg := report.Segment{Frame: 1, Dir: "c2s", Src: "10.0.0.1:1", Dst: "10.0.0.2:80", Flags: tcp.SYN}
	s := New(io.Discard)
	if n := testing.AllocsPerRun(1000, func() { s.Segment(&seg) }); n != 0 {
		t.Errorf("Segment allocates %v per record", n)
	}
}

// TestFlushEach checks that with FlushEach every record reaches the writer at once, and
// without it records wait for the buffer to fill.
func TestFlushEach(t *testing.T) {
	for _, each := range []bool{false, true} {
		var out bytes.Buffer
		s := New(&out)
		s.FlushEach = each
		if err := s.Conn(&report.Conn{Conn: 1, Client: "10.0.0.1:1", Server: "10.0.0.2:80"}); err != nil {
			t.Fatal(err)
		}
		if got := out.Len() > 0; got != each {
			t.Errorf("FlushEach %v: record written before Close: %v", each, got)
		}
		s.Close()
		if !bytes.HasSuffix(out.Bytes(), []byte("}\n")) {
			t.Errorf("FlushEach %v: output %q", each, out.String())
		}
	}
}
