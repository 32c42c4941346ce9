package jsonl

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// The fast encoders are checked against strconv, time and the byte-at-a-time string
// escaper they replace.

var intCases = []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 1e9 - 1, 1e9,
	4294967295, 1<<53 + 1, 1e19 - 1, 1e19, math.MaxInt64, math.MaxUint64}

func TestAppendU64(t *testing.T) {
	for _, v := range intCases {
		checkU64(t, v)
	}
	for p := uint64(1); p < 1e19; p *= 10 {
		checkU64(t, p-1)
		checkU64(t, p)
		checkU64(t, p+1)
	}
}

func checkU64(t *testing.T, v uint64) {
	t.Helper()
	if got, want := string(appendU64([]byte("x"), v)), strconv.AppendUint([]byte("x"), v, 10); got != string(want) {
		t.Errorf("appendU64(%d) = %s, want %s", v, got, want)
	}
	i := int64(v)
	if got, want := string(appendI64([]byte("x"), i)), strconv.AppendInt([]byte("x"), i, 10); got != string(want) {
		t.Errorf("appendI64(%d) = %s, want %s", i, got, want)
	}
}

func FuzzAppendU64(f *testing.F) {
	for _, v := range intCases {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) { checkU64(t, v) })
}

// refSeconds is AppendSeconds as it was first written: through strconv and a
// nine-digit buffer.
func refSeconds(b []byte, d report.Duration) []byte {
	if d == -1 {
		return append(b, '-', '1')
	}
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	b = strconv.AppendInt(b, int64(d)/1e9, 10)
	frac := int64(d) % 1e9
	b = append(b, '.')
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 9
	for n > 1 && digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}

func FuzzAppendSeconds(f *testing.F) {
	for _, d := range []int64{0, 1, -1, -2, 10, 1e9, 1e9 + 1, 1500000000, 123456789012, math.MaxInt64} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d int64) {
		if d == math.MinInt64 {
			return // has no positive counterpart; the reference wrote garbage for it
		}
		got, want := AppendSeconds(nil, report.Duration(d)), refSeconds(nil, report.Duration(d))
		if string(got) != string(want) {
			t.Errorf("AppendSeconds(%d) = %s, want %s", d, got, want)
		}
		if d != -1 && !json.Valid(got) {
			t.Errorf("AppendSeconds(%d) = %s, not a JSON number", d, got)
		}
	})
}

func FuzzAppendTS(f *testing.F) {
	for _, ts := range []int64{0, 1, -1, 1700000000123456789, 1700000000999999999, 1700000001000000000, -1e9} {
		f.Add(ts, int64(0))
	}
	f.Fuzz(func(t *testing.T, ts, prev int64) {
		var c timeCache
		c.appendTS(nil, report.Time(prev)) // leave another second in the cache
		got := string(c.appendTS(nil, report.Time(ts)))
		sec, nsec := ts/1e9, ts%1e9
		if nsec < 0 {
			sec, nsec = sec-1, nsec+1e9
		}
		want := `"` + time.Unix(sec, nsec).UTC().Format("2006-01-02T15:04:05.000000000Z") + `"`
		if got != want {
			t.Errorf("appendTS(%d) = %s, want %s", ts, got, want)
		}
	})
}

// refString is appendString before the fast path: one byte at a time.
func refString(b []byte, s string) []byte { return appendStringSlow(append(b, '"'), s, 0) }

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "10.0.0.1:80", "[fd77::2]:80", "a\"b", "\\", "\x00", "\x7f", "é", "\xff",
		"a\u2028b", "retransmission", "GET /a b\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString([]byte("x"), s)
		if want := refString([]byte("x"), s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got[1:], &back); err != nil {
			t.Fatalf("appendString(%q) = %s: not JSON: %v", s, got, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("appendString(%q) decodes to %q", s, back)
		}
	})
}

// TestSinkFlushes checks that the Sink writes while it runs, with a buffer that does
// not grow, and that a write error sticks.
func TestSinkFlushes(t *testing.T) {
	seg := report.Segment{Frame: 1, Dir: "c2s", Src: "10.0.0.1:1", Dst: "10.0.0.2:80", Flags: tcp.SYN}
	var out bytes.Buffer
	s := New(&out)
	c := cap(s.buf)
	n := 0
	for out.Len() == 0 {
		if err := s.Segment(&seg); err != nil {
			t.Fatal(err)
		}
		if n++; n > 100000 {
			t.Fatal("nothing written after 100000 records")
		}
	}
	if cap(s.buf) != c {
		t.Errorf("buffer grew from %d to %d", c, cap(s.buf))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(out.Bytes(), []byte("\n")); lines != n {
		t.Errorf("%d lines written, want %d", lines, n)
	}

	s = New(failWriter{})
	var err error
	for i := 0; i < n && err == nil; i++ {
		err = s.Segment(&seg)
	}
	if err != io.ErrClosedPipe || s.Close() != io.ErrClosedPipe {
		t.Errorf("after a failed write: %v, want %v", err, io.ErrClosedPipe)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// benchSeg is a typical data segment of the benchmark capture.
var benchSeg = report.Segment{Frame: 500001, TS: 1795803282344799000, Rel: 7663660000, Conn: 11357, Dir: "s2c",
	Src: "10.213.77.1:8080", Dst: "10.213.77.2:42076", Flags: tcp.ACK, Seq: 28961, Ack: 375,
	SeqRaw: 1568988424, AckRaw: 1917245546, Len: 1448, Win: 64, WinScaled: 65536,
	IP:        report.IP{Version: 4, ID: 33654, TTL: 64, TotalLen: 1500, HdrLen: 20, DF: true},
	TCPHdrLen: 32, Options: report.Options{TSVal: 245653919, TSEcr: 284859987, HasTS: true},
	FrameLen: 1514}

// BenchmarkSegment measures the encoder alone, one typical record per iteration.
func BenchmarkSegment(b *testing.B) {
	s := New(io.Discard)
	r := benchSeg
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r.Frame++
		r.TS += 1000
		s.Segment(&r)
		n++
	}
	enc, _ := s.enc.appendSegment(nil, &r, true)
	b.SetBytes(int64(len(enc) + 2))
}

// TestPlain8 puts every byte value at every position of plain backgrounds, next to
// every other byte value: plain8 must agree with jsonSafe byte by byte.
func TestPlain8(t *testing.T) {
	for _, bg := range []byte{' ', 'a', '!', '#', '[', ']', '~', 0x7f} {
		for c := 0; c < 256; c++ {
			for pos := 0; pos < 8; pos++ {
				for d := 0; d < 256; d += 1 + 6*(pos&1) {
					var w [8]byte
					for i := range w {
						w[i] = bg
					}
					w[pos] = byte(c)
					w[(pos+1)%8] = byte(d)
					want := true
					for _, x := range w {
						want = want && jsonSafe[x]
					}
					if got := plain8(leUint64(string(w[:]))); got != want {
						t.Fatalf("plain8(%q) = %v, want %v", w, got, want)
					}
				}
			}
		}
	}
}

func TestAppendU8(t *testing.T) {
	for v := 0; v < 256; v++ {
		if got, want := string(appendU8([]byte("x"), uint8(v))), "x"+strconv.Itoa(v); got != want {
			t.Errorf("appendU8(%d) = %s, want %s", v, got, want)
		}
	}
}
