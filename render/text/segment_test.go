package text

import (
	"math"
	"strconv"
	"testing"

	"github.com/segscope/segscope/report"
)

// The fast paths of the packet line are checked against what they replaced.

func FuzzAppendDec(f *testing.F) {
	for _, v := range []uint64{0, 1, 9, 10, 99, 100, 65535, 1e8 - 1, 1e8, 4294967295, 1e16 - 1, 1e16, math.MaxUint64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		if got, want := string(appendDec([]byte("x"), v)), string(strconv.AppendUint([]byte("x"), v, 10)); got != want {
			t.Errorf("appendDec(%d) = %s, want %s", v, got, want)
		}
	})
}

// refSecs is appendSecs as first written.
func refSecs(b []byte, d report.Duration, prec int) []byte {
	if d < 0 {
		return append(b, '-')
	}
	b = strconv.AppendInt(b, int64(d)/1e9, 10)
	if prec == 0 {
		return b
	}
	frac := int64(d) % 1e9
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, '.')
	return append(b, digits[:prec]...)
}

func FuzzAppendSecs(f *testing.F) {
	for _, d := range []int64{0, 1, -1, 999999999, 1e9, 7663660000, math.MaxInt64} {
		f.Add(d, uint8(6))
	}
	f.Fuzz(func(t *testing.T, d int64, prec uint8) {
		p := int(prec % 10)
		if got, want := string(appendSecs(nil, report.Duration(d), p)), string(refSecs(nil, report.Duration(d), p)); got != want {
			t.Errorf("appendSecs(%d, %d) = %s, want %s", d, p, got, want)
		}
	})
}

// refStartLine is startLine without the early check of the first bytes.
func refStartLine(p []byte) []byte {
	if len(p) < 8 {
		return nil
	}
	end := len(p)
	for i, c := range p {
		if c == '\r' || c == '\n' {
			end = i
			break
		}
		if i >= 200 {
			return nil
		}
	}
	line := p[:end]
	if len(line) >= 12 && string(line[:7]) == "HTTP/1." {
		return line
	}
	sp := -1
	for i, c := range line {
		if c == ' ' {
			sp = i
			break
		}
		if c < 'A' || c > 'Z' {
			return nil
		}
	}
	if sp < 3 || len(line) < sp+10 || string(line[len(line)-8:len(line)-1]) != "HTTP/1." {
		return nil
	}
	return line
}

func FuzzStartLine(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\nHost: x\r\n", "HTTP/1.1 200 OK\r\n", "HTTP/1.", "GE / HTTP/1.1\r\n",
		"GET\r\n / HTTP/1.1", "POST /a HTTP/1.0\n", "\x00\x01binary body bytes", "ABCDEFGHIJ", "GET /" + string(make([]byte, 300))} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := string(startLine(p)), string(refStartLine(p)); got != want {
			t.Errorf("startLine(%q) = %q, want %q", p, got, want)
		}
	})
}
