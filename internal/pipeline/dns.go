package pipeline

import (
	"net/netip"

	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
)

// dnsTable keeps the recent DNS answers of the input (UDP port 53, decoded by decode
// when Config.Decode.DNS is set), so that a connection to an address a client just
// looked up gets its lookup (the http record's host_lookup, diagnose's dns_lookup). It
// keeps the latest answer per client and answered address, so a connection's lookup costs
// one map access; it is bounded: at most maxDNSAnswers answers and maxDNSQueries queries
// waiting for theirs (a full map starts again).
type dnsTable struct {
	queries map[dnsQueryKey]dnsQuery
	answers map[[2]netip.Addr]analysis.DNSAnswer // client, answered address
}

type dnsQueryKey struct {
	client netip.Addr
	name   string
}

type dnsQuery struct {
	ts    int64
	frame uint64
}

const (
	maxDNSAnswers = 1024
	maxDNSQueries = 4096
)

func newDNSTable() *dnsTable {
	return &dnsTable{queries: map[dnsQueryKey]dnsQuery{}, answers: map[[2]netip.Addr]analysis.DNSAnswer{}}
}

func (t *dnsTable) add(m *decode.DNSMessage) {
	k := dnsQueryKey{m.Client.Addr(), m.Name}
	if !m.Response {
		if _, ok := t.queries[k]; !ok { // the first query counts (A and AAAA go together)
			if len(t.queries) >= maxDNSQueries {
				clear(t.queries)
			}
			t.queries[k] = dnsQuery{m.TS, m.Frame}
		}
		return
	}
	q, ok := t.queries[k]
	if !ok || len(m.Answers) == 0 {
		return
	}
	a := analysis.DNSAnswer{
		Client: k.client, Name: m.Name, QueryFrame: q.frame, QueryTS: q.ts, AnswerFrame: m.Frame, AnswerTS: m.TS,
		Addrs: append([]netip.Addr(nil), m.Answers...), QueryType: m.QType, ResolverAddrPort: m.Server,
	}
	for _, ip := range m.Answers {
		if len(t.answers) >= maxDNSAnswers {
			clear(t.answers)
		}
		t.answers[[2]netip.Addr{k.client, ip}] = a
	}
}

// lookup returns the lookup that preceded a connection from client to server opened at ts.
func (t *dnsTable) lookup(client, server netip.Addr, ts int64) *analysis.Lookup {
	a, ok := t.answers[[2]netip.Addr{client, server}]
	if !ok {
		return nil
	}
	if l, ok := analysis.FindLookup([]analysis.DNSAnswer{a}, client, server, ts); ok {
		return &l
	}
	return nil
}

// AddDNS hands the pipeline a DNS message decoded elsewhere (a run with workers decodes
// on its reader goroutine), in input order among the segments; a pipeline whose mode
// does not use DNS ignores it.
func (p *Pipeline) AddDNS(m *decode.DNSMessage) {
	if p.dns != nil {
		p.dns.add(m)
	}
}

// WantsDNS reports whether the pipeline uses DNS messages (http and diagnose).
func (p *Pipeline) WantsDNS() bool { return p.dns != nil }
