package http1

import (
	"fmt"
	"strings"
)

// recorder collects exchanges as canonical strings.
type recorder struct {
	out  []string
	xs   []summary
	body bool
}

// summary is a copy of the fields tests look at.
type summary struct {
	Depth          int
	Verdict        string
	Anom           string
	Interim        []int
	Upgrade        string
	Req, Resp      *Message
	ReqBody, RBody string
}

func (r *recorder) OnExchange(x *Exchange) {
	r.out = append(r.out, canon(x))
	s := summary{Depth: x.Depth, Verdict: x.Verdict.String(), Anom: anomString(x.Anomalies), Interim: append([]int(nil), x.Interim...), Upgrade: x.Upgrade}
	if x.Req != nil {
		m := *x.Req
		m.Headers = append([]Header(nil), m.Headers...)
		m.Body = nil
		s.Req = &m
		s.ReqBody = string(x.Req.Body)
	}
	if x.Resp != nil {
		m := *x.Resp
		m.Headers = append([]Header(nil), m.Headers...)
		m.Body = nil
		s.Resp = &m
		s.RBody = string(x.Resp.Body)
	}
	r.xs = append(r.xs, s)
}

func anomString(as []Anomaly) string {
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.String())
	}
	return b.String()
}

// canon serialises an exchange without frame numbers and times, which depend
// on how the input was split.
func canon(x *Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s [%s] interim=%v upgrade=%q\n", x.Depth, x.Verdict, anomString(x.Anomalies), x.Interim, x.Upgrade)
	for _, m := range [2]*Message{x.Req, x.Resp} {
		if m == nil {
			b.WriteString("  -\n")
			continue
		}
		fmt.Fprintf(&b, "  %q %q %q %d %q host=%q off=%d/%d/%d body=%d dec=%d ce=%q ct=%q %s chunks=%v gap=%d complete=%v ka=%v [%s]\n",
			m.Method, m.URI, m.Version, m.Status, m.Reason, m.Host, m.StartOff, m.HeaderEnd, m.EndOff,
			m.BodyLen, m.DecodedLen, m.ContentEncoding, m.ContentType, m.Framing, m.Chunks, m.GapBytes, m.Complete, m.KeepAlive, anomString(m.Anomalies))
		for _, h := range m.Headers {
			fmt.Fprintf(&b, "    %q: %q\n", h.Name, h.Value)
		}
		for _, h := range m.Trailers {
			fmt.Fprintf(&b, "    trailer %q: %q\n", h.Name, h.Value)
		}
		if len(m.HeadersCut)+len(m.TrailersCut) > 0 {
			fmt.Fprintf(&b, "    cut %v %v\n", m.HeadersCut, m.TrailersCut)
		}
		if len(m.Body) > 0 {
			fmt.Fprintf(&b, "    body %q\n", m.Body)
		}
	}
	return b.String()
}

// op is one call on the parser.
type op struct {
	dir   Dir
	data  string
	gap   int
	close bool
}

func c2s(s string) op { return op{dir: C2S, data: s} }
func s2c(s string) op { return op{dir: S2C, data: s} }
func gap(d Dir, n int) op {
	return op{dir: d, gap: n}
}
func fin(d Dir) op { return op{dir: d, close: true} }

// runOps runs ops on a new parser. Each op's bytes acknowledge everything the other
// direction sent in the ops before it (gaps included), as the segments of a capture do
// when every segment arrives before the peer answers it; noAck runs without
// acknowledgements (a capture that has none).
func runOps(lim Limits, ops ...op) (*recorder, *Parser) { return runOpsAck(true, lim, ops...) }

func runOpsAck(ack bool, lim Limits, ops ...op) (*recorder, *Parser) {
	r := &recorder{}
	p := NewParser(r, lim)
	var sent [2]int64
	for i, o := range ops {
		switch {
		case o.close:
			p.Close(o.dir, int64(i))
		case o.gap > 0:
			p.Gap(o.dir, uint64(o.gap), int64(i))
			sent[o.dir] += int64(o.gap)
		default:
			if ack {
				p.Ack(o.dir, sent[1-o.dir])
			}
			p.Feed(o.dir, []byte(o.data), uint64(i+1), int64(i))
			sent[o.dir] += int64(len(o.data))
		}
	}
	p.Finish(int64(len(ops)))
	return r, p
}
