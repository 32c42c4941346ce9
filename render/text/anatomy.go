package text

import (
	"strconv"
	"strings"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Width of the text views (anatomy, ladder): every line fits in this many columns.
const viewWidth = 100

// barWidth is the number of columns the message bar spans between its outer '|'.
const barWidth = 80

// Anatomy writes the diagram of how one HTTP message rode on TCP segments and IP packets:
//
//	response 1 (conn 1): 200 OK — 3,041 bytes: headers 41, body 3,000
//	  message  |start-line|headers|body===========================================...|
//	  segments |5                          |6                          |7           |
//	           0                                                               3,041
//	  FRAME        +TIME  SEQ            PAYLOAD                        FLAGS  MARKS
//	      5     0.000 ms  1:1449         1,448                          [.]
//	                      IP 20 + TCP 32 (TS) + 1,448 = 1,500 total; frame 1,514; id 0x1a2c DF
//	  ...
//	  response 1: 3,041 bytes in 3 segments / 3 IP packets; IP/TCP headers 156 bytes
//	  (4.9% of 3,197 bytes in IP packets); MSS 1448; no retransmission; first byte to last byte 0.20 ms
//
// The bars share one scale: each part gets at least one column, so small parts (the start
// line of a large response) stay visible, and segment boundaries line up with them.
func (s *Sink) Anatomy(r *report.Anatomy) error {
	var w strings.Builder
	kind := "response"
	if r.Dir == "c2s" {
		kind = "request"
	}
	name := kind + " " + strconv.Itoa(r.Depth)

	// Header line.
	w.WriteString(name + " (conn " + strconv.FormatUint(r.Conn, 10) + "): ")
	w.WriteString(printable(r.Title))
	w.WriteString(" — " + textfmt.Thousands(r.MsgLen) + " bytes: headers " + textfmt.Thousands(r.HeaderLen) + ", body " + textfmt.Thousands(r.BodyLen))
	if nc, framing := chunkInfo(r); nc > 0 {
		w.WriteString(" (chunked: " + strconv.Itoa(nc) + " chunks, framing " + textfmt.Thousands(framing) + ")")
	}
	if r.GapBytes > 0 {
		w.WriteString(", " + textfmt.Thousands(r.GapBytes) + " missing")
	}
	head := w.String()
	w.Reset()
	wrapLine(&w, head, "    ")

	// Bars.
	if r.MsgLen > 0 {
		sc := newScale(r.Parts, r.MsgLen)
		w.WriteString("  message  |")
		w.WriteString(string(partsBar(r.Parts, sc)))
		w.WriteString("|\n  segments |")
		w.WriteString(string(segmentsBar(r, sc)))
		w.WriteString("|\n")
		end := textfmt.Thousands(r.MsgLen)
		w.WriteString("           0")
		w.WriteString(strings.Repeat(" ", max(barWidth+1-1-len(end), 1)))
		w.WriteString(end + "\n")
	}

	// Segment rows, with gap rows in stream order.
	w.WriteString("  FRAME        +TIME  SEQ              PAYLOAD                        FLAGS  MARKS\n")
	gaps := gapParts(r.Parts)
	gi := 0
	for i := range r.Segments {
		a := &r.Segments[i]
		for gi < len(gaps) && r.MsgOff+gaps[gi].Off <= a.Off {
			writeGapRow(&w, r, gaps[gi])
			gi++
		}
		writeSegRow(&w, r, a)
	}
	for ; gi < len(gaps); gi++ {
		writeGapRow(&w, r, gaps[gi])
	}

	// Summary.
	sm := &r.Summary
	var parts []string
	parts = append(parts, name+": "+textfmt.Thousands(r.MsgLen)+" bytes in "+count(sm.Segments, "segment", "segments")+" / "+count(sm.IPPackets, "IP packet", "IP packets"))
	if sm.Segments > 0 {
		wire := r.MsgLen - r.GapBytes + sm.Overhead
		pct := 0.0
		if wire > 0 {
			pct = 100 * float64(sm.Overhead) / float64(wire)
		}
		parts = append(parts, "IP/TCP headers "+textfmt.Thousands(sm.Overhead)+" bytes ("+strconv.FormatFloat(pct, 'f', 1, 64)+"% of message + headers)")
	}
	if sm.MSS > 0 {
		parts = append(parts, "MSS "+strconv.Itoa(sm.MSS))
	}
	switch {
	case sm.Retransmissions == 0:
		parts = append(parts, "no retransmission")
	case sm.FirstRetransGap < 0:
		parts = append(parts, count(sm.Retransmissions, "retransmission", "retransmissions")+" (original not captured)")
	default:
		parts = append(parts, count(sm.Retransmissions, "retransmission", "retransmissions")+", the first after "+fmtMs(sm.FirstRetransGap))
	}
	if r.GapBytes > 0 {
		parts = append(parts, textfmt.Thousands(r.GapBytes)+" bytes missing from the capture")
	}
	parts = append(parts, "first byte to last byte "+fmtMs(sm.Span))
	writeWrapped(&w, "  ", "    ", parts, "; ")
	w.WriteByte('\n')
	return s.block(w.String())
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func printable(s string) string { return string(appendPrintable(nil, s)) }

// chunkInfo returns the number of chunks (the last, empty, one included) and the bytes of
// chunk framing (size lines, CRLFs, trailer) of a chunked message; 0, 0 otherwise.
func chunkInfo(r *report.Anatomy) (int, int64) {
	n := 0
	for _, p := range r.Parts {
		if p.Kind == "chunk_header" {
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return n, r.MsgLen - r.HeaderLen - r.BodyLen
}

func gapParts(ps []report.Part) []report.Part {
	var g []report.Part
	for _, p := range ps {
		if p.Kind == "gap" {
			g = append(g, p)
		}
	}
	return g
}

// scale maps message offsets to bar columns, piecewise linearly per layout part so that
// every part gets at least one column.
type scale struct {
	offs []int64 // part starts, and the message length last
	cols []int   // the column of each
}

func newScale(ps []report.Part, msgLen int64) *scale {
	var layout []report.Part
	for _, p := range ps {
		if p.Kind != "gap" && p.Len > 0 {
			layout = append(layout, p)
		}
	}
	sc := &scale{}
	if len(layout) == 0 {
		sc.offs = []int64{0, msgLen}
		sc.cols = []int{0, barWidth}
		return sc
	}
	if len(layout) > barWidth/4 {
		// Many chunks: keep the head parts' minimum widths and scale the rest of the
		// message as one piece.
		var head []report.Part
		var rest int64 = -1
		for _, p := range layout {
			if (p.Kind == "start_line" || p.Kind == "headers") && rest < 0 {
				head = append(head, p)
			} else if rest < 0 {
				rest = p.Off
			}
		}
		if rest >= 0 {
			head = append(head, report.Part{Kind: "body", Off: rest, Len: msgLen - rest})
		}
		layout = head
	}
	widths := make([]int, len(layout))
	total := 0
	for i, p := range layout {
		widths[i] = max(minCols(p.Kind), int((p.Len*barWidth+msgLen/2)/msgLen))
		total += widths[i]
	}
	// Give or take the difference from the widest parts.
	for total != barWidth {
		k := 0
		for i := range widths {
			if widths[i] > widths[k] {
				k = i
			}
		}
		if total > barWidth {
			if widths[k] <= 2 {
				break
			}
			widths[k]--
			total--
		} else {
			widths[k]++
			total++
		}
	}
	col := 0
	for i, p := range layout {
		sc.offs = append(sc.offs, p.Off)
		sc.cols = append(sc.cols, col)
		col += widths[i]
	}
	sc.offs = append(sc.offs, msgLen)
	sc.cols = append(sc.cols, min(col, barWidth))
	return sc
}

// minCols is the fewest columns a part gets: two for the head parts, so that a label
// letter shows after the boundary mark, one for chunk framing.
func minCols(kind string) int {
	switch kind {
	case "start_line", "headers", "trailer":
		return 2
	}
	return 1
}

// col returns the column of message offset off (0 <= off <= msgLen).
func (sc *scale) col(off int64) int {
	if off <= 0 {
		return 0
	}
	for i := 1; i < len(sc.offs); i++ {
		if off < sc.offs[i] || i == len(sc.offs)-1 {
			lo, hi := sc.offs[i-1], sc.offs[i]
			if hi <= lo {
				return sc.cols[i]
			}
			off = min(off, hi)
			return sc.cols[i-1] + int((off-lo)*int64(sc.cols[i]-sc.cols[i-1])/(hi-lo))
		}
	}
	return barWidth
}

// partLabels are the labels of a part kind, longest first; the longest that fits is used.
var partLabels = map[string][]string{
	"start_line":   {"start-line", "start", "SL", "S"},
	"headers":      {"headers", "hdrs", "h"},
	"body":         {"body", "b"},
	"chunk_header": {"size"},
	"chunk_data":   {"chunk"},
	"trailer":      {"trailer", "t"},
	"gap":          {"gap", "?"},
}

var partFill = map[string]rune{
	"start_line": '-', "headers": '-', "body": '=', "chunk_header": '-', "chunk_data": '=', "trailer": '-', "gap": '?',
}

func partsBar(ps []report.Part, sc *scale) []rune {
	bar := []rune(strings.Repeat(" ", barWidth))
	span := func(p report.Part) (int, int) {
		c0, c1 := sc.col(p.Off), sc.col(p.Off+p.Len)
		c0 = min(c0, barWidth-1)
		return c0, max(c1, c0+1)
	}
	// Fills, then boundaries (a part's first column; chunk data continues its size
	// line), then labels where they fit between boundaries, then gaps over everything.
	for _, p := range ps {
		if p.Kind != "gap" {
			c0, c1 := span(p)
			for c := c0; c < c1; c++ {
				bar[c] = partFill[p.Kind]
			}
		}
	}
	for _, p := range ps {
		if p.Kind != "gap" && p.Kind != "chunk_data" {
			if c0, _ := span(p); c0 > 0 {
				bar[c0] = '|'
			}
		}
	}
	label := func(p report.Part, start, c1 int) {
		for _, l := range partLabels[p.Kind] {
			if len(l) > c1-start {
				continue
			}
			free := true
			for c := start; c < start+len(l); c++ {
				if bar[c] == '|' {
					free = false
				}
			}
			if free {
				copy(bar[start:], []rune(l))
				return
			}
		}
	}
	for _, p := range ps {
		if p.Kind == "gap" {
			continue
		}
		c0, c1 := span(p)
		if p.Kind != "chunk_data" && c0 > 0 {
			c0++
		}
		label(p, c0, c1)
	}
	for _, p := range ps {
		if p.Kind == "gap" {
			c0, c1 := span(p)
			for c := c0; c < c1; c++ {
				bar[c] = '?'
			}
			label(p, c0, c1)
		}
	}
	return bar
}

// segmentsBar marks where each segment's first-delivered bytes of the message start,
// labelled with its frame number when there is room; gaps show as '?'.
func segmentsBar(r *report.Anatomy, sc *scale) []rune {
	bar := []rune(strings.Repeat(" ", barWidth))
	type span struct {
		c0, c1 int
		label  string
	}
	var spans []span
	for i := range r.Segments {
		a := &r.Segments[i]
		if a.MsgBytes == 0 {
			continue
		}
		lo := max(a.Off-r.MsgOff, 0)
		hi := min(a.Off+int64(a.Len)-r.MsgOff, r.MsgLen)
		c0, c1 := sc.col(lo), sc.col(hi)
		if c0 >= barWidth {
			c0 = barWidth - 1
		}
		spans = append(spans, span{c0, max(c1, c0+1), strconv.FormatUint(a.Frame, 10)})
	}
	for _, g := range gapParts(r.Parts) {
		c0, c1 := sc.col(g.Off), sc.col(g.Off+g.Len)
		for c := c0; c < max(c1, c0+1) && c < barWidth; c++ {
			bar[c] = '?'
		}
	}
	for k, sp := range spans {
		if sp.c0 > 0 || k > 0 {
			bar[sp.c0] = '|'
		}
		// Room up to the next boundary.
		room := barWidth - sp.c0 - 1
		if k+1 < len(spans) {
			room = spans[k+1].c0 - sp.c0 - 1
		}
		if sp.c0 == 0 && k == 0 {
			room++
		}
		start := sp.c0 + 1
		if sp.c0 == 0 && k == 0 {
			start = 0
		}
		if len(sp.label) <= room && start+len(sp.label) <= barWidth {
			copy(bar[start:], []rune(sp.label))
		}
	}
	return bar
}

// classMarks are the words an anatomy row has for a segment's classes, in class order.
var classMarks = [...]struct {
	c    tcp.Class
	text string
}{
	{tcp.ClassRetransmission, "retransmission"},
	{tcp.ClassSpuriousRetransmission, "spurious retransmission"},
	{tcp.ClassFastRetransmission, "fast retransmission"},
	{tcp.ClassOutOfOrder, "out of order"},
	{tcp.ClassZeroWindowProbe, "zero window probe"},
	{tcp.ClassKeepAlive, "keep-alive"},
	{tcp.ClassPreviousSegmentNotCaptured, "after a gap"},
	{tcp.ClassOverlapConflict, "overlap with different bytes"},
}

func writeSegRow(w *strings.Builder, r *report.Anatomy, a *report.AnatomySegment) {
	var b []byte
	b = padLeft(b, strconv.AppendUint(nil, a.Frame, 10), 7)
	b = append(b, ' ')
	b = padLeft(b, []byte(relMs(a.Rel)), 12)
	b = append(b, "  "...)
	seq := strconv.FormatUint(uint64(a.Seq), 10) + ":" + strconv.FormatUint(uint64(a.Seq+uint32(a.Len)), 10)
	b = padRight(b, seq, 16)
	b = append(b, ' ')
	pay := textfmt.Thousands(int64(a.Len))
	if a.MsgBytes != a.Len {
		pay += " (" + textfmt.Thousands(int64(a.MsgBytes)) + " of this message)"
	}
	b = padRight(b, pay, 30)
	b = append(b, ' ')
	b = padRight(b, "["+a.Flags.Short()+"]", 6)
	var marks []string
	for _, m := range classMarks {
		if a.Class.Has(m.c) {
			marks = append(marks, m.text)
		}
	}
	if a.Off < r.MsgOff {
		marks = append(marks, "ends previous message")
	}
	if a.Off+int64(a.Len) > r.MsgOff+r.MsgLen {
		marks = append(marks, "starts next message")
	}
	inter := min(a.Off+int64(a.Len), r.MsgOff+r.MsgLen) - max(a.Off, r.MsgOff)
	if a.MsgBytes > 0 && int64(a.MsgBytes) < inter && !a.Class.Any(tcp.ClassRetransmissions) {
		marks = append(marks, "partly repeated bytes")
	}
	if len(marks) > 0 {
		b = append(b, ' ')
		b = append(b, strings.Join(marks, ", ")...)
	}
	wrapLine(w, string(trimRight(b)), strings.Repeat(" ", 22))

	// The layering line.
	b = b[:0]
	b = append(b, "                      IP "...)
	b = strconv.AppendInt(b, int64(a.IPHdrLen), 10)
	b = append(b, " + TCP "...)
	b = strconv.AppendInt(b, int64(a.TCPHdrLen), 10)
	if a.TCPOptions != "" {
		b = append(b, " ("...)
		b = append(b, a.TCPOptions...)
		b = append(b, ')')
	}
	b = append(b, " + "...)
	b = append(b, textfmt.Thousands(int64(a.Len))...)
	b = append(b, " = "...)
	b = append(b, textfmt.Thousands(int64(a.IPTotalLen))...)
	b = append(b, " total"...)
	if a.Fragments <= 1 && a.IPTotalLen != a.IPHdrLen+a.TCPHdrLen+a.Len {
		b = append(b, " (sizes disagree: truncated capture?)"...)
	}
	b = append(b, "; frame "...)
	b = append(b, textfmt.Thousands(int64(a.FrameLen))...)
	if a.IPID != 0 || a.DF {
		b = append(b, "; id 0x"...)
		b = strconv.AppendUint(b, uint64(a.IPID), 16)
	}
	if a.DF {
		b = append(b, " DF"...)
	}
	if a.Fragments > 1 {
		b = append(b, "; from "...)
		b = strconv.AppendInt(b, int64(a.Fragments), 10)
		b = append(b, " IP fragments"...)
	}
	wrapLine(w, string(b), strings.Repeat(" ", 24))
}

func writeGapRow(w *strings.Builder, r *report.Anatomy, g report.Part) {
	seq := uint32(r.MsgOff + g.Off + 1)
	var b []byte
	b = append(b, "      -               "...)
	b = padRight(b, strconv.FormatUint(uint64(seq), 10)+":"+strconv.FormatUint(uint64(seq+uint32(g.Len)), 10), 16)
	b = append(b, ' ')
	b = append(b, "gap: "...)
	b = append(b, textfmt.Thousands(g.Len)...)
	b = append(b, " bytes never captured"...)
	w.Write(b)
	w.WriteByte('\n')
}

// fmtMs writes a duration for the summary (textfmt.Duration), or "-" when it was not
// measured (negative).
func fmtMs(d report.Duration) string { return textfmt.DurationOrDash(int64(d)) }

// relMs writes a time offset in milliseconds with three decimals: "212.100 ms".
func relMs(d report.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	us := int64(d) / 1000
	s := strconv.FormatInt(us/1000, 10) + "." + pad3(us%1000) + " ms"
	if neg {
		s = "-" + s
	}
	return s
}

func pad3(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", 3-len(s)) + s
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// writeWrapped writes parts joined by sep, word-wrapped before viewWidth columns; the
// first line starts with first, the others with indent.
func writeWrapped(w *strings.Builder, first, indent string, parts []string, sep string) {
	wrapLine(w, first+strings.Join(parts, sep), indent)
}

// wrapLine writes line, breaking it at spaces so that no output line is wider than
// viewWidth columns (a single longer word stays whole); continuation lines start with
// indent.
func wrapLine(w *strings.Builder, line, indent string) {
	for {
		if runeLen(line) <= viewWidth {
			w.WriteString(line)
			w.WriteByte('\n')
			return
		}
		// Break at the last space within the width, after the leading indentation.
		cut, col, lead := -1, 0, true
		for i, c := range line {
			if c != ' ' {
				lead = false
			} else if !lead && col <= viewWidth {
				cut = i
			}
			col++
			if col > viewWidth && cut >= 0 {
				break
			}
		}
		if cut < 0 {
			w.WriteString(line)
			w.WriteByte('\n')
			return
		}
		w.WriteString(strings.TrimRight(line[:cut], " "))
		w.WriteByte('\n')
		line = indent + strings.TrimLeft(line[cut:], " ")
	}
}

func runeLen(s string) int { return len([]rune(s)) }
