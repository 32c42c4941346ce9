package textfmt

import (
	"math"
	"strconv"
	"testing"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		want string
	}{
		{0, "0 ns"}, {850, "850 ns"}, {999, "999 ns"}, {1000, "1.00 µs"}, {42_000, "42.0 µs"},
		{999_400, "999 µs"}, {999_600, "1.00 ms"}, {4_214_000, "4.21 ms"}, {9_996_000, "10.0 ms"},
		{40_140_000, "40.1 ms"}, {212_000_000, "212 ms"}, {1_502_000_000, "1.50 s"},
		{15_020_000_000, "15.0 s"}, {999_000_000_000, "999 s"}, {999_600_000_000, "1,000 s"},
		{3_600_000_000_000, "3,600 s"}, {-42_000, "-42.0 µs"}, {math.MinInt64, "-9,223,372,036 s"},
	} {
		if got := Duration(tc.ns); got != tc.want {
			t.Errorf("Duration(%d) = %q, want %q", tc.ns, got, tc.want)
		}
	}
	if got := DurationOrDash(-1); got != "-" {
		t.Errorf("DurationOrDash(-1) = %q, want -", got)
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {14480, "14,480"}, {-1234567, "-1,234,567"},
		{math.MaxInt64, "9,223,372,036,854,775,807"}, {math.MinInt64, "-9,223,372,036,854,775,808"}} {
		if got := Thousands(tc.n); got != tc.want {
			t.Errorf("Thousands(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func FuzzAppendUint(f *testing.F) {
	for _, v := range []uint64{0, 1, 9, 10, 99, 100, 65535, 1e8 - 1, 1e8, 4294967295, 1e12 - 1, 1e12, 1e16 - 1, 1e16, math.MaxUint64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		if got, want := string(AppendUint([]byte("x"), v)), string(strconv.AppendUint([]byte("x"), v, 10)); got != want {
			t.Errorf("AppendUint(%d) = %s, want %s", v, got, want)
		}
		if got, want := string(AppendInt(nil, int64(v))), strconv.FormatInt(int64(v), 10); got != want {
			t.Errorf("AppendInt(%d) = %s, want %s", int64(v), got, want)
		}
		if v < 256 {
			if got, want := string(AppendUint8(nil, uint8(v))), strconv.Itoa(int(v)); got != want {
				t.Errorf("AppendUint8(%d) = %s, want %s", v, got, want)
			}
		}
	})
}

// refSecondsFixed is AppendSecondsFixed as first written.
func refSecondsFixed(b []byte, d int64, prec int) []byte {
	if d < 0 {
		return append(b, '-')
	}
	b = strconv.AppendInt(b, d/1e9, 10)
	if prec == 0 {
		return b
	}
	frac := d % 1e9
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, '.')
	return append(b, digits[:prec]...)
}

// refSeconds is AppendSeconds with strconv.
func refSeconds(d int64) string {
	if d == -1 {
		return "-1"
	}
	if d < 0 {
		return "-" + refSecondsPos(-d)
	}
	return refSecondsPos(d)
}

func refSecondsPos(d int64) string {
	s := strconv.FormatInt(d/1e9, 10) + "." + strconv.FormatInt(1e9+d%1e9, 10)[1:]
	for len(s) > 0 && s[len(s)-1] == '0' && s[len(s)-2] != '.' {
		s = s[:len(s)-1]
	}
	return s
}

func FuzzAppendSeconds(f *testing.F) {
	for _, d := range []int64{0, 1, -1, -2, 999999999, 1e9, 1.5e9, 7663660000, 123456789012, math.MaxInt64} {
		f.Add(d, uint8(6))
	}
	f.Fuzz(func(t *testing.T, d int64, prec uint8) {
		if d == math.MinInt64 {
			return
		}
		p := int(prec % 10)
		if got, want := string(AppendSecondsFixed(nil, d, p)), string(refSecondsFixed(nil, d, p)); got != want {
			t.Errorf("AppendSecondsFixed(%d, %d) = %s, want %s", d, p, got, want)
		}
		if got, want := string(AppendSeconds(nil, d)), refSeconds(d); got != want {
			t.Errorf("AppendSeconds(%d) = %s, want %s", d, got, want)
		}
	})
}
