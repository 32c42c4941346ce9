package analysis

import (
	"strconv"

	"github.com/segscope/segscope/internal/textfmt"
)

// fmtDur writes a duration in nanoseconds the way the notes use it (textfmt.Duration):
// "42.0 µs", "40.1 ms", "212 ms", "1.50 s".
func fmtDur(ns int64) string { return textfmt.Duration(ns) }

// fmtBytes writes n with thousands separators: 14,480.
func fmtBytes(n int64) string { return textfmt.Thousands(n) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
