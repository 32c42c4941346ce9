// Package svg draws segscope's pictures as SVG: a connection's ladder (sequence diagram)
// scaled by time, the anatomy of an HTTP message (message parts above, the segments that
// carried them below, each IP packet's headers as proportional boxes), and a Stevens
// time-sequence graph of one direction.
//
// It formats report records only: every number it draws was computed by package analysis
// (it knows no protocol rules). Output is deterministic: the same records give the same
// bytes. Text from the capture (URIs, reasons, notes) is escaped for XML, with invalid
// UTF-8 and control characters shown as text, never passed through.
//
// The pictures are standalone SVG documents or, with Options.Inline, fragments for an
// HTML page (no XML declaration; ids prefixed by Options.ID so that several pictures live
// on one page).
package svg

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
)

// Options shape one picture.
type Options struct {
	// Inline writes an <svg> element for an HTML page instead of a standalone document.
	Inline bool
	// ID prefixes the ids of the picture's elements (an HTML page holds several).
	ID string
	// Links maps a frame number to the href of what concerns it (a finding); the ladder
	// marks those rows with a link.
	Links map[uint64][]Link
}

// Link is a marker on a ladder row: a short label, its href and a tooltip.
type Link struct {
	Label, Href, Title string
	Warn               bool
}

// buf builds SVG text; w and h are the size of the last picture opened.
type buf struct {
	strings.Builder
	w, h float64
}

func (b *buf) s(ss ...string) {
	for _, s := range ss {
		b.WriteString(s)
	}
}

// esc writes s as XML character data or attribute text: markup characters escaped,
// invalid UTF-8 shown as U+FFFD and control characters as \xNN (XML cannot hold them).
func (b *buf) esc(s string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune('\uFFFD')
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&#39;")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatInt(int64(r), 16))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
}

// Esc returns s escaped as esc writes it (for tests and for the HTML renderer's titles).
func Esc(s string) string {
	var b buf
	b.esc(s)
	return b.String()
}

// f formats a coordinate with one decimal, without a trailing ".0".
func f(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if strings.HasSuffix(s, ".0") {
		s = s[:len(s)-2]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func (b *buf) open(o *Options, w, h float64, class, title string) {
	b.w, b.h = w, h
	if !o.Inline {
		b.s(`<?xml version="1.0" encoding="UTF-8"?>`, "\n")
	}
	b.s(`<svg xmlns="http://www.w3.org/2000/svg" class="`, class, `" width="`, f(w), `" height="`, f(h),
		`" viewBox="0 0 `, f(w), " ", f(h), `" font-family="ui-monospace,Menlo,Consolas,monospace" font-size="11">`, "\n")
	b.s("<title>")
	b.esc(title)
	b.s("</title>\n")
	if !o.Inline {
		b.s("<style>", Style, "</style>\n")
	}
}

func (b *buf) close() { b.s("</svg>\n") }

// Style styles the pictures: standalone documents carry it, and the HTML report holds it
// once for all its inline pictures.
const Style = `text{fill:#222}.axis{stroke:#888;stroke-width:1}.grid{stroke:#e4e4e4;stroke-width:1}` +
	`.life{stroke:#444;stroke-width:2}.cap{stroke:#b0b;stroke-width:1;stroke-dasharray:4 3}` +
	`.c2s{stroke:#1f5fbf}.s2c{stroke:#1b7f3b}.ctl{stroke:#7a3fb0}.rst{stroke:#c0392b}.retx{stroke:#d62728}` +
	`.ackonly{stroke-dasharray:3 2;opacity:.7}.lbl{font-size:10px}.note{font-size:10px;fill:#444}` +
	`.warn{fill:#c0392b}.info{fill:#1f5fbf}.brk{fill:#999;font-size:9px}` +
	`.p-start_line{fill:#8e44ad}.p-headers{fill:#b07cc6}.p-body{fill:#3498db}.p-chunk_header{fill:#e67e22}` +
	`.p-chunk_data{fill:#5dade2}.p-trailer{fill:#d35400}.p-gap{fill:#e74c3c;opacity:.85}` +
	`.h-ip{fill:#f4d03f}.h-tcp{fill:#f39c12}.h-pay{fill:#85c1e9}.h-pay.retx{fill:#f1948a}.h-eth{fill:#ccc}` +
	`.seg{fill:#aed6f1;stroke:#2e86c1}.seg.retx{fill:#f5b7b1;stroke:#c0392b}` +
	`.ts-data{stroke:#1f3fbf;stroke-width:1.5}.ts-data.retx{stroke:#d62728;stroke-width:2}` +
	`.ts-ack{stroke:#1b9e3b;fill:none;stroke-width:1.2}.ts-win{stroke:#e6a100;fill:none;stroke-width:1.2}` +
	`.ts-sack{stroke:#9b30c0;stroke-width:3;opacity:.6}.ts-ctl{fill:#7a3fb0}`

// secs writes a relative time in seconds with 6 decimals, as the text ladder does.
func secs(d report.Duration) string { return strconv.FormatFloat(float64(d)/1e9, 'f', 6, 64) }

// niceStep returns a round step (1, 2 or 5 times a power of ten) that divides span into
// at most n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := 1.0
	for p*10 <= raw {
		p *= 10
	}
	for p > raw {
		p /= 10
	}
	for _, m := range [...]float64{1, 2, 5, 10} {
		if p*m >= raw {
			return p * m
		}
	}
	return p * 10
}
