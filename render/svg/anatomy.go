package svg

import (
	"io"
	"strconv"
	"strings"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Anatomy layout, in pixels.
const (
	anW       = 960.0
	anLeft    = 96.0
	anBarW    = anW - anLeft - 24
	anBarH    = 22.0
	anPktRow  = 20.0
	anPktW    = 560.0 // the widest frame of the message spans this
	anMaxPkts = 48    // packet rows drawn; the rest are counted
)

// partNames name the message parts in the picture.
var partNames = map[string]string{
	"start_line": "start line", "headers": "headers", "body": "body", "chunk_header": "chunk size",
	"chunk_data": "chunk", "trailer": "trailer", "gap": "gap",
}

// Anatomy writes how one HTTP message was carried (an "anatomy" record): the message
// laid out by byte offset (start line, headers, body or chunks, gaps), the TCP segments
// that delivered its bytes below it on the same scale (retransmitted copies on a row of
// their own), and, for each segment, its IP packet as proportional boxes: link header,
// IP header, TCP header, payload.
func Anatomy(w io.Writer, a *report.Anatomy, o Options) error {
	var b buf
	anatomy(&b, a, &o)
	_, err := io.WriteString(w, b.String())
	return err
}

func anatomy(b *buf, a *report.Anatomy, o *Options) {
	kind := "response"
	if a.Dir == "c2s" {
		kind = "request"
	}
	name := kind + " " + strconv.Itoa(a.Depth)
	head := name + " (conn " + strconv.FormatUint(a.Conn, 10) + "): " + a.Title + " — " + textfmt.Thousands(a.MsgLen) + " bytes: headers " +
		textfmt.Thousands(a.HeaderLen) + ", body " + textfmt.Thousands(a.BodyLen)
	if a.GapBytes > 0 {
		head += ", " + textfmt.Thousands(a.GapBytes) + " never captured"
	}
	npk := min(len(a.Segments), anMaxPkts)
	pktTop := 150.0
	h := pktTop + 20 + float64(npk)*anPktRow + 44
	if len(a.Segments) > npk {
		h += anPktRow
	}
	b.open(o, anW, h, "anatomy", head)
	b.s(`<text x="4" y="16" font-weight="bold">`)
	b.esc(head)
	b.s("</text>\n")

	msgLen := float64(max(a.MsgLen, 1))
	x := func(off float64) float64 { return anLeft + anBarW*min(max(off, 0), msgLen)/msgLen }
	box := func(cls string, x0, x1, y, hh float64, label, tip string) {
		wd := max(x1-x0, 1)
		b.s(`<g><title>`)
		b.esc(tip)
		b.s(`</title><rect class="`)
		b.esc(cls)
		b.s(`" x="`, f(x0), `" y="`, f(y), `" width="`, f(wd), `" height="`, f(hh), `"/>`)
		if label != "" && float64(len(label))*6.2+6 < wd {
			b.s(`<text x="`, f(x0+wd/2), `" y="`, f(y+hh/2+4), `" text-anchor="middle">`)
			b.esc(label)
			b.s("</text>")
		}
		b.s("</g>\n")
	}
	// Message parts.
	yMsg := 34.0
	b.s(`<text x="4" y="`, f(yMsg+15), `">message</text>`, "\n")
	for _, p := range a.Parts {
		n := partNames[p.Kind]
		if n == "" {
			n = p.Kind
		}
		box("part p-"+p.Kind, x(float64(p.Off)), x(float64(p.Off+p.Len)), yMsg, anBarH, n,
			n+": bytes "+textfmt.Thousands(p.Off)+"–"+textfmt.Thousands(p.Off+p.Len)+" ("+textfmt.Thousands(p.Len)+")")
	}
	// Segments on the same scale: first deliveries on one row, retransmitted copies below.
	ySeg, yRetx := yMsg+anBarH+10, yMsg+2*anBarH+16
	b.s(`<text x="4" y="`, f(ySeg+15), `">segments</text>`, "\n")
	hasRetx := false
	for _, s := range a.Segments {
		lo, hi := float64(s.Off-a.MsgOff), float64(s.Off-a.MsgOff+int64(s.Len))
		fr := strconv.FormatUint(s.Frame, 10)
		tip := "frame " + fr + ": seq " + strconv.FormatUint(uint64(s.Seq), 10) + ", " + textfmt.Thousands(int64(s.Len)) + " bytes, " +
			textfmt.Thousands(int64(s.MsgBytes)) + " of this message first"
		cls, y := "seg", ySeg
		if s.MsgBytes == 0 || s.Class.Any(tcp.ClassRetransmissions) {
			cls, y, hasRetx = "seg retx", yRetx, true
			tip += " (retransmitted copy)"
		}
		box(cls, x(lo), x(hi), y, anBarH, fr, tip)
	}
	if hasRetx {
		b.s(`<text x="4" y="`, f(yRetx+15), `">copies</text>`, "\n")
	}
	yAx := yRetx + anBarH + 14
	b.s(`<text x="`, f(anLeft), `" y="`, f(yAx), `">0</text><text x="`, f(anLeft+anBarW), `" y="`, f(yAx), `" text-anchor="end">`,
		textfmt.Thousands(a.MsgLen), " bytes</text>\n")

	// IP packets as proportional boxes.
	maxFrame := 1
	for _, s := range a.Segments {
		maxFrame = max(maxFrame, s.FrameLen, s.IPTotalLen)
	}
	px := anPktW / float64(maxFrame)
	b.s(`<text x="4" y="`, f(pktTop), `" font-weight="bold">IP packets (to scale: `, textfmt.Thousands(int64(maxFrame)), " bytes = ", f(anPktW), " px)</text>\n")
	for i, s := range a.Segments[:npk] {
		y := pktTop + 10 + float64(i)*anPktRow
		fr := strconv.FormatUint(s.Frame, 10)
		b.s(`<text x="4" y="`, f(y+13), `">frame `, fr, "</text>\n")
		x0 := anLeft
		link := s.FrameLen - s.IPTotalLen
		part := func(cls string, n int, label, tip string) {
			if n <= 0 {
				return
			}
			wd := float64(n) * px
			box(cls, x0, x0+wd, y, anPktRow-4, label, tip)
			x0 += wd
		}
		part("h-eth", link, "", "link header "+strconv.Itoa(link)+" bytes")
		part("h-ip", s.IPHdrLen, "IP "+strconv.Itoa(s.IPHdrLen), "IP header "+strconv.Itoa(s.IPHdrLen)+" bytes, id 0x"+strconv.FormatUint(uint64(s.IPID), 16))
		opt := ""
		if s.TCPOptions != "" {
			opt = " (options " + s.TCPOptions + ")"
		}
		part("h-tcp", s.TCPHdrLen, "TCP "+strconv.Itoa(s.TCPHdrLen), "TCP header "+strconv.Itoa(s.TCPHdrLen)+" bytes"+opt)
		pc := "h-pay"
		if s.MsgBytes == 0 || s.Class.Any(tcp.ClassRetransmissions) {
			pc += " retx"
		}
		part(pc, s.Len, textfmt.Thousands(int64(s.Len)), "payload "+textfmt.Thousands(int64(s.Len))+" bytes, "+textfmt.Thousands(int64(s.MsgBytes))+" of this message")
		tail := "[" + s.Flags.Short() + "] " + textfmt.Thousands(int64(s.IPTotalLen)) + " IP bytes"
		if s.Fragments > 1 {
			tail += " in " + strconv.Itoa(s.Fragments) + " fragments"
		}
		if s.Class != 0 {
			tail += " " + strings.ReplaceAll(s.Class.String(), ",", " ")
		}
		b.s(`<text class="note" x="`, f(x0+6), `" y="`, f(y+12), `">`)
		b.esc(tail)
		b.s("</text>\n")
	}
	y := pktTop + 10 + float64(npk)*anPktRow
	if len(a.Segments) > npk {
		b.s(`<text class="note" x="`, f(anLeft), `" y="`, f(y+12), `">… `, strconv.Itoa(len(a.Segments)-npk), " more segments</text>\n")
		y += anPktRow
	}
	sm := &a.Summary
	sum := textfmt.Thousands(a.MsgLen) + " bytes in " + count(sm.Segments, "segment") + " / " + count(sm.IPPackets, "IP packet") +
		"; IP/TCP headers " + textfmt.Thousands(sm.Overhead) + " bytes; MSS " + strconv.Itoa(sm.MSS) + "; "
	switch sm.Retransmissions {
	case 0:
		sum += "no retransmission"
	default:
		sum += strconv.Itoa(sm.Retransmissions) + " retransmitted"
		if sm.FirstRetransGap > 0 {
			sum += " (first after " + textfmt.Duration(int64(sm.FirstRetransGap)) + ")"
		}
	}
	sum += "; first byte to last byte " + textfmt.Duration(int64(sm.Span))
	b.s(`<text x="4" y="`, f(y+24), `">`)
	b.esc(sum)
	b.s("</text>\n")
	b.close()
}

// count writes "1 segment", "4 segments".
func count(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}
