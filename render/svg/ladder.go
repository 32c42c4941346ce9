package svg

import (
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Ladder layout, in pixels.
const (
	ladW       = 1040.0
	ladClientX = 190.0
	ladServerX = 600.0
	ladNotesX  = 636.0
	ladTop     = 64.0
	ladPerSeg  = 16.0  // target height per segment
	ladMinH    = 480.0 // least and most height of the time axis
	ladMaxH    = 2400.0
	ladCutPx   = 56.0 // height of an idle gap cut out of the axis
	ladCuts    = 12   // at most this many gaps are cut
	ladLine    = 12.0 // text lines closer than this are not drawn (the arrow's tooltip has them)
	ladNoteMax = 62   // characters of notes shown on a row (all in its tooltip)
)

// timeAxis maps capture times to y linearly (k px per ns), except for idle gaps longer
// than a fifth of the connection's span, which are cut to ladCutPx and marked: a
// delayed-ACK pause or a Nagle stall stays to scale, a minute of keep-alive idleness does
// not flatten everything else.
type timeAxis struct {
	t, y []float64 // breakpoints, ascending; linear between them
	k    float64
	cuts [][2]float64 // the cut gaps: start time, length
}

func newTimeAxis(times []float64, top float64) *timeAxis {
	ts := slices.Clone(times)
	slices.Sort(ts)
	ts = slices.Compact(ts)
	a := &timeAxis{k: 1e-3}
	if len(ts) == 0 {
		return a
	}
	span := ts[len(ts)-1] - ts[0]
	type gap struct{ at, dt float64 }
	var gaps []gap
	for i := 1; i < len(ts); i++ {
		if dt := ts[i] - ts[i-1]; dt > span/5 {
			gaps = append(gaps, gap{ts[i-1], dt})
		}
	}
	slices.SortFunc(gaps, func(x, y gap) int { return cmpF(y.dt, x.dt) })
	if len(gaps) > ladCuts {
		gaps = gaps[:ladCuts]
	}
	slices.SortFunc(gaps, func(x, y gap) int { return cmpF(x.at, y.at) })
	kept := span
	for _, g := range gaps {
		kept -= g.dt
	}
	h := min(max(ladPerSeg*float64(len(times)), ladMinH), ladMaxH) - ladCutPx*float64(len(gaps))
	if kept > 0 {
		a.k = max(h, ladMinH/2) / kept
	}
	t, y := ts[0], top
	a.t, a.y = append(a.t, t), append(a.y, y)
	for _, g := range gaps {
		y += (g.at - t) * a.k
		a.t, a.y = append(a.t, g.at), append(a.y, y)
		y += ladCutPx
		t = g.at + g.dt
		a.t, a.y = append(a.t, t), append(a.y, y)
		a.cuts = append(a.cuts, [2]float64{g.at, g.dt})
	}
	if last := ts[len(ts)-1]; last > t {
		a.t, a.y = append(a.t, last), append(a.y, y+(last-t)*a.k)
	}
	return a
}

func cmpF(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// end is the y of the last segment.
func (a *timeAxis) end() float64 {
	if len(a.y) == 0 {
		return 0
	}
	return a.y[len(a.y)-1]
}

func (a *timeAxis) at(t float64) float64 {
	n := len(a.t)
	if n == 0 {
		return 0
	}
	if t <= a.t[0] {
		return a.y[0] - (a.t[0]-t)*a.k
	}
	if t >= a.t[n-1] {
		return a.y[n-1] + (t-a.t[n-1])*a.k
	}
	i, _ := slices.BinarySearch(a.t, t)
	if a.t[i] == t {
		return a.y[i]
	}
	t0, t1 := a.t[i-1], a.t[i]
	return a.y[i-1] + (a.y[i]-a.y[i-1])*(t-t0)/(t1-t0)
}

// Ladder writes the sequence diagram of one connection: its ladder events (analysis.Ladder,
// one per segment, or per run of folded segments) and where it was captured. Client and
// server are vertical lifelines; the capture point is a dashed line between them, placed
// by the one-way delays of v; each segment is an arrow from its sender's lifeline at its
// send time to its receiver's at its receive time, crossing the capture point at the time
// the capture saw it. Times on the left are those of the capture.
func Ladder(w io.Writer, evs []report.Event, v report.Vantage, o Options) error {
	var b buf
	ladder(&b, evs, v, &o)
	_, err := io.WriteString(w, b.String())
	return err
}

func ladder(b *buf, evs []report.Event, v report.Vantage, o *Options) {
	var conn uint64
	client, server := "client", "server"
	if len(evs) > 0 {
		conn = evs[0].Conn
		if len(evs[0].Notes) > 0 && strings.HasPrefix(evs[0].Notes[0], "client ") {
			if c, s, ok := strings.Cut(evs[0].Notes[0][len("client "):], ", server "); ok {
				client, server = "client "+c, "server "+s
			}
		}
	}
	times := make([]float64, len(evs))
	for i := range evs {
		times[i] = float64(evs[i].Rel)
	}
	toC, toS := 0.0, 0.0
	capX := (ladClientX + ladServerX) / 2
	if v.Known && v.ToClient+v.ToServer > 0 {
		toC, toS = float64(v.ToClient), float64(v.ToServer)
		capX = ladClientX + (ladServerX-ladClientX)*toC/(toC+toS)
	}
	// Place the axis so that the earliest send time sits below the column heads.
	ax := newTimeAxis(times, 0)
	top := 0.0
	for i := range evs {
		d := toC
		if evs[i].Dir != "c2s" {
			d = toS
		}
		top = min(top, ax.at(times[i]-d))
	}
	ax = newTimeAxis(times, ladTop+8-top)

	// Geometry first (the height depends on where the notes land), then the drawing.
	type row struct {
		y0, y1, y2, noteY    float64
		label, left, hasNote bool
	}
	rows := make([]row, len(evs))
	lastLbl := [2]float64{-1e9, -1e9}
	lastLeft, lastNote := -1e9, -1e9
	bottom := ax.end()
	for i := range evs {
		e := &evs[i]
		r := &rows[i]
		dSend, dRecv, lane := toC, toS, 0
		if e.Dir != "c2s" {
			dSend, dRecv, lane = toS, toC, 1
		}
		r.y0, r.y1, r.y2 = ax.at(times[i]), ax.at(times[i]-dSend), ax.at(times[i]+dRecv)
		if my := (r.y1 + r.y2) / 2; my-lastLbl[lane] >= ladLine {
			r.label, lastLbl[lane] = true, my
		}
		if r.y0-lastLeft >= ladLine {
			r.left, lastLeft = true, r.y0
		}
		if noteText(evs, i) != "" || len(o.Links[e.Frame]) > 0 {
			r.hasNote = true
			r.noteY = max(r.y0, lastNote+ladLine)
			lastNote = r.noteY
		}
		bottom = max(bottom, r.y2, r.noteY)
	}
	bottom += 28
	title := "ladder of connection " + strconv.FormatUint(conn, 10) + ": " + client + ", " + server
	b.open(o, ladW, bottom, "ladder", title)
	b.s(`<defs><marker id="`, o.ID, `ah" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">`,
		`<path d="M0,0L8,4L0,8z" fill="context-stroke"/></marker></defs>`, "\n")
	// Column heads, lifelines and the capture point.
	b.s(`<text x="4" y="16" font-weight="bold">FRAME</text><text x="56" y="16" font-weight="bold">TIME s</text>`, "\n")
	head := func(x float64, anchor, s string) {
		y := "16"
		if s == "NOTES" {
			y = "32"
		}
		b.s(`<text x="`, f(x), `" y="`, y, `" text-anchor="`, anchor, `" font-weight="bold">`)
		b.esc(s)
		b.s("</text>\n")
	}
	head(ladClientX, "middle", client)
	head(ladServerX, "middle", server)
	head(ladNotesX, "start", "NOTES")
	where := "capture point"
	switch {
	case !v.Known:
		where = "capture point (unknown: no whole handshake; arrows drawn flat)"
	case v.Where == "client" || v.Where == "server":
		where = "capture point (near the " + v.Where + ")"
	}
	b.s(`<text x="`, f(capX), `" y="32" text-anchor="middle" class="note">`)
	b.esc(where)
	b.s("</text>\n")
	for _, x := range [...]float64{ladClientX, ladServerX} {
		b.s(`<line class="life" x1="`, f(x), `" y1="40" x2="`, f(x), `" y2="`, f(bottom-8), `"/>`, "\n")
	}
	b.s(`<line class="cap" x1="`, f(capX), `" y1="40" x2="`, f(capX), `" y2="`, f(bottom-8), `"/>`, "\n")

	// Cut gaps.
	for _, c := range ax.cuts {
		y := ax.at(c[0]) + ladCutPx/2
		b.s(`<text class="brk" x="56" y="`, f(y+3), `">≈ `, textfmt.Duration(int64(c[1])), ` cut</text>`)
		for _, x := range [...]float64{ladClientX, ladServerX} {
			b.s(`<path class="brk" fill="none" stroke="#fff" stroke-width="4" d="M`, f(x-7), ",", f(y-3), "l14,-4M", f(x-7), ",", f(y+5), `l14,-4"/>`)
		}
		b.s("\n")
	}

	for i := range evs {
		e := &evs[i]
		r := &rows[i]
		c2s := e.Dir == "c2s"
		x1, x2 := ladClientX, ladServerX
		cls := "c2s"
		if !c2s {
			x1, x2, cls = ladServerX, ladClientX, "s2c"
		}
		y0, y1, y2 := r.y0, r.y1, r.y2
		switch {
		case e.Flags.Has(tcp.RST):
			cls += " rst"
		case e.Class.Any(tcp.ClassRetransmissions):
			cls += " retx"
		case e.Flags.Any(tcp.SYN | tcp.FIN):
			cls += " ctl"
		}
		label := eventLabel(e)
		if e.Len == 0 && e.Collapsed == 0 && !e.Flags.Any(tcp.SYN|tcp.FIN|tcp.RST) {
			cls += " ackonly"
		}
		fr := strconv.FormatUint(e.Frame, 10)
		b.s(`<g class="arrow" id="`, o.ID, "f", fr, `" data-frame="`, fr, `" data-dir="`, e.Dir, `">`)
		b.s("<title>")
		b.esc("frame " + fr + " at " + secs(e.Rel) + " s: " + label)
		for _, n := range e.Notes {
			b.s("\n")
			b.esc(n)
		}
		b.s("</title>")
		width := "1.4"
		if e.Collapsed > 0 {
			width = "4"
		}
		b.s(`<line class="`, cls, `" stroke-width="`, width, `" x1="`, f(x1), `" y1="`, f(y1), `" x2="`, f(x2), `" y2="`, f(y2),
			`" marker-end="url(#`, o.ID, `ah)"/>`)
		if r.label {
			// The label along the arrow, above it.
			ang := math.Atan2(y2-y1, x2-x1) * 180 / math.Pi
			if !c2s {
				ang -= 180
			}
			mx, my := (x1+x2)/2, (y1+y2)/2
			b.s(`<text class="lbl" text-anchor="middle" x="`, f(mx), `" y="`, f(my-3), `"`)
			if math.Abs(ang) > 0.05 {
				b.s(` transform="rotate(`, f(ang), " ", f(mx), " ", f(my), `)"`)
			}
			b.s(">")
			b.esc(label)
			b.s("</text>")
		}
		if r.left {
			b.s(`<text x="4" y="`, f(y0+4), `">`, fr, `</text><text x="56" y="`, f(y0+4), `">`, secs(e.Rel), `</text>`)
		}
		if r.hasNote {
			ny := r.noteY
			if ny-y0 > 2 {
				b.s(`<path class="grid" fill="none" d="M`, f(ladServerX+4), ",", f(y0), "L", f(ladNotesX-20), ",", f(ny), `"/>`)
			}
			if note := noteText(evs, i); note != "" {
				b.s(`<text class="note" x="`, f(ladNotesX), `" y="`, f(ny+4), `">`)
				b.esc(fr + ": " + note)
				b.s("</text>")
			}
			x := ladNotesX - 10
			for _, l := range o.Links[e.Frame] {
				c := "info"
				if l.Warn {
					c = "warn"
				}
				b.s(`<a href="`)
				b.esc(l.Href)
				b.s(`" class="flink"><title>`)
				b.esc(l.Title)
				b.s(`</title><circle class="`, c, `" cx="`, f(x), `" cy="`, f(ny), `" r="5.5"/><text x="`, f(x), `" y="`, f(ny+3.5),
					`" text-anchor="middle" font-size="9" style="fill:#fff">`)
				b.esc(l.Label)
				b.s("</text></a>")
				x -= 13
			}
		}
		b.s("</g>\n")
	}
	b.close()
}

// noteText is the text of event i's notes on one line, without the endpoints note of the
// first event (the column heads show them), cut to ladNoteMax characters.
func noteText(evs []report.Event, i int) string {
	ns := evs[i].Notes
	if i == 0 && len(ns) > 0 && strings.HasPrefix(ns[0], "client ") {
		ns = ns[1:]
	}
	note := strings.Join(ns, "; ")
	if r := []rune(note); len(r) > ladNoteMax {
		note = string(r[:ladNoteMax-1]) + "…"
	}
	return note
}

// eventLabel is the arrow's text: "[S.] seq 0 ack 1 win 65160 len 0", or for folded rows
// "… 75 more data segments, 2,512,280 bytes …".
func eventLabel(e *report.Event) string {
	if e.Collapsed > 0 {
		return "… " + strconv.Itoa(e.Collapsed) + " more data segments, " + textfmt.Thousands(e.CollapsedBytes) + " bytes …"
	}
	s := "[" + e.Flags.Short() + "] seq " + strconv.FormatUint(uint64(e.Seq), 10)
	if e.Flags.Has(tcp.ACK) {
		s += " ack " + strconv.FormatUint(uint64(e.Ack), 10)
	}
	return s + " win " + strconv.FormatUint(uint64(e.Win), 10) + " len " + strconv.Itoa(e.Len)
}
