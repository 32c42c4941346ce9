package html

import (
	"bytes"
	"cmp"
	"encoding/json"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/render/svg"
	"github.com/segscope/segscope/report"
)

// kv is one line of a facts table.
type kv struct{ K, V string }

type pageData struct {
	Title      string
	Files      []string
	Facts      []kv
	Verdicts   []report.Count
	Kinds      []report.Count
	Hosts      []hostRow
	HostMore   int
	Seconds    template.HTML
	StepName   string
	Aggregated bool
	NDetail    int
	NConns     int
	NExch      int
	Span       string
	SpanSec    string

	Groups   []wfGroup
	WFShown  int
	WFMore   int
	Conns    []connRow
	ConnMore int
	Details  []connView
	Findings []findRow
	FindMore int
	Data     template.JS
}

type hostRow struct {
	Host                     string
	Conns, Exchanges, Errors string
	Bytes, WaitMed, WaitMax  string
}

type wfGroup struct {
	Conn  uint64
	Label string
	Reuse string
	Rows  []wfRow
}

type wfRow struct {
	Conn    uint64
	Depth   int
	Name    string
	Status  string
	Verdict string
	Size    string
	Total   string
	Bars    []bar
	Title   string
}

type bar struct {
	Phase string
	A, B  string // start and end, seconds since the first packet
}

type connRow struct {
	ID                      uint64
	Client, Server, Start   string
	Duration, RTT, Packets  string
	Bytes, Retx, Req, Close string
	Proto                   string
	Full                    bool
}

type connView struct {
	ID        uint64
	Head      string
	Facts     []kv
	Reasons   string
	Where     string
	Exchanges []exRow
	Findings  []findRow
	Ladder    template.HTML
	TSeq      []template.HTML
	Anatomy   []template.HTML
	NArrows   int
}

type exRow struct {
	Depth                       int
	Method, URI, Host, Status   string
	Verdict, Size, Wait, Frames string
	Anomalies                   string
}

type findRow struct {
	ID       string // anchor of the table row ("find-c1-0"); the connection view's copy adds "-here"
	Conn     uint64
	Frame    uint64
	Kind     string
	Severity string
	Text     string
	Arrow    bool // the connection is drawn in full: the frame links to its ladder row
}

// findingID is the anchor of the k-th finding of connection conn.
func findingID(conn uint64, k int) string {
	return "find-c" + strconv.FormatUint(conn, 10) + "-" + strconv.Itoa(k)
}

// clean makes text from the capture valid UTF-8 (invalid bytes become U+FFFD) before the
// template escapes it.
func clean(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func secStr(d report.Duration) string { return strconv.FormatFloat(float64(d)/1e9, 'f', 6, 64) }

func durText(d report.Duration) string {
	if d < 0 {
		return "–"
	}
	return textfmt.Duration(int64(d))
}

func (s *Sink) build(sum *report.Summary) *pageData {
	slices.SortFunc(s.conns, func(a, b report.Conn) int { return cmp.Compare(a.Conn, b.Conn) })
	slices.SortStableFunc(s.https, func(a, b report.HTTP) int {
		if c := cmp.Compare(a.Conn, b.Conn); c != 0 {
			return c
		}
		return cmp.Compare(a.Depth, b.Depth)
	})
	var selected []report.ConnInterest
	for _, c := range s.conns {
		if _, ok := s.kept[c.Conn]; ok {
			selected = append(selected, s.kept[c.Conn].interest)
		}
	}
	slices.SortFunc(selected, byAnom)
	ov := s.an.Overview(s.conns, s.https, s.kinds, selected)

	files := make([]string, len(s.o.Files))
	for i, f := range s.o.Files {
		files[i] = clean(f)
	}
	pg := &pageData{Files: files, NConns: len(s.conns), NExch: len(s.https), NDetail: len(s.kept)}
	pg.Title = "segscope report"
	if len(s.o.Files) > 0 {
		pg.Title += ": " + strings.Join(files, ", ")
	}
	pg.Aggregated = len(s.kept) < len(s.conns)
	pg.Span = textfmt.Duration(int64(ov.Span))
	pg.SpanSec = secStr(ov.Span)
	// Summary facts.
	add := func(k, v string) { pg.Facts = append(pg.Facts, kv{k, v}) }
	add("capture", strings.Join(files, ", "))
	if len(s.conns) > 0 {
		add("time span", time3339(ov.First)+" to "+time3339(ov.Last)+" ("+textfmt.Duration(int64(ov.Span))+")")
	}
	if sum != nil {
		add("frames", textfmt.Thousands(int64(sum.Frames))+" ("+textfmt.Thousands(int64(sum.TCPSegments))+" TCP segments, "+textfmt.Thousands(int64(sum.Truncated))+" truncated, "+
			textfmt.Thousands(int64(sum.Malformed))+" malformed)")
	}
	add("connections", textfmt.Thousands(int64(ov.Conns)))
	add("HTTP exchanges", textfmt.Thousands(int64(ov.Exchanges)))
	add("bytes client → server", textfmt.Thousands(int64(ov.Bytes.C2S)))
	add("bytes server → client", textfmt.Thousands(int64(ov.Bytes.S2C)))
	add("handshake time paid", textfmt.Duration(int64(ov.Handshake))+" in "+textfmt.Thousands(int64(ov.Handshakes))+" handshakes")
	add("time in exchanges", "connect "+textfmt.Duration(int64(ov.Timing.Connect))+", send "+textfmt.Duration(int64(ov.Timing.Send))+", wait "+textfmt.Duration(int64(ov.Timing.Wait))+", receive "+textfmt.Duration(int64(ov.Timing.Receive)))
	pg.Verdicts, pg.Kinds = ov.Verdicts, ov.FindingKinds
	for i, h := range ov.Hosts {
		if i >= 50 {
			pg.HostMore = len(ov.Hosts) - i
			break
		}
		pg.Hosts = append(pg.Hosts, hostRow{Host: clean(h.Host), Conns: textfmt.Thousands(int64(h.Conns)), Exchanges: textfmt.Thousands(int64(h.Exchanges)),
			Errors: textfmt.Thousands(int64(h.Errors)), Bytes: textfmt.Thousands(h.Bytes), WaitMed: textfmt.Duration(int64(h.WaitMed)), WaitMax: textfmt.Duration(int64(h.WaitMax))})
	}
	if len(ov.Intervals) > 0 {
		var b bytes.Buffer
		svg.Intervals(&b, ov.Intervals, svg.Options{Inline: true, ID: "iv-"})
		pg.Seconds = template.HTML(b.String())
		pg.StepName = textfmt.Duration(int64(ov.Step))
	}

	connByID := map[uint64]*report.Conn{}
	for i := range s.conns {
		connByID[s.conns[i].Conn] = &s.conns[i]
	}
	// Waterfall: the exchanges of connections in full first, then the others, in
	// connection order, up to MaxRows rows.
	shown := map[uint64]bool{}
	rows := 0
	order := make([]uint64, 0, len(s.conns))
	for _, c := range s.conns {
		if _, ok := s.kept[c.Conn]; ok {
			order = append(order, c.Conn)
		}
	}
	for _, c := range s.conns {
		if _, ok := s.kept[c.Conn]; !ok {
			order = append(order, c.Conn)
		}
	}
	var groups []wfGroup
	for _, id := range order {
		idx := s.byConn[id]
		if len(idx) == 0 || rows+len(idx) > s.o.MaxRows {
			continue
		}
		c := connByID[id]
		g := wfGroup{Conn: id, Label: "conn " + strconv.FormatUint(id, 10) + "  " + c.Client + " → " + c.Server}
		if len(idx) > 1 {
			g.Reuse = strconv.Itoa(len(idx)) + " exchanges on one connection"
		}
		for _, i := range idx {
			g.Rows = append(g.Rows, waterfallRow(&s.https[i], c))
		}
		rows += len(idx)
		shown[id] = true
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b wfGroup) int { return cmp.Compare(a.Conn, b.Conn) })
	pg.Groups, pg.WFShown, pg.WFMore = groups, rows, len(s.https)-rows

	// Connections table.
	for _, c := range s.conns {
		_, full := s.kept[c.Conn]
		if !full && len(pg.Conns) >= s.o.MaxRows {
			pg.ConnMore++
			continue
		}
		pg.Conns = append(pg.Conns, connRowOf(&c, full))
	}
	// Connections in full, and the findings table.
	var finds []findRow
	for _, c := range s.conns {
		d, ok := s.kept[c.Conn]
		if !ok {
			continue
		}
		v := s.connView(connByID[c.Conn], d)
		finds = append(finds, v.Findings...)
		pg.Details = append(pg.Details, v)
	}
	for _, f := range s.findings {
		if _, ok := s.kept[f.f.Conn]; !ok {
			finds = append(finds, findRow{ID: f.id, Conn: f.f.Conn, Frame: f.f.Frame, Kind: f.f.Kind, Severity: f.f.Severity, Text: clean(f.f.Text)})
		}
	}
	slices.SortStableFunc(finds, func(a, b findRow) int {
		if c := cmp.Compare(a.Conn, b.Conn); c != 0 {
			return c
		}
		return cmp.Compare(a.Frame, b.Frame)
	})
	if len(finds) > s.o.MaxFindings {
		finds = finds[:s.o.MaxFindings]
	}
	pg.Findings = finds
	pg.FindMore = len(s.kinds) - len(finds)
	pg.Data = s.data(shown)
	return pg
}

func time3339(t report.Time) string {
	return time.Unix(0, int64(t)).UTC().Format("2006-01-02 15:04:05.000000 UTC")
}

func waterfallRow(h *report.HTTP, c *report.Conn) wfRow {
	r := wfRow{Conn: h.Conn, Depth: h.Depth, Verdict: h.Verdict}
	r.Name = clean(h.Method + " " + h.URI)
	if h.Method == "" {
		r.Name = "(no request)"
	}
	r.Status = "–"
	if h.Status > 0 {
		r.Status = strconv.Itoa(h.Status)
	}
	r.Size = textfmt.Thousands(max(h.RespBodyLen, 0))
	t := h.Timing
	start := h.Rel
	if t.Connect > 0 && c != nil {
		r.Bars = append(r.Bars, bar{"connect", secStr(c.StartRel), secStr(c.StartRel + t.Connect)})
	}
	pos := start
	total := report.Duration(0)
	for _, p := range [...]struct {
		name string
		d    report.Duration
	}{{"send", t.Send}, {"wait", t.Wait}, {"receive", t.Receive}} {
		if p.d < 0 {
			continue
		}
		r.Bars = append(r.Bars, bar{p.name, secStr(pos), secStr(pos + p.d)})
		pos += p.d
		total += p.d
	}
	r.Total = textfmt.Duration(int64(total))
	r.Title = "conn " + strconv.FormatUint(h.Conn, 10) + " #" + strconv.Itoa(h.Depth) + ": " + r.Name + " → " + r.Status + " " + clean(h.Reason) +
		"; verdict " + h.Verdict + "; connect " + durText(t.Connect) + ", send " + durText(t.Send) + ", wait " + durText(t.Wait) + ", receive " + durText(t.Receive)
	return r
}

func connRowOf(c *report.Conn, full bool) connRow {
	rtt := "–"
	if c.HandshakeRTT >= 0 {
		rtt = textfmt.Duration(int64(c.HandshakeRTT))
	}
	return connRow{ID: c.Conn, Client: c.Client, Server: c.Server, Start: secStr(c.StartRel), Duration: textfmt.Duration(int64(c.Duration)), RTT: rtt,
		Packets: textfmt.Thousands(int64(c.Packets.C2S)) + "/" + textfmt.Thousands(int64(c.Packets.S2C)),
		Bytes:   textfmt.Thousands(int64(c.Bytes.C2S)) + "/" + textfmt.Thousands(int64(c.Bytes.S2C)),
		Retx:    textfmt.Thousands(int64(c.Retransmissions.C2S + c.Retransmissions.S2C)), Req: strconv.Itoa(c.Requests),
		Close: c.Close, Proto: c.Protocol, Full: full}
}

func (s *Sink) connView(c *report.Conn, d *detail) connView {
	id := c.Conn
	v := connView{ID: id, Head: "conn " + strconv.FormatUint(id, 10) + ": client " + c.Client + " ⇄ server " + c.Server}
	r := connRowOf(c, true)
	v.Facts = []kv{{"frames", strconv.FormatUint(c.FirstFrame, 10) + "–" + strconv.FormatUint(c.LastFrame, 10)},
		{"start", r.Start + " s"}, {"duration", r.Duration}, {"handshake RTT", r.RTT},
		{"packets c→s / s→c", r.Packets}, {"payload bytes c→s / s→c", r.Bytes}, {"retransmissions", r.Retx},
		{"MSS client / server", strconv.Itoa(c.MSS[0]) + " / " + strconv.Itoa(c.MSS[1])},
		{"protocol", c.Protocol}, {"close", c.Close + " " + c.Closer}, {"state", c.State}}
	v.Reasons = strings.Join(d.interest.Reasons, ", ")
	prefix := "c" + strconv.FormatUint(id, 10) + "-"
	links := map[uint64][]svg.Link{}
	for k, f := range d.findings {
		if f.Frame == 0 {
			continue
		}
		l := "i"
		if f.Severity == "warn" {
			l = "!"
		}
		links[f.Frame] = append(links[f.Frame], svg.Link{Label: l, Href: "#" + findingID(id, k) + "-here", Title: f.Kind + ": " + f.Text, Warn: f.Severity == "warn"})
	}
	for _, i := range s.byConn[id] {
		h := &s.https[i]
		v.Exchanges = append(v.Exchanges, exRow{Depth: h.Depth, Method: clean(h.Method), URI: clean(h.URI), Host: clean(h.Host), Status: strconv.Itoa(h.Status),
			Verdict: h.Verdict, Size: textfmt.Thousands(max(h.RespBodyLen, 0)), Wait: durText(h.Timing.Wait),
			Frames:    strconv.FormatUint(h.ReqFrames[0], 10) + "–" + strconv.FormatUint(h.RespFrames[1], 10),
			Anomalies: strings.Join(h.Anomalies, " ")})
	}
	for k, f := range d.findings {
		v.Findings = append(v.Findings, findRow{ID: findingID(id, k), Conn: f.Conn, Frame: f.Frame, Kind: f.Kind, Severity: f.Severity, Text: clean(f.Text), Arrow: f.Frame > 0})
	}
	vant := report.Vantage{}
	if d.hasPic {
		vant = d.pic.Vantage
	}
	switch {
	case !vant.Known:
		v.Where = "The capture shows no round trip to one of the sides, so where it was taken is unknown: arrows are drawn flat, at the time the capture saw each segment."
	default:
		v.Where = "Times are those of the capture point. From the round trips it saw to each side, the capture point sat " + whereText(vant.Where) +
			" (one-way delay to the client " + textfmt.Duration(int64(vant.ToClient)) + ", to the server " + textfmt.Duration(int64(vant.ToServer)) +
			"): each arrow leaves its sender and reaches its receiver at times estimated from these delays, and crosses the dashed capture line at the time it was captured."
	}
	if len(d.events) > 0 {
		var b bytes.Buffer
		svg.Ladder(&b, d.events, vant, svg.Options{Inline: true, ID: prefix, Links: links})
		v.Ladder = template.HTML(b.String())
		v.NArrows = len(d.events)
	}
	if d.hasPic {
		for k := range d.pic.TSeq {
			t := &d.pic.TSeq[k]
			if len(t.Data) == 0 {
				continue
			}
			var b bytes.Buffer
			svg.TSeq(&b, t, svg.Options{Inline: true, ID: prefix + t.Dir + "-"})
			v.TSeq = append(v.TSeq, template.HTML(b.String()))
		}
	}
	for k := range d.anat {
		var b bytes.Buffer
		svg.Anatomy(&b, &d.anat[k], svg.Options{Inline: true, ID: prefix + "a" + strconv.Itoa(k) + "-"})
		v.Anatomy = append(v.Anatomy, template.HTML(b.String()))
	}
	return v
}

func whereText(w string) string {
	switch w {
	case "client", "server":
		return "near the " + w
	}
	return "between client and server"
}

// data is the compact JSON the page draws on demand: every connection and every
// exchange as an array of fields (named in conn_fields and http_fields); the fields
// listed in conn_strs and http_strs are indexes into strings, which holds each distinct
// text once. The page expands them when it loads.
func (s *Sink) data(shown map[uint64]bool) template.JS {
	strs := map[string]int{}
	var table []string
	str := func(b []byte, v string) []byte {
		i, ok := strs[v]
		if !ok {
			i = len(table)
			strs[v] = i
			table = append(table, v)
		}
		return strconv.AppendInt(b, int64(i), 10)
	}
	sec := func(b []byte, x report.Duration) []byte {
		if x < 0 {
			return append(b, "-1"...)
		}
		return strconv.AppendFloat(b, float64(x)/1e9, 'f', 6, 64)
	}
	num := func(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }
	b := make([]byte, 0, 64*(len(s.conns)+len(s.https))+1024)
	b = append(b, `{"conn_fields":["conn","client","server","start","duration","rtt","packets_c2s","packets_s2c","bytes_c2s","bytes_s2c","retx","requests","protocol","close","first_frame","last_frame","in_waterfall"],"conn_strs":[1,2,12,13],"conns":[`...)
	var last report.Duration
	for i := range s.conns {
		c := &s.conns[i]
		last = max(last, c.StartRel+c.Duration)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = num(b, c.Conn)
		b = append(b, ',')
		b = str(b, c.Client)
		b = append(b, ',')
		b = str(b, c.Server)
		for _, d := range [...]report.Duration{c.StartRel, c.Duration, c.HandshakeRTT} {
			b = append(b, ',')
			b = sec(b, d)
		}
		for _, v := range [...]uint64{c.Packets.C2S, c.Packets.S2C, c.Bytes.C2S, c.Bytes.S2C, c.Retransmissions.C2S + c.Retransmissions.S2C, uint64(c.Requests)} {
			b = append(b, ',')
			b = num(b, v)
		}
		b = append(b, ',')
		b = str(b, c.Protocol)
		b = append(b, ',')
		b = str(b, c.Close)
		b = append(b, ',')
		b = num(b, c.FirstFrame)
		b = append(b, ',')
		b = num(b, c.LastFrame)
		if shown[c.Conn] {
			b = append(b, ",1]"...)
		} else {
			b = append(b, ",0]"...)
		}
	}
	b = append(b, `],"http_fields":["conn","depth","rel","connect","send","wait","receive","method","uri","host","status","verdict","resp_body_len","conn_start"],"http_strs":[7,8,9,11],"http":[`...)
	for i := range s.https {
		h := &s.https[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = num(b, h.Conn)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(h.Depth), 10)
		for _, d := range [...]report.Duration{h.Rel, h.Timing.Connect, h.Timing.Send, h.Timing.Wait, h.Timing.Receive} {
			b = append(b, ',')
			b = sec(b, d)
		}
		for _, v := range [...]string{h.Method, h.URI, h.Host} {
			b = append(b, ',')
			b = str(b, v)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(h.Status), 10)
		b = append(b, ',')
		b = str(b, h.Verdict)
		b = append(b, ',')
		b = strconv.AppendInt(b, h.RespBodyLen, 10)
		b = append(b, ']')
	}
	b = append(b, `],"full":[`...)
	n := 0
	for i := range s.conns {
		if _, ok := s.kept[s.conns[i].Conn]; ok {
			if n > 0 {
				b = append(b, ',')
			}
			b = num(b, s.conns[i].Conn)
			n++
		}
	}
	b = append(b, `],"span":`...)
	b = sec(b, last)
	b = append(b, `,"strings":`...)
	// encoding/json escapes <, > and & (no "</script>" can appear) and writes invalid
	// UTF-8 as U+FFFD.
	js, _ := json.Marshal(table)
	b = append(b, js...)
	b = append(b, '}')
	return template.JS(b)
}
