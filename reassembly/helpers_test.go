package reassembly

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

var (
	cliEP = netip.MustParseAddrPort("10.0.0.1:40000")
	srvEP = netip.MustParseAddrPort("10.0.0.2:80")
)

const (
	S   = tcp.SYN
	A   = tcp.ACK
	F   = tcp.FIN
	R   = tcp.RST
	P   = tcp.PSH
	SA  = tcp.SYN | tcp.ACK
	FA  = tcp.FIN | tcp.ACK
	PA  = tcp.PSH | tcp.ACK
	RA  = tcp.RST | tcp.ACK
	ms  = int64(1e6)
	sec = int64(1e9)
)

// conv builds the segments of one connection from field values, with sequence numbers
// given relative to each side's ISN (tshark's view: the SYN is 0, the first byte 1).
type conv struct {
	cli, srv   netip.AddrPort
	cISN, sISN tcpseq.Seq
	frame      uint64
	ts         int64
	step       int64
}

func newConv() *conv {
	return &conv{cli: cliEP, srv: srvEP, cISN: 1000, sISN: 5000, ts: 1_700_000_000 * sec, step: ms}
}

func (v *conv) mk(fromClient bool, flags tcp.Flags, rseq, rack uint32, data string) *decode.Segment {
	v.frame++
	v.ts += v.step
	s := &decode.Segment{
		Frame:      v.frame,
		TS:         v.ts,
		Flags:      flags,
		Window:     65535,
		Payload:    []byte(data),
		PayloadLen: len(data),
	}
	if fromClient {
		s.Src, s.Dst = v.cli, v.srv
		s.Seq, s.Ack = v.cISN.Add(rseq), v.sISN.Add(rack)
	} else {
		s.Src, s.Dst = v.srv, v.cli
		s.Seq, s.Ack = v.sISN.Add(rseq), v.cISN.Add(rack)
	}
	if flags&tcp.ACK == 0 {
		s.Ack = 0
	}
	return s
}

// c and s build a client or server segment.
func (v *conv) c(flags tcp.Flags, rseq, rack uint32, data string) *decode.Segment {
	return v.mk(true, flags, rseq, rack, data)
}
func (v *conv) s(flags tcp.Flags, rseq, rack uint32, data string) *decode.Segment {
	return v.mk(false, flags, rseq, rack, data)
}

// handshake returns SYN, SYN-ACK, ACK.
func (v *conv) handshake() []*decode.Segment {
	return []*decode.Segment{v.c(S, 0, 0, ""), v.s(SA, 0, 1, ""), v.c(A, 1, 1, "")}
}

// recorder is a Handler that logs every call as a line and checks the call order.
type recorder struct {
	t      testing.TB
	lines  []string
	segs   bool // log OnSegment lines
	data   map[uint64]*[2][]byte
	closed map[uint64]int
	next   map[uint64]*[2]uint64
	conns  map[uint64]*Conn
	infos  map[uint64]SegInfo // by frame
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, data: map[uint64]*[2][]byte{}, closed: map[uint64]int{}, next: map[uint64]*[2]uint64{},
		conns: map[uint64]*Conn{}, infos: map[uint64]SegInfo{}}
}

func (r *recorder) OnOpen(c *Conn) {
	r.lines = append(r.lines, fmt.Sprintf("open %d %s>%s", c.ID, c.Client, c.Server))
	r.data[c.ID] = &[2][]byte{}
	r.conns[c.ID] = c
	r.next[c.ID] = &[2]uint64{}
}

func (r *recorder) OnSegment(c *Conn, d flow.Dir, seg *decode.Segment, info *SegInfo) {
	r.infos[seg.Frame] = *info
	if r.segs || info.Class != 0 {
		l := fmt.Sprintf("seg %d #%d %s", c.ID, seg.Frame, d)
		if info.Class != 0 {
			l += " " + info.Class.String()
		}
		if info.Class.Has(tcp.ClassDupAck) {
			l += fmt.Sprintf(" dup#%d", info.DupAckCount)
		}
		if info.ConflictFrame != 0 {
			l += fmt.Sprintf(" won=#%d", info.ConflictFrame)
		}
		r.lines = append(r.lines, l)
	}
}

func (r *recorder) OnData(c *Conn, d flow.Dir, off uint64, data []byte, frame uint64, ts int64) {
	if r.closed[c.ID] > 0 {
		r.t.Errorf("conn %d: OnData after OnClose", c.ID)
	}
	if n := r.next[c.ID]; n[d] != off {
		r.t.Errorf("conn %d %s: OnData at %d, want %d", c.ID, d, off, n[d])
	} else {
		n[d] = off + uint64(len(data))
	}
	if len(data) == 0 {
		r.t.Errorf("conn %d %s: empty OnData", c.ID, d)
	}
	r.data[c.ID][d] = append(r.data[c.ID][d], data...)
	r.lines = append(r.lines, fmt.Sprintf("data %d %s %d %q #%d", c.ID, d, off, data, frame))
}

func (r *recorder) OnGap(c *Conn, d flow.Dir, off, n uint64, ts int64) {
	if r.closed[c.ID] > 0 {
		r.t.Errorf("conn %d: OnGap after OnClose", c.ID)
	}
	if nx := r.next[c.ID]; nx[d] != off {
		r.t.Errorf("conn %d %s: OnGap at %d, want %d", c.ID, d, off, nx[d])
	} else {
		nx[d] = off + n
	}
	if n == 0 {
		r.t.Errorf("conn %d %s: empty OnGap", c.ID, d)
	}
	r.lines = append(r.lines, fmt.Sprintf("gap %d %s %d %d", c.ID, d, off, n))
}

func (r *recorder) OnClose(c *Conn) {
	r.closed[c.ID]++
	if r.closed[c.ID] > 1 {
		r.t.Errorf("conn %d: OnClose twice", c.ID)
	}
	r.lines = append(r.lines, fmt.Sprintf("close %d %s", c.ID, c.Close))
	// The tracker reuses c for a later connection: keep a copy as it was at close.
	cp := *c
	r.conns[c.ID] = &cp
}

func (r *recorder) String() string { return strings.Join(r.lines, "\n") }

// run feeds segs to a fresh tracker and returns the recorder (Flush not called).
func run(t testing.TB, cfg Config, segs ...*decode.Segment) (*Tracker, *recorder) {
	r := newRecorder(t)
	tr := NewTracker(cfg, r)
	for _, s := range segs {
		tr.Add(s)
	}
	return tr, r
}

func cat(parts ...[]*decode.Segment) []*decode.Segment {
	var out []*decode.Segment
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func netipPort(e netip.AddrPort, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(e.Addr(), port)
}
