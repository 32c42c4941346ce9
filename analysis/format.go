package analysis

import (
	"strconv"

	"github.com/segscope/segscope/report"
)

// fmtDur writes a duration in nanoseconds the way the notes use it: "0.21 ms", "40.1 ms",
// "212 ms", "1.50 s".
func fmtDur(ns int64) string { return report.Duration(ns).Text() }

// fmtBytes writes n with thousands separators: 14,480.
func fmtBytes(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
