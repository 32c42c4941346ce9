package textfmt

import "strconv"

// Duration writes a span of ns nanoseconds for people, in the one style every table and
// every sentence of segscope uses: three significant digits, a space and the unit, from
// nanoseconds to seconds: "850 ns", "42.0 µs", "4.21 ms", "212 ms", "1.50 s", and whole
// seconds with thousands separators from 1,000 s. A negative span has a leading "-".
func Duration(ns int64) string {
	if ns < 0 {
		if ns == -ns { // the most negative int64
			return "-" + Thousands(-(ns / 1e9)) + " s"
		}
		return "-" + Duration(-ns)
	}
	if ns < 1000 {
		return strconv.FormatInt(ns, 10) + " ns"
	}
	for _, u := range [...]struct {
		per  float64
		name string
	}{{1e3, " µs"}, {1e6, " ms"}, {1e9, " s"}} {
		v := float64(ns) / u.per
		if s, ok := sig3(v); ok {
			return s + u.name
		}
	}
	return Thousands(ns/1e9+(ns%1e9+5e8)/1e9) + " s" // rounded to the second
}

// sig3 writes v (>= 1) with three significant digits; ok is false when it rounds to
// 1000 or more (the next unit is due).
func sig3(v float64) (string, bool) {
	for prec := 2; prec >= 0; prec-- {
		if s := strconv.FormatFloat(v, 'f', prec, 64); intDigits(s) <= 3-prec {
			return s, true
		}
	}
	return "", false
}

// intDigits counts the digits of s before its decimal point.
func intDigits(s string) int {
	for i := range len(s) {
		if s[i] == '.' {
			return i
		}
	}
	return len(s)
}

// DurationOrDash is Duration, or "-" for a negative span: the tables' way of showing a
// span that was not measured (-1 in the records).
func DurationOrDash(ns int64) string {
	if ns < 0 {
		return "-"
	}
	return Duration(ns)
}

// Thousands writes n with a comma between groups of three digits: 14,480.
func Thousands(n int64) string { return string(AppendThousands(nil, n)) }

// AppendThousands appends n with a comma between groups of three digits.
func AppendThousands(b []byte, n int64) []byte {
	var digits [20]byte
	d := AppendUint(digits[:0], uint64(n))
	if n < 0 {
		b = append(b, '-')
		d = AppendUint(digits[:0], -uint64(n))
	}
	for i := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, d[i])
	}
	return b
}
