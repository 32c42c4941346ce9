package jsonl

import "github.com/segscope/segscope/report"

var _ report.WhatIfSink = (*Sink)(nil)

// WhatIf writes a "what_if" record.
func (s *Sink) WhatIf(r *report.WhatIf) error {
	b := append(s.buf, '{')
	b = appendStrField(b, "type", "what_if")
	b = appendStrField(b, "client", r.Client)
	b = appendStrField(b, "server", r.Server)
	b = append(appendKey(b, "conns"), '[')
	for i, c := range r.Conns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendU64(b, c)
	}
	b = append(b, ']')
	b = appendInt(b, "exchanges", int64(r.Exchanges))
	b = appendSeconds(b, "rtt", r.RTT)
	b = appendSeconds(b, "measured", r.Measured)
	b = appendStrField(b, "measured_as", r.MeasuredAs)
	b = append(appendKey(b, "estimates"), '[')
	for i := range r.Estimates {
		e := &r.Estimates[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendStrField(b, "scenario", e.Scenario)
		b = appendInt(b, "conns", int64(e.Conns))
		b = appendSeconds(b, "total", e.Total)
		b = appendStrField(b, "text", e.Text)
		b = append(b, '}')
	}
	b = append(b, ']')
	return s.emit(b)
}
