package parallel

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/internal/pipeline"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
)

// Sharded runs (Config.Workers > 1 in the packets, conns and http modes) split the
// connections between workers by a symmetric hash of their 4-tuple. One goroutine reads
// and decodes, and hands batches of segments (payload copied) to every worker; each
// worker owns a tracker and HTTP parsers for its share of the connections. The output
// must be byte-identical to a one-worker run, so:
//
//   - every worker sees every segment of a batch: its own are added, the others only
//     advance its tracker's clock (Tracker.Advance), so timeouts fire at the same
//     segments as in one tracker;
//   - workers do not write records: they capture them, each with the place in the input
//     where a single tracker would have emitted it: the segment being processed, whether
//     before it (timeouts, phase 0, in the order of the connections' last frames, which
//     is how one tracker orders them) or while adding it (phase 1), or at the end of the
//     input (Flush, phase 2, in connection-ID order);
//   - the main goroutine merges the workers' records batch by batch in that order, gives
//     connections their IDs in the order they opened (a worker's tracker numbers only its
//     own), and writes them to the sink;
//   - when the sink is a report.EncodingSink (JSON), the workers render the records as
//     they capture them, each with an Encoder of its own, and leave a hole for the
//     connection ID: the main goroutine only copies the bytes around each ID into one
//     buffer, in order, and writes it. Rendering, the bulk of the output's cost, is then
//     spread over the workers instead of done on the main goroutine.
//
// The tracker's limits (connections, buffered and recent bytes) are split evenly between
// the workers, so a run that reaches them may differ from a one-worker run.

// Phases of a captured record's place.
const (
	phaseExpire = iota // while the tracker's clock advanced to the segment's time
	phaseAdd           // while the segment was added
	phaseFlush         // at the end of the input, in connection-ID order
)

// capKind says what a captured item is.
type capKind uint8

const (
	capOpen capKind = iota // a connection opened (takes the next ID)
	capDrop                // a connection left the table (its ID is no longer named)
	capSegment
	capConn
	capHTTP
	capText // a record rendered by the worker's Encoder
)

// capItem is one captured record or ID event, in a worker's emission order.
type capItem struct {
	seq   uint64 // the input's TCP segment number (math.MaxUint64 at the end)
	phase uint8
	kind  capKind
	sub   uint64 // phase 0: the connection's last frame; phase 2: its local ID
	id    uint64 // open, drop: the local ID
	idx   int    // index into the capBuf slice of its kind
}

// textPerSegment is about the length of a segment record in JSON (477 bytes on average
// in the benchmark capture).
const textPerSegment = 512

// rendered is a record in capBuf.text: text[off:end], with its connection ID at connAt.
type rendered struct{ off, connAt, end int }

// capBuf holds what one worker captured from one batch. Its slices are reused.
type capBuf struct {
	items []capItem
	segs  []report.Segment
	conns []report.Conn
	https []report.HTTP
	strs  []string // anomalies of the records
	ints  []int
	hdrs  []report.Header // header fields of the http records
	sack  [][2]uint32
	text  []byte // records rendered by the worker's Encoder
	texts []rendered
}

func (b *capBuf) reset() {
	if b.items == nil { // first use: room for a batch of the common records at once
		b.items = make([]capItem, 0, batchSegs+64)
		b.strs = make([]string, 0, 4*batchSegs)
	}
	b.items = b.items[:0]
	clear(b.segs) // drop references to payload and strings
	b.segs = b.segs[:0]
	clear(b.conns)
	b.conns = b.conns[:0]
	clear(b.https)
	b.https = b.https[:0]
	clear(b.strs)
	b.strs = b.strs[:0]
	b.ints = b.ints[:0]
	clear(b.hdrs)
	b.hdrs = b.hdrs[:0]
	b.sack = b.sack[:0]
	b.text = b.text[:0]
	b.texts = b.texts[:0]
}

// strings copies s into the arena. The copy stays valid after the arena grows: growing
// makes a new array and leaves the old one to the records that use it.
func (b *capBuf) strings(s []string) []string {
	if s == nil {
		return nil
	}
	n := len(b.strs)
	b.strs = append(b.strs, s...)
	return b.strs[n:len(b.strs):len(b.strs)]
}

// intList copies v into the arena, like strings.
func (b *capBuf) intList(v []int) []int {
	n := len(b.ints)
	b.ints = append(b.ints, v...)
	return b.ints[n:len(b.ints):len(b.ints)]
}

// shardBatch is a run of decoded TCP segments, with the worker of each, and what each
// worker captured from it.
type shardBatch struct {
	segBatch
	shard []uint8
	seq   uint64 // the input's TCP segment number of segs[0]

	out []capBuf // per worker
	wg  sync.WaitGroup
}

// worker is one shard: a pipeline of its own whose sink captures records.
type worker struct {
	id  uint8
	p   *pipeline.Pipeline
	cur *reassembly.Conn // the connection of the tracker event being handled (Hooks.Current)
	out *capBuf          // of the batch being processed
	enc report.Encoder   // renders records as they are captured (nil: they are copied)
	seq uint64
	ph  uint8
}

// shardable reports whether cfg can run sharded: the modes whose records are all
// per-connection and need no connection ID before output (selection by --conn N does).
func shardable(cfg *pipeline.Config) bool {
	switch cfg.Mode {
	case pipeline.ModePackets, pipeline.ModeConns, pipeline.ModeHTTP:
		return cfg.Workers > 1 && cfg.Conn == 0 && cfg.Select == nil && cfg.Stream == nil && !cfg.HTTP.KeepBodies
	}
	return false
}

// MaxWorkers bounds Config.Workers (more are taken as MaxWorkers).
const MaxWorkers = 64

// splitLimits gives each of n workers its share of the tracker's limits.
func splitLimits(c reassembly.Config, n int) reassembly.Config {
	share := func(v, def int) int {
		if v <= 0 {
			v = def
		}
		return max((v+n-1)/n, 1)
	}
	c.MaxConns = share(c.MaxConns, reassembly.DefaultMaxConns)
	c.MaxBufferedTotal = share(c.MaxBufferedTotal, reassembly.DefaultMaxBufferedTotal)
	c.RecentTotal = share(c.RecentTotal, reassembly.DefaultRecentTotal)
	return c
}

func runSharded(ctx context.Context, src capture.Source, p *pipeline.Pipeline) error {
	cfg := p.Config()
	n := min(cfg.Workers, MaxWorkers)
	wcfg := *cfg
	wcfg.Tracker = splitLimits(cfg.Tracker, n)
	es, _ := p.Sink().(report.EncodingSink)
	workers := make([]*worker, n)
	for i := range workers {
		w := &worker{id: uint8(i)}
		if es != nil {
			w.enc = es.NewEncoder()
		}
		w.p = pipeline.NewShard(w, wcfg, pipeline.Hooks{ // no decoder: the reader decodes
			Opened:  w.opened,
			Dropped: w.dropped,
			Current: func(c *reassembly.Conn) { w.cur = c },
		})
		workers[i] = w
	}

	const depth = 4
	free := make(chan *shardBatch, depth+1)
	order := make(chan *shardBatch, depth)
	ins := make([]chan *shardBatch, n)
	for i := range ins {
		ins[i] = make(chan *shardBatch, depth)
	}
	done := make(chan struct{})
	for range depth + 1 {
		free <- &shardBatch{segBatch: newSegBatch(), shard: make([]uint8, 0, batchSegs), out: make([]capBuf, n)}
	}
	var running sync.WaitGroup

	// Workers. After a panic in any goroutine they only pass batches on, so that the
	// run winds down and Run's goroutine can panic with it.
	var gp goPanic
	for i, w := range workers {
		running.Add(1)
		go func() {
			defer running.Done()
			for b := range ins[i] {
				if !gp.happened() {
					func() {
						defer gp.catch()
						w.batch(b)
					}()
				}
				b.wg.Done()
			}
		}()
	}

	// Reader: read, decode, pick each segment's worker.
	running.Add(1)
	go func() {
		defer running.Done()
		defer func() {
			close(order)
			for _, in := range ins {
				close(in)
			}
		}()
		defer gp.catch()
		var rd reader
		var seq uint64
		var b *shardBatch
		select {
		case b = <-free:
		case <-done:
			return
		}
		send := func(end bool, err error) bool {
			rd.mark(&b.segBatch, end, err)
			b.wg.Add(n)
			select {
			case order <- b:
			case <-done:
				return false
			}
			for _, in := range ins {
				in <- b // workers never stop before their input closes
			}
			if end {
				return true
			}
			select {
			case b = <-free:
				b.reset()
				b.shard = b.shard[:0]
				b.seq = seq
				return true
			case <-done:
				return false
			}
		}
		err := rd.run(ctx, src, cfg, p.Decoder(), func(seg *decode.Segment) bool {
			if b.full(seg) && !send(false, nil) {
				return false
			}
			b.add(seg)
			b.shard = append(b.shard, uint8(flow.Tuple{Src: seg.Src, Dst: seg.Dst}.Hash()%uint64(n)))
			seq++
			return true
		})
		send(true, err)
	}()

	// Merge, in the input's order.
	m := merger{p: p, ids: make([]map[uint64]uint64, n)}
	for i := range m.ids {
		m.ids[i] = map[uint64]uint64{}
	}
	if es != nil {
		m.es, m.enc = es, es.NewEncoder()
		m.text = make([]byte, 0, 2*writeAt)
	}
	var srcErr error
	for b := range order {
		b.wg.Wait()
		if gp.happened() {
			break // a batch a worker did not finish is not written
		}
		if b.hasFst {
			p.Start(b.first)
		}
		p.Summary().TCPSegments += uint64(len(b.segs))
		p.Reached(b.frames, b.last)
		m.batch(b)
		if b.end {
			srcErr = b.err
		}
		if p.Err() != nil {
			break
		}
		free <- b
	}
	m.write()
	close(done)
	for b := range order { // let the reader and the workers finish
		b.wg.Wait()
	}
	running.Wait()
	gp.rethrow()
	sum := p.Summary()
	for _, w := range workers {
		ts := w.p.Tracker().Stats()
		sum.Conns += ts.Conns
		sum.Evicted += ts.Evictions
		sum.Exchanges += w.p.Summary().Exchanges
		sum.Selected += w.p.Summary().Selected
	}
	return srcErr
}

// batch processes b's segments: its own are added to its tracker, the others advance
// its clock. At the end of the input it flushes its tracker.
func (w *worker) batch(b *shardBatch) {
	if testHookBatch != nil {
		testHookBatch(int(w.id))
	}
	p := w.p
	w.out = &b.out[w.id]
	w.out.reset()
	if w.enc != nil && w.out.text == nil {
		// First use: room for the worker's share of a batch of typical segment records.
		w.out.text = make([]byte, 0, batchSegs*textPerSegment/len(b.out)+4096)
	}
	if b.hasFst {
		p.Start(b.first)
	}
	trk := p.Tracker()
	for i := range b.segs {
		s := &b.segs[i]
		w.seq, w.ph = b.seq+uint64(i), phaseExpire
		trk.Advance(s.TS)
		if b.shard[i] == w.id {
			w.ph = phaseAdd
			trk.Add(s)
		}
	}
	p.Reached(b.frames, b.last)
	if b.end {
		w.seq, w.ph = math.MaxUint64, phaseExpire
		trk.Advance(b.last)
		w.ph = phaseFlush
		trk.Flush(b.last)
	}
}

// testHookBatch, when set (by tests only), is called by each worker before each batch.
var testHookBatch func(worker int)

// item appends an item for the connection being reported (w.cur) at w's place.
func (w *worker) item(kind capKind, id uint64, idx int) {
	it := capItem{seq: w.seq, phase: w.ph, kind: kind, id: id, idx: idx}
	switch {
	case kind == capDrop && w.ph != phaseFlush:
		// No output: before anything else of its place is enough.
	case w.ph == phaseExpire:
		it.sub = w.cur.LastFrame
	case w.ph == phaseFlush:
		it.sub = id
	}
	w.out.items = append(w.out.items, it)
}

// opened and dropped are called by the worker's pipeline (Hooks.Opened, Hooks.Dropped).
func (w *worker) opened(c *reassembly.Conn) { w.item(capOpen, c.ID, 0) }

func (w *worker) dropped(id uint64) { w.item(capDrop, id, 0) }

// render adds a record that w.enc appended to its text.
func (w *worker) render(text []byte, connAt int, conn uint64) {
	b := w.out
	b.texts = append(b.texts, rendered{off: len(b.text), connAt: connAt, end: len(text)})
	b.text = text
	w.item(capText, conn, len(b.texts)-1)
}

// Segment, Conn and HTTP implement report.Sink: they render the record, or copy it.
func (w *worker) Segment(r *report.Segment) error {
	b := w.out
	if w.enc != nil {
		text, at := w.enc.AppendSegment(b.text, r)
		w.render(text, at, r.Conn)
		return nil
	}
	b.segs = append(b.segs, *r)
	c := &b.segs[len(b.segs)-1]
	if r.Options.SACK != nil {
		n := len(b.sack)
		b.sack = append(b.sack, r.Options.SACK...)
		c.Options.SACK = b.sack[n:len(b.sack):len(b.sack)]
	}
	w.item(capSegment, r.Conn, len(b.segs)-1)
	return nil
}

func (w *worker) Conn(r *report.Conn) error {
	b := w.out
	if w.enc != nil {
		text, at := w.enc.AppendConn(b.text, r)
		w.render(text, at, r.Conn)
		return nil
	}
	b.conns = append(b.conns, *r)
	w.item(capConn, r.Conn, len(b.conns)-1)
	return nil
}

func (w *worker) HTTP(r *report.HTTP) error {
	b := w.out
	if w.enc != nil {
		text, at := w.enc.AppendHTTP(b.text, r)
		w.render(text, at, r.Conn)
		return nil
	}
	b.https = append(b.https, *r)
	c := &b.https[len(b.https)-1]
	c.Anomalies = b.strings(r.Anomalies)
	if r.Interim != nil {
		c.Interim = b.intList(r.Interim)
	}
	for _, h := range [...]*[]report.Header{&c.ReqHeaders, &c.RespHeaders, &c.ReqTrailers, &c.RespTrailers} {
		if *h != nil {
			n := len(b.hdrs)
			b.hdrs = append(b.hdrs, *h...)
			*h = b.hdrs[n:len(b.hdrs):len(b.hdrs)]
		}
	}
	for _, l := range [...]*[]int{&c.ReqHeadersCut, &c.RespHeadersCut, &c.ReqTrailersCut, &c.RespTrailersCut} {
		if *l != nil {
			*l = b.intList(*l)
		}
	}
	w.item(capHTTP, r.Conn, len(b.https)-1)
	return nil
}

var errNotSharded = errors.New("segscope: internal error: record kind not supported by sharded runs")

func (w *worker) Anatomy(*report.Anatomy) error { return errNotSharded }
func (w *worker) Event(*report.Event) error     { return errNotSharded }
func (w *worker) Finding(*report.Finding) error { return errNotSharded }
func (w *worker) Close() error                  { return nil }

// merger writes the workers' captured records in the order of a one-worker run.
type merger struct {
	p      *pipeline.Pipeline
	ids    []map[uint64]uint64 // per worker: local connection ID -> ID
	nextID uint64
	heads  []int

	// With an EncodingSink: the records rendered by the workers, IDs in place, not yet
	// written.
	es   report.EncodingSink
	enc  report.Encoder // for the IDs
	text []byte
}

// writeAt is how many bytes of rendered records the merger gathers before it writes
// them (it writes the rest at the end).
const writeAt = 256 << 10

// write writes the rendered records gathered so far.
func (m *merger) write() {
	if m.es != nil && len(m.text) > 0 && m.p.Err() == nil {
		m.p.Fail(m.es.WriteRendered(m.text))
	}
	m.text = m.text[:0]
}

// key is an item's place; phase 2 items are ordered by their connection's ID.
func (m *merger) less(wa int, a *capItem, wb int, b *capItem) bool {
	if a.seq != b.seq {
		return a.seq < b.seq
	}
	if a.phase != b.phase {
		return a.phase < b.phase
	}
	if a.phase == phaseFlush {
		return m.ids[wa][a.sub] < m.ids[wb][b.sub]
	}
	return a.sub < b.sub
}

func (m *merger) batch(b *shardBatch) {
	if m.heads == nil {
		m.heads = make([]int, len(b.out))
	}
	clear(m.heads)
	p := m.p
	sink := p.Sink()
	for p.Err() == nil {
		best := -1
		for w := range b.out {
			if m.heads[w] >= len(b.out[w].items) {
				continue
			}
			if best < 0 || m.less(w, &b.out[w].items[m.heads[w]], best, &b.out[best].items[m.heads[best]]) {
				best = w
			}
		}
		if best < 0 {
			if len(m.text) >= writeAt {
				m.write()
			}
			return
		}
		out := &b.out[best]
		it := &out.items[m.heads[best]]
		m.heads[best]++
		ids := m.ids[best]
		switch it.kind {
		case capOpen:
			m.nextID++
			ids[it.id] = m.nextID
		case capDrop:
			delete(ids, it.id)
		case capSegment:
			r := &out.segs[it.idx]
			r.Conn = ids[r.Conn]
			p.Fail(sink.Segment(r))
		case capConn:
			r := &out.conns[it.idx]
			r.Conn = ids[r.Conn]
			p.Fail(sink.Conn(r))
		case capHTTP:
			r := &out.https[it.idx]
			r.Conn = ids[r.Conn]
			p.Fail(sink.HTTP(r))
		case capText:
			t := &out.texts[it.idx]
			m.text = append(m.text, out.text[t.off:t.connAt]...)
			m.text = m.enc.AppendConnID(m.text, ids[it.id])
			m.text = append(m.text, out.text[t.connAt:t.end]...)
		}
	}
}
