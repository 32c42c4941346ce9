package svg

import (
	"io"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
)

// Intervals writes the time summary of a capture as a bar chart: the exchanges started in
// each interval (errors in red on top of the others) and, as a line, the connections
// opened.
func Intervals(w io.Writer, ss []report.Interval, o Options) error {
	var b buf
	const W, H, left, bottom, top = 960.0, 180.0, 48.0, 28.0, 14.0
	b.open(&o, W, H, "intervals", "exchanges and connections over time")
	peak := 1
	for _, s := range ss {
		peak = max(peak, s.Exchanges, s.Conns)
	}
	pw, ph := W-left-12, H-top-bottom
	n := max(len(ss), 1)
	bw := pw / float64(n)
	y := func(v int) float64 { return top + ph - ph*float64(v)/float64(peak) }
	step := niceStep(float64(peak), 4)
	for v := 0.0; v <= float64(peak); v += step {
		yy := y(int(v))
		b.s(`<line class="grid" x1="`, f(left), `" y1="`, f(yy), `" x2="`, f(left+pw), `" y2="`, f(yy), `"/>`)
		b.s(`<text x="`, f(left-4), `" y="`, f(yy+4), `" text-anchor="end">`, textfmt.Thousands(int64(v)), "</text>\n")
	}
	var line []byte
	for i, s := range ss {
		x := left + float64(i)*bw
		ok := s.Exchanges - s.Errors
		b.s(`<g><title>`, textfmt.Duration(int64(s.Start)), ": ", textfmt.Thousands(int64(s.Exchanges)), " exchanges (",
			textfmt.Thousands(int64(s.Errors)), " errors), ", textfmt.Thousands(int64(s.Conns)), " connections opened, ", textfmt.Thousands(s.Bytes), " response bytes</title>")
		if ok > 0 {
			b.s(`<rect fill="#5b9bd5" x="`, f(x+bw*0.1), `" y="`, f(y(ok)), `" width="`, f(max(bw*0.8, 0.5)), `" height="`, f(y(0)-y(ok)), `"/>`)
		}
		if s.Errors > 0 {
			b.s(`<rect fill="#d62728" x="`, f(x+bw*0.1), `" y="`, f(y(s.Exchanges)), `" width="`, f(max(bw*0.8, 0.5)), `" height="`, f(y(ok)-y(s.Exchanges)), `"/>`)
		}
		b.s("</g>\n")
		if i == 0 {
			line = append(line, 'M')
		} else {
			line = append(line, 'L')
		}
		line = append(line, f(x+bw/2)+","+f(y(s.Conns))...)
	}
	if len(line) > 0 {
		b.s(`<path fill="none" stroke="#e6a100" stroke-width="1.5" d="`, string(line), `"/>`, "\n")
	}
	tstep := niceStep(float64(n), 10)
	for i := 0.0; i < float64(n); i += tstep {
		x := left + i*bw
		lbl := "0"
		if int(i) < len(ss) {
			lbl = textfmt.Duration(int64(ss[int(i)].Start))
		}
		b.s(`<text x="`, f(x), `" y="`, f(H-12), `">`, lbl, "</text>")
	}
	b.s("\n", `<text x="`, f(W-12), `" y="12" text-anchor="end"><tspan fill="#5b9bd5">■ exchanges</tspan> <tspan fill="#d62728">■ errors</tspan> <tspan fill="#e6a100">— connections opened</tspan></text>`, "\n")
	b.close()
	_, err := io.WriteString(w, b.String())
	return err
}
