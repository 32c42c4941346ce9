package pipeline

import (
	"cmp"
	"slices"

	"github.com/segscope/segscope/analysis"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcpseq"
)

// teach follows, in diagnose mode, what concerns several connections: the activity of
// every connection (selected or not) for the parallel-connections finding, and the end of
// each connection for the next one on the same 4-tuple. The pipeline calls it for every
// connection, before selection.
type teach struct {
	open    map[string]int                 // open connections per server
	pending map[string][]analysis.Activity // closed connections per server, not yet grouped
	prev    map[flow.Key]analysis.PrevConn // the last connection per 4-tuple
	// txns are the recorded (selected) connections' exchanges per server and client
	// address, for the what-if estimates.
	txns map[string]map[string][]analysis.Txn
}

// maxPending bounds the closed connections kept per server before they are grouped.
const maxPending = 4096

// maxPrevTuples bounds teach.prev; when full it starts again (a reuse beyond it is
// reported without the earlier connection).
const maxPrevTuples = 1 << 16

func newTeach() *teach {
	return &teach{open: map[string]int{}, pending: map[string][]analysis.Activity{}, prev: map[flow.Key]analysis.PrevConn{},
		txns: map[string]map[string][]analysis.Txn{}}
}

func (t *teach) opened(p *Pipeline, cs *connState) {
	cs.act = analysis.Activity{Conn: cs.c.ID, Server: cs.endpoint(flow.S2C), Selected: cs.selected}
	t.open[cs.act.Server]++
	cs.prev = nil
	if cs.c.Index > 0 {
		if pv, ok := t.prev[cs.c.Key]; ok {
			cs.prev = &pv
		}
	}
}

func (t *teach) segment(cs *connState, seg *decode.Segment) {
	if seg.PayloadLen == 0 {
		return
	}
	if cs.act.First == 0 {
		cs.act.First, cs.act.FirstFrame = seg.TS, seg.Frame
	}
	cs.act.Last = seg.TS
}

func (t *teach) closed(p *Pipeline, cs *connState) {
	c := cs.c
	srv := cs.act.Server
	t.pending[srv] = append(t.pending[srv], cs.act)
	if t.open[srv]--; t.open[srv] <= 0 {
		delete(t.open, srv)
		t.group(p, srv)
	} else if len(t.pending[srv]) >= maxPending {
		t.group(p, srv) // a server never idle: state what has been seen so far
	}
	if len(t.prev) >= maxPrevTuples {
		clear(t.prev)
	}
	pv := analysis.PrevConn{
		ID: c.ID, LastTS: c.LastTS, Closer: -1,
		FINs:  c.Dir[0].FINFrame != 0 && c.Dir[1].FINFrame != 0,
		Reset: c.Close == reassembly.CloseRST,
	}
	if c.Closer >= 0 {
		pv.Closer = int(c.Closer)
	}
	pv.ClientEnd, pv.ServerEnd = dirEnd(&c.Dir[0]), dirEnd(&c.Dir[1])
	t.prev[c.Key] = pv
}

// dirEnd is the raw sequence number after everything direction d sent (SYN and FIN
// included).
func dirEnd(d *reassembly.DirState) uint32 {
	n := uint32(d.NextOffset()) + 1
	if d.FINFrame != 0 {
		n++
	}
	return uint32(tcpseq.Seq(d.ISN).Add(n))
}

// maxTxns bounds the exchanges kept per server for the what-if estimates.
const maxTxns = 4096

// recorded keeps a selected connection's exchanges (diagnose's closed, before teach's).
func (t *teach) recorded(cs *connState, ci *analysis.ConnInfo) {
	srv := cs.endpoint(flow.S2C)
	byClient := t.txns[srv]
	if byClient == nil {
		byClient = map[string][]analysis.Txn{}
		t.txns[srv] = byClient
	}
	cl := cs.c.Client.Addr().String()
	if len(byClient[cl]) < maxTxns {
		byClient[cl] = append(byClient[cl], analysis.Txns(ci, cs.rec.segs, cs.rec.xs)...)
	}
}

// group writes the parallel_conns findings of server srv's connections that closed, and
// the what-if estimates of each client's exchanges with it.
func (t *teach) group(p *Pipeline, srv string) {
	for _, f := range analysis.Parallel(t.pending[srv]) {
		p.fail(p.sink.Finding(&f))
	}
	delete(t.pending, srv)
	byClient := t.txns[srv]
	delete(t.txns, srv)
	ws, ok := p.sink.(report.WhatIfSink)
	if !ok || len(byClient) == 0 {
		return
	}
	cls := make([]string, 0, len(byClient))
	for c := range byClient {
		cls = append(cls, c)
	}
	slices.Sort(cls)
	for _, c := range cls {
		if w := analysis.WhatIf(c, srv, byClient[c]); w != nil {
			p.fail(ws.WhatIf(w))
		}
	}
}

// finish groups what is left, in order of server.
func (t *teach) finish(p *Pipeline) {
	seen := map[string]bool{}
	srvs := make([]string, 0, len(t.pending)+len(t.txns))
	for _, m := range []map[string][]analysis.Activity{t.pending} {
		for s := range m {
			seen[s] = true
			srvs = append(srvs, s)
		}
	}
	for s := range t.txns {
		if !seen[s] {
			srvs = append(srvs, s)
		}
	}
	slices.SortFunc(srvs, cmp.Compare)
	for _, s := range srvs {
		t.group(p, s)
	}
}

// teachInfo fills the fields of ci that the explanatory analysis needs beyond the basics.
func teachInfo(cs *connState, ci *analysis.ConnInfo) {
	c := cs.c
	for d := range 2 {
		ci.GapBytes[d] = c.Dir[d].GapBytes
		ci.Retrans[d] = c.Dir[d].Retrans
		ci.ISN[d] = uint32(c.Dir[d].ISN)
		ci.SawSYN[d] = c.Dir[d].SawSYN
	}
	ci.Timestamps = c.Dir[0].Timestamps && c.Dir[1].Timestamps
	ci.TupleIndex = c.Index
	ci.Prev = cs.prev
	ci.Lookup = cs.lookup
}
