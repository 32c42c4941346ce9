package svg

import (
	"io"
	"strconv"
	"strings"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
)

// Time-sequence graph layout, in pixels.
const (
	tsW      = 960.0
	tsH      = 440.0
	tsLeft   = 84.0
	tsRight  = 24.0
	tsTop    = 48.0
	tsBottom = 56.0
)

// TSeq writes a Stevens time-sequence graph of one direction of a connection: time
// across, the sender's relative sequence number up. Each data segment is a vertical bar
// from its first to its last sequence number at the time it was captured (red for a
// retransmission); the receiver's acknowledgements are a green step line, the right edge
// of the receive window it announced (ack + window) a yellow one, and its SACK blocks
// purple bars at the time of the ACK that carried them. SYN and FIN are diamonds.
func TSeq(w io.Writer, ts *report.TSeq, o Options) error {
	var b buf
	tseq(&b, ts, &o)
	_, err := io.WriteString(w, b.String())
	return err
}

func tseq(b *buf, ts *report.TSeq, o *Options) {
	title := "time-sequence graph of connection " + strconv.FormatUint(ts.Conn, 10) + ", " + ts.Dir + ": " + ts.Sender + " to " + ts.Receiver
	b.open(o, tsW, tsH, "tseq", title)
	// Extents.
	var tmax float64
	var smin, smax int64 = 0, 1
	first := true
	grow := func(t float64, lo, hi int64) {
		tmax = max(tmax, t)
		if first {
			smin, smax, first = lo, hi, false
			return
		}
		smin, smax = min(smin, lo), max(smax, hi)
	}
	for _, d := range ts.Data {
		grow(float64(d.Rel), d.Seq, d.Seq+int64(max(d.Len, 1)))
	}
	for _, a := range ts.Acks {
		grow(float64(a.Rel), a.Ack, a.Ack)
		for _, s := range a.SACK {
			grow(float64(a.Rel), s[0], s[1])
		}
	}
	// The window's edge must not flatten the data: it is shown up to twice the data's
	// extent, and clipped above.
	dataTop := smax
	for _, a := range ts.Acks {
		smax = max(smax, min(a.Ack+a.Win, dataTop+(dataTop-smin)))
	}
	if smax <= smin {
		smax = smin + 1
	}
	if tmax <= 0 {
		tmax = 1e6
	}
	pw, ph := tsW-tsLeft-tsRight, tsH-tsTop-tsBottom
	x := func(t float64) float64 { return tsLeft + pw*t/tmax }
	y := func(s int64) float64 { return tsTop + ph - ph*float64(s-smin)/float64(smax-smin) }

	b.s(`<text x="`, f(tsLeft), `" y="18" font-weight="bold">`)
	b.esc(ts.Dir + ": " + ts.Sender + " → " + ts.Receiver)
	b.s("</text>\n")
	// Axes with round ticks.
	tstep := niceStep(tmax, 8)
	for t := 0.0; t <= tmax*1.0001; t += tstep {
		b.s(`<line class="grid" x1="`, f(x(t)), `" y1="`, f(tsTop), `" x2="`, f(x(t)), `" y2="`, f(tsTop+ph), `"/>`)
		b.s(`<text x="`, f(x(t)), `" y="`, f(tsTop+ph+16), `" text-anchor="middle">`, textfmt.Duration(int64(t)), "</text>\n")
	}
	sstep := niceStep(float64(smax-smin), 8)
	for s := float64(smin) - mod(float64(smin), sstep) + sstep; s <= float64(smax); s += sstep {
		yy := y(int64(s))
		b.s(`<line class="grid" x1="`, f(tsLeft), `" y1="`, f(yy), `" x2="`, f(tsLeft+pw), `" y2="`, f(yy), `"/>`)
		b.s(`<text x="`, f(tsLeft-6), `" y="`, f(yy+4), `" text-anchor="end">`, textfmt.Thousands(int64(s)), "</text>\n")
	}
	b.s(`<line class="axis" x1="`, f(tsLeft), `" y1="`, f(tsTop+ph), `" x2="`, f(tsLeft+pw), `" y2="`, f(tsTop+ph), `"/>`)
	b.s(`<line class="axis" x1="`, f(tsLeft), `" y1="`, f(tsTop), `" x2="`, f(tsLeft), `" y2="`, f(tsTop+ph), `"/>`, "\n")
	b.s(`<text x="`, f(tsLeft+pw/2), `" y="`, f(tsH-18), `" text-anchor="middle">time since the connection's first packet (at the capture point)</text>`, "\n")
	b.s(`<text transform="rotate(-90 14 `, f(tsTop+ph/2), `)" x="14" y="`, f(tsTop+ph/2), `" text-anchor="middle">relative sequence number</text>`, "\n")

	// ACK and window step lines, clipped to the plot.
	b.s(`<clipPath id="`, o.ID, `clip"><rect x="`, f(tsLeft), `" y="`, f(tsTop), `" width="`, f(pw), `" height="`, f(ph), `"/></clipPath>`, "\n")
	b.s(`<g clip-path="url(#`, o.ID, `clip)">`, "\n")
	step := func(cls string, val func(a *report.TSeqAck) int64) {
		if len(ts.Acks) == 0 {
			return
		}
		b.s(`<path class="`, cls, `" d="`)
		for i := range ts.Acks {
			a := &ts.Acks[i]
			xx, yy := x(float64(a.Rel)), y(val(a))
			if i == 0 {
				b.s("M", f(xx), ",", f(yy))
			} else {
				b.s("H", f(xx), "V", f(yy))
			}
		}
		b.s("H", f(x(tmax)), `"/>`, "\n")
	}
	step("ts-win", func(a *report.TSeqAck) int64 { return a.Ack + a.Win })
	step("ts-ack", func(a *report.TSeqAck) int64 { return a.Ack })
	for i := range ts.Acks {
		a := &ts.Acks[i]
		for _, s := range a.SACK {
			xx := f(x(float64(a.Rel)))
			b.s(`<line class="ts-sack" x1="`, xx, `" y1="`, f(y(s[0])), `" x2="`, xx, `" y2="`, f(y(s[1])), `"><title>`)
			b.esc("frame " + strconv.FormatUint(a.Frame, 10) + ": SACK " + strconv.FormatInt(s[0], 10) + ":" + strconv.FormatInt(s[1], 10))
			b.s("</title></line>\n")
		}
	}
	for i := range ts.Data {
		d := &ts.Data[i]
		xx := x(float64(d.Rel))
		fr := strconv.FormatUint(d.Frame, 10)
		b.s(`<g class="tsd" data-frame="`, fr, `"><title>`)
		b.esc("frame " + fr + " at " + secs(d.Rel) + " s: seq " + strconv.FormatInt(d.Seq, 10) + ":" + strconv.FormatInt(d.Seq+int64(d.Len), 10) + " len " + strconv.Itoa(d.Len))
		if d.Class != 0 {
			b.s(" ")
			b.esc(strings.ReplaceAll(d.Class.String(), ",", " "))
		}
		b.s("</title>")
		if d.Len > 0 {
			cls := "ts-data"
			if d.Retrans {
				cls += " retx"
			}
			y1, y2 := y(d.Seq), y(d.Seq+int64(d.Len))
			b.s(`<path class="`, cls, `" d="M`, f(xx), ",", f(y1), "V", f(y2), "M", f(xx-2.5), ",", f(y2), "h5M", f(xx-2.5), ",", f(y1), `h5"/>`)
		}
		if d.SYN || d.FIN {
			s := d.Seq
			if d.FIN {
				s = d.Seq + int64(d.Len)
			}
			yy := y(s)
			b.s(`<path class="ts-ctl" d="M`, f(xx), ",", f(yy-4), "l4,4l-4,4l-4,-4z", `"/>`)
		}
		b.s("</g>\n")
	}
	b.s("</g>\n")
	// Legend.
	lx := tsLeft
	for _, l := range [...]struct{ cls, name string }{{"ts-data", "data segment"}, {"ts-data retx", "retransmission"},
		{"ts-ack", "ACK"}, {"ts-win", "receive window (ack + win)"}, {"ts-sack", "SACK block"}} {
		b.s(`<line class="key `, l.cls, `" x1="`, f(lx), `" y1="30" x2="`, f(lx+16), `" y2="30"/>`)
		b.s(`<text x="`, f(lx+20), `" y="34">`, l.name, "</text>")
		lx += 28 + 6.6*float64(len(l.name))
	}
	b.s("\n")
	if ts.Truncated {
		b.s(`<text class="warn" x="`, f(tsLeft), `" y="`, f(tsH-4), `">segment log full: later segments are not shown</text>`, "\n")
	}
	b.close()
}

func mod(a, m float64) float64 {
	r := a - m*float64(int64(a/m))
	if r < 0 {
		r += m
	}
	return r
}
