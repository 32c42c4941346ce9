package text

import (
	"strconv"
	"strings"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Ladder layout: frame and time on the left, the client's lifeline, the arrow lane, the
// server's lifeline, then notes wrapped to the remaining columns.
const (
	ladFrameW = 6
	ladTimeW  = 10
	ladLaneW  = 44                             // columns between the two lifelines
	ladLeft   = ladFrameW + 1 + ladTimeW + 2   // column of the client's lifeline
	ladNotesX = ladLeft + 1 + ladLaneW + 1 + 2 // first column of the notes
	ladNotesW = viewWidth - ladNotesX          // width of the notes column
)

// ladIdle is a continuation row: both lifelines, no arrow.
var ladIdle = strings.Repeat(" ", ladLeft) + "│" + strings.Repeat(" ", ladLaneW) + "│  "

// Event writes one row of a connection's sequence diagram (segscope ladder): time
// since the connection's first packet, the client on the left and the server on the right,
// an arrow for the segment labelled "[S.] seq 0 ack 1 win 65160 len 0", and the notes to
// the right, wrapped onto continuation rows:
//
//	conn 1: client 10.0.0.1:40000 ⇄ server 10.0.0.2:80
//	 FRAME       TIME  client                                        server  NOTES
//	     1   0.000000  │──[S] seq 0 win 64240 len 0──────────────────>│  handshake: SYN [mss
//	                   │                                            │  1460,sackOK,TS,wscale 7]
//	     2   0.001000  │<────────────[S.] seq 0 ack 1 win 64240 len 0──│  handshake: SYN-ACK ...
//
// A header is written before the first event of each connection. When the first note of
// that event names the endpoints ("client A, server B", as analysis.Ladder writes it), the
// header shows them instead of the note.
func (s *Sink) Event(r *report.Event) error {
	var w strings.Builder
	notes := r.Notes
	if r.Conn != s.lastConn || !s.header[5] {
		if s.header[5] {
			w.WriteByte('\n')
		}
		s.header[5] = true
		s.lastConn = r.Conn
		head := "conn " + strconv.FormatUint(r.Conn, 10)
		if len(notes) > 0 && strings.HasPrefix(notes[0], "client ") {
			if c, sv, ok := strings.Cut(notes[0][len("client "):], ", server "); ok {
				head += ": client " + c + " ⇄ server " + sv
				notes = notes[1:]
			}
		}
		wrapLine(&w, head, "    ")
		hdr := padRight(nil, " FRAME", ladFrameW)
		hdr = append(hdr, ' ')
		hdr = padLeft(hdr, []byte("TIME"), ladTimeW)
		hdr = append(hdr, "  client"...)
		hdr = append(hdr, strings.Repeat(" ", ladLaneW+2-len("client")-len("server"))...)
		hdr = append(hdr, "server  NOTES"...)
		w.Write(hdr)
		w.WriteByte('\n')
	}

	var b []byte
	b = padLeft(b, strconv.AppendUint(nil, r.Frame, 10), ladFrameW)
	b = append(b, ' ')
	b = padLeft(b, textfmt.AppendSecondsFixed(nil, int64(r.Rel), 6), ladTimeW)
	b = append(b, "  │"...)
	c2s := r.Dir == "c2s"
	if r.Collapsed > 0 {
		label := "… " + strconv.Itoa(r.Collapsed) + " more data segments, " + textfmt.Thousands(r.CollapsedBytes) + " bytes …"
		if runeLen(label) > ladLaneW-3 {
			label = "… " + strconv.Itoa(r.Collapsed) + " more, " + textfmt.Thousands(r.CollapsedBytes) + " bytes …"
		}
		b = append(b, arrow(label, c2s, '·')...)
	} else {
		b = append(b, arrow(eventLabel(r), c2s, '─')...)
	}
	b = append(b, "│  "...)

	lines := wrapNotes(notes, ladNotesW)
	if len(lines) == 0 {
		w.Write(trimRight(b))
		w.WriteByte('\n')
	}
	for i, l := range lines {
		if i == 0 {
			w.Write(b)
		} else {
			w.WriteString(ladIdle)
		}
		w.WriteString(l)
		w.WriteByte('\n')
	}
	return s.block(w.String())
}

// eventLabel is the text on an arrow, shortened until it fits the lane.
func eventLabel(r *report.Event) string {
	fl := "[" + r.Flags.Short() + "]"
	seq := " seq " + strconv.FormatUint(uint64(r.Seq), 10)
	ack := ""
	if r.Flags.Has(tcp.ACK) {
		ack = " ack " + strconv.FormatUint(uint64(r.Ack), 10)
	}
	win := " win " + strconv.FormatUint(uint64(r.Win), 10)
	ln := " len " + strconv.Itoa(r.Len)
	for _, l := range []string{fl + seq + ack + win + ln, fl + seq + ack + ln, fl + seq + ln, fl + ln} {
		if runeLen(l) <= ladLaneW-4 {
			return l
		}
	}
	return fl
}

// arrow draws the lane: "──label────>" left to right for c2s, "<────label──" for s2c.
func arrow(label string, c2s bool, line rune) string {
	n := ladLaneW - 3 - runeLen(label)
	if n < 0 {
		label = string([]rune(label)[:ladLaneW-3])
		n = 0
	}
	two := strings.Repeat(string(line), 2)
	if c2s {
		return two + label + strings.Repeat(string(line), n) + ">"
	}
	return "<" + strings.Repeat(string(line), n) + label + two
}

// wrapNotes joins notes with "; " and word-wraps them to width columns.
func wrapNotes(notes []string, width int) []string {
	if len(notes) == 0 {
		return nil
	}
	var lines []string
	var cur []rune
	for i, n := range notes {
		text := n
		if i < len(notes)-1 {
			text += ";"
		}
		for _, word := range strings.Fields(text) {
			wr := []rune(word)
			for len(wr) > width { // a word longer than the column: hard break
				if len(cur) > 0 {
					lines = append(lines, string(cur))
					cur = cur[:0]
				}
				lines = append(lines, string(wr[:width]))
				wr = wr[width:]
			}
			switch {
			case len(cur) == 0:
				cur = append(cur, wr...)
			case len(cur)+1+len(wr) <= width:
				cur = append(cur, ' ')
				cur = append(cur, wr...)
			default:
				lines = append(lines, string(cur))
				cur = append(cur[:0], wr...)
			}
		}
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
