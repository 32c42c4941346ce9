package analysis

import (
	"net/netip"
	"strconv"
)

// DNS before the connection: a client that connects to a name first asks a resolver for
// its address; when the server address of a connection was an answer to that client a
// short while before, the lookup is part of the time before the first request (HAR's
// timings.dns).

// DNSAnswer is one resolved name as the pipeline saw it: the query's and the response's
// frames and times, and the addresses answered.
type DNSAnswer struct {
	Client           netip.Addr // who asked
	Name             string
	QueryFrame       uint64
	QueryTS          int64 // the first query for the name from this client
	AnswerFrame      uint64
	AnswerTS         int64
	Addrs            []netip.Addr
	QueryType        uint16
	ResolverAddrPort netip.AddrPort
}

// Lookup is the DNS lookup that preceded a connection.
type Lookup struct {
	Name        string
	QueryFrame  uint64
	AnswerFrame uint64
	Duration    int64 // query to answer
	Before      int64 // answer to the connection's first segment
}

// lookupWindow bounds how long before a connection an answer still counts as its lookup.
const lookupWindow = 10e9

// FindLookup returns the latest answer to client, given at or before connStart and at
// most 10 s before it, that named server.
func FindLookup(answers []DNSAnswer, client, server netip.Addr, connStart int64) (Lookup, bool) {
	best := -1
	for i := range answers {
		a := &answers[i]
		if a.Client != client || a.AnswerTS > connStart || connStart-a.AnswerTS > lookupWindow {
			continue
		}
		for _, ip := range a.Addrs {
			if ip == server && (best < 0 || a.AnswerTS >= answers[best].AnswerTS) {
				best = i
			}
		}
	}
	if best < 0 {
		return Lookup{}, false
	}
	a := &answers[best]
	return Lookup{Name: a.Name, QueryFrame: a.QueryFrame, AnswerFrame: a.AnswerFrame, Duration: a.AnswerTS - a.QueryTS, Before: connStart - a.AnswerTS}, true
}

// dnsFinding states the lookup before the connection.
func (d *diag) dnsLookup() {
	l := d.ci.Lookup
	if l == nil {
		return
	}
	t := "before connecting, the client looked up " + l.Name + " (query frame " + strconv.FormatUint(l.QueryFrame, 10) + ", answer frame " +
		strconv.FormatUint(l.AnswerFrame, 10) + "): the lookup took " + fmtDur(l.Duration) + " and the SYN followed " + fmtDur(l.Before) +
		" after the answer; the lookup is part of the time before the first request (HAR timings.dns), saved when the address is cached"
	d.add(l.QueryFrame, KindDNS, SevInfo, t)
}
