package text

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
)

var _ report.WhatIfSink = (*Sink)(nil)

// WhatIf writes the what-if table of `segscope diagnose`:
//
//	what if: 10.81.0.11 -> 10.81.0.12:80, 6 exchanges on 6 connections, RTT 21.8 ms; as captured (per_request): 271 ms
//	  SCENARIO      CONNS  ESTIMATE  HOW
//	  per_request       6    268 ms  one connection per request: ...
//
// followed by a line saying that these are estimates of the model in the README.
func (s *Sink) WhatIf(r *report.WhatIf) error {
	var b strings.Builder
	head := r.Client + " -> " + r.Server + ", " + strconv.Itoa(r.Exchanges) + " exchanges on " + strconv.Itoa(len(r.Conns)) + " connection"
	if len(r.Conns) != 1 {
		head += "s"
	}
	head += ", RTT " + textfmt.Duration(int64(r.RTT)) + "; as captured (" + r.MeasuredAs + "): " + textfmt.Duration(int64(r.Measured))
	b.WriteString(strings.Replace(wrap("what if: ", head, s.width()), "\n         ", "\n    ", -1) + "\n")
	b.WriteString("  SCENARIO      CONNS  ESTIMATE  HOW\n")
	for _, e := range r.Estimates {
		row := "  " + pad(e.Scenario, 12) + " " + lpad(strconv.Itoa(e.Conns), 5) + "  " + lpad(textfmt.Duration(int64(e.Total)), 8) + "  "
		b.WriteString(wrap(row, e.Text, s.width()))
		b.WriteString("\n")
	}
	b.WriteString(wrap("  ", "(estimates from the model in the README, \"What-if estimates\": not measurements)", s.width()) + "\n")
	return s.block(b.String())
}

func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

func lpad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return strings.Repeat(" ", n-k) + s
	}
	return s
}

// wrap appends text to prefix, wrapping it at width columns under its first column.
func wrap(prefix, text string, width int) string {
	ind := utf8.RuneCountInString(prefix)
	var b strings.Builder
	b.WriteString(prefix)
	col := ind
	for i, w := range strings.Fields(text) {
		n := utf8.RuneCountInString(w)
		if i > 0 && col+1+n > width {
			b.WriteString("\n" + strings.Repeat(" ", ind))
			col = ind
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += n
	}
	return b.String()
}
