package analysis

import (
	"cmp"
	"slices"

	"github.com/segscope/segscope/report"
)

// verdictComplete is the http record's verdict of an exchange seen whole (http1.Verdict).
const verdictComplete = "complete"

// exchangeErr reports whether an exchange counts as an error in the summaries: a verdict
// other than complete, or a status of 400 or more.
func exchangeErr(h *report.HTTP) bool { return h.Verdict != verdictComplete || h.Status >= 400 }

// exchangeSpan is an exchange's time from its first request byte to its last response
// byte (send + wait + receive), -1 when not measurable.
func exchangeSpan(h *report.HTTP) report.Duration {
	t := h.Timing
	if t.Send < 0 || t.Wait < 0 || t.Receive < 0 {
		return -1
	}
	return t.Send + t.Wait + t.Receive
}

// Interest says how much connection c deserves to be shown in full in a report (see
// report.ConnInterest), from its records: hs its exchanges, fs its findings.
func Interest(c *report.Conn, hs []report.HTTP, fs []report.Finding) report.ConnInterest {
	in := report.ConnInterest{Conn: c.Conn, Slow: -1}
	for i := range hs {
		if d := exchangeSpan(&hs[i]); d > in.Slow {
			in.Slow = d
		}
	}
	if in.Slow < 0 {
		in.Slow = c.Duration
	} else {
		in.Reasons = append(in.Reasons, "slowest exchange "+fmtDur(int64(in.Slow)))
	}
	warns := 0
	for i := range fs {
		if fs[i].Severity == string(SevWarn) {
			warns++
		}
	}
	bad := 0
	for i := range hs {
		if hs[i].Verdict != verdictComplete {
			bad++
		}
	}
	retx := int(c.Retransmissions.C2S + c.Retransmissions.S2C)
	gaps := 0
	if c.GapBytes.C2S+c.GapBytes.S2C > 0 {
		gaps = 1
	}
	in.Anomalies = warns + retx + gaps + bad
	if warns > 0 {
		in.Reasons = append(in.Reasons, plural(warns, "warning", "warnings"))
	}
	if retx > 0 {
		in.Reasons = append(in.Reasons, plural(retx, "retransmission", "retransmissions"))
	}
	if gaps > 0 {
		in.Reasons = append(in.Reasons, fmtBytes(int64(c.GapBytes.C2S+c.GapBytes.S2C))+" bytes never captured")
	}
	if bad > 0 {
		in.Reasons = append(in.Reasons, plural(bad, "exchange not complete", "exchanges not complete"))
	}
	return in
}

// Overview aggregates a capture's records for the report's summary: counts, verdicts,
// findings by kind, bytes by direction, handshake time paid, timing totals, and per-host
// and per-second summaries. conns, hs and fs may be in any order; the result does not
// depend on it. selected are the connections the report shows in full.
func Overview(conns []report.Conn, hs []report.HTTP, fs []report.Finding, selected []report.ConnInterest) report.Overview {
	ov := report.Overview{Conns: len(conns), Exchanges: len(hs), Selected: selected}
	first, last := int64(0), int64(0)
	for i := range conns {
		c := &conns[i]
		if i == 0 || int64(c.Start) < first {
			first = int64(c.Start)
		}
		last = max(last, int64(c.End))
		ov.Bytes.C2S += c.Bytes.C2S
		ov.Bytes.S2C += c.Bytes.S2C
		if c.HandshakeRTT > 0 {
			ov.Handshake += c.HandshakeRTT
			ov.Handshakes++
		}
	}
	ov.First, ov.Last, ov.Span = report.Time(first), report.Time(last), report.Duration(last-first)

	verdicts := map[string]int{}
	for i := range hs {
		h := &hs[i]
		verdicts[h.Verdict]++
		t := &ov.Timing
		for _, p := range [...]struct {
			d   report.Duration
			sum *report.Duration
		}{{h.Timing.Connect, &t.Connect}, {h.Timing.Send, &t.Send}, {h.Timing.Wait, &t.Wait}, {h.Timing.Receive, &t.Receive}} {
			if p.d > 0 {
				*p.sum += p.d
			}
		}
	}
	ov.Verdicts = counts(verdicts)
	kinds := map[string]int{}
	for i := range fs {
		kinds[fs[i].Kind]++
	}
	ov.FindingKinds = counts(kinds)
	ov.Hosts = hostSummaries(conns, hs)
	ov.Step, ov.Intervals = intervals(first, conns, hs)
	return ov
}

// counts turns a name count map into a list, most first, then by name.
func counts(m map[string]int) []report.Count {
	out := make([]report.Count, 0, len(m))
	for k, n := range m {
		out = append(out, report.Count{Name: k, N: n})
	}
	slices.SortFunc(out, func(a, b report.Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// hostOf names the host of an exchange: its Host header, or the server's address.
func hostOf(h *report.HTTP) string {
	if h.Host != "" {
		return h.Host
	}
	return h.Server
}

func hostSummaries(conns []report.Conn, hs []report.HTTP) []report.HostSummary {
	type acc struct {
		s     report.HostSummary
		conns map[uint64]bool
		waits []report.Duration
	}
	byHost := map[string]*acc{}
	for i := range hs {
		h := &hs[i]
		name := hostOf(h)
		a := byHost[name]
		if a == nil {
			a = &acc{s: report.HostSummary{Host: name}, conns: map[uint64]bool{}}
			byHost[name] = a
		}
		a.conns[h.Conn] = true
		a.s.Exchanges++
		a.s.Bytes += max(h.RespBodyLen, 0)
		if exchangeErr(h) {
			a.s.Errors++
		}
		if h.Timing.Wait >= 0 {
			a.waits = append(a.waits, h.Timing.Wait)
		}
	}
	out := make([]report.HostSummary, 0, len(byHost))
	for _, a := range byHost {
		a.s.Conns = len(a.conns)
		if n := len(a.waits); n > 0 {
			slices.Sort(a.waits)
			a.s.WaitMax = a.waits[n-1]
			a.s.WaitMed = a.waits[(n-1)/2]
		}
		out = append(out, a.s)
	}
	slices.SortFunc(out, func(a, b report.HostSummary) int {
		if c := cmp.Compare(b.Exchanges, a.Exchanges); c != 0 {
			return c
		}
		return cmp.Compare(a.Host, b.Host)
	})
	return out
}

// maxIntervals bounds the intervals of the time summary. Their step is one second, or in
// a capture shorter than maxIntervals seconds the round step (1, 2 or 5 times a power of
// ten, at least 1 ms) that cuts it into at most maxIntervals; a capture longer than
// maxIntervals seconds gets a step of whole seconds.
const maxIntervals = 120

func intervals(first int64, conns []report.Conn, hs []report.HTTP) (report.Duration, []report.Interval) {
	if len(conns) == 0 {
		return 0, nil
	}
	var last int64
	for i := range conns {
		last = max(last, int64(conns[i].End))
	}
	span := last - first
	step := int64(1e9)
	if span > maxIntervals*step {
		step = (span/maxIntervals/1e9 + 1) * 1e9
	} else {
		step = 1e6
	outer:
		for ; step < 1e9; step *= 10 {
			for _, m := range [...]int64{1, 2, 5} {
				if span/(step*m) < maxIntervals {
					step *= m
					break outer
				}
			}
		}
		step = min(step, 1e9)
	}
	out := make([]report.Interval, span/step+1)
	for i := range out {
		out[i].Start = report.Duration(int64(i) * step)
	}
	at := func(ts int64) *report.Interval {
		i := min(max((ts-first)/step, 0), int64(len(out)-1))
		return &out[i]
	}
	for i := range conns {
		at(int64(conns[i].Start)).Conns++
	}
	for i := range hs {
		h := &hs[i]
		s := at(int64(h.TS))
		s.Exchanges++
		s.Bytes += max(h.RespBodyLen, 0)
		if exchangeErr(h) {
			s.Errors++
		}
	}
	return report.Duration(step), out
}

// Reporter gives the HTML report (render/html.Analyzer) this package's Interest and
// Overview.
type Reporter struct{}

// Interest is analysis.Interest.
func (Reporter) Interest(c *report.Conn, hs []report.HTTP, fs []report.Finding) report.ConnInterest {
	return Interest(c, hs, fs)
}

// Overview is analysis.Overview.
func (Reporter) Overview(conns []report.Conn, hs []report.HTTP, fs []report.Finding, selected []report.ConnInterest) report.Overview {
	return Overview(conns, hs, fs, selected)
}
