package pipeline

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/filter"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/tcp"
)

// ConnSelect selects connections for the display (--conn): a connection is selected
// when any item matches. Selecting never changes connection IDs: they are numbered over
// every connection of the input.
type ConnSelect struct {
	IDs   [][2]uint64      // ranges of connection IDs, inclusive
	Keys  []flow.Key       // exact 4-tuples
	Hosts []netip.Addr     // an endpoint's address (either side)
	Ports []uint16         // an endpoint's port (either side): ":8080"
	Eps   []netip.AddrPort // an endpoint (either side): "10.0.0.1:8080"
}

// Match reports whether c is selected.
func (s *ConnSelect) Match(c *reassembly.Conn) bool {
	for _, r := range s.IDs {
		if c.ID >= r[0] && c.ID <= r[1] {
			return true
		}
	}
	if slices.Contains(s.Keys, c.Key) {
		return true
	}
	for _, a := range [2]netip.AddrPort{c.Client, c.Server} {
		if slices.Contains(s.Hosts, a.Addr()) || slices.Contains(s.Ports, a.Port()) || slices.Contains(s.Eps, a) {
			return true
		}
	}
	return false
}

// OnlyID reports the single connection ID the selection names, if it is just that.
func (s *ConnSelect) OnlyID() (uint64, bool) {
	if len(s.IDs) == 1 && s.IDs[0][0] == s.IDs[0][1] && len(s.Keys)+len(s.Hosts)+len(s.Ports)+len(s.Eps) == 0 {
		return s.IDs[0][0], true
	}
	return 0, false
}

// filterFrame applies cfg.Filter to f; it reports whether f is kept. A filter with a
// port test matches an IPv4 datagram's first fragment only (libpcap's rule, which the
// filter follows exactly); so that the matching connection is reassembled whole, the
// later fragments of a datagram whose first fragment matched are kept too (up to
// maxFragKeys datagrams at a time; a later fragment that arrives before its first one
// is not kept).
func filterFrame(cfg *Config, f *capture.Frame) (bool, error) {
	link := filter.LinkType(f.LinkType)
	ok, err := cfg.Filter.Match(link, f.Data, f.OrigLen)
	if err != nil {
		return false, &FilterError{Frame: f.Frame, Err: err}
	}
	if key, first, isFrag := filter.Fragment(link, f.Data); isFrag {
		if cfg.frags == nil {
			cfg.frags = new([maxFragKeys]filter.FragKey)
		}
		switch {
		case ok && first:
			cfg.frags[cfg.fragNext%maxFragKeys] = key
			cfg.fragNext++
		case !ok && !first:
			for i := range min(cfg.fragNext, maxFragKeys) {
				if cfg.frags[i] == key {
					ok = true
					break
				}
			}
		}
	}
	if !ok {
		cfg.rejected++
	}
	return ok, nil
}

// maxFragKeys is how many datagrams with a matching first fragment are remembered.
const maxFragKeys = 64

// FilterError is a filter that cannot be compiled for the link type of a frame.
type FilterError struct {
	Frame uint64
	Err   error
}

func (e *FilterError) Error() string {
	return e.Err.Error() + " (frame " + strconv.FormatUint(e.Frame, 10) + ")"
}
func (e *FilterError) Unwrap() error { return e.Err }

// keepFrame hands f to cfg.Keep when it is selected: every frame (that passed the
// filter) without a connection selection; with one, the frames of selected connections.
func (p *Pipeline) keepFrame(f *capture.Frame, tcp bool) {
	if p.cfg.Keep == nil || p.cfg.MsgFrames != nil {
		return
	}
	if p.cfg.Select != nil || p.cfg.Conn != 0 || p.cfg.ConnKey != nil {
		if !tcp || !p.curSelected {
			return
		}
	}
	p.fail(p.cfg.Keep(f))
}

// msgLog is what a selected connection keeps for --msg -w: the frames that delivered
// its bytes (until exchange Msg completes) and its handshake.
type msgLog struct {
	dels   []msgDel
	hs     []uint64 // SYN, SYN-ACK and the client's first segment after it
	synack bool
	done   bool
}

type msgDel struct {
	dir      flow.Dir
	off, end uint64
	frame    uint64
}

const maxMsgLog = 1 << 20

func (p *Pipeline) msgSegment(cs *connState, dir flow.Dir, seg *decode.Segment) {
	m := &cs.msg
	if m.done || len(m.hs) >= 8 {
		return // a handshake is a few frames; more SYNs are retransmissions of no interest
	}
	switch {
	case seg.Flags.Has(tcp.SYN):
		m.hs = append(m.hs, seg.Frame)
		if seg.Flags.Has(tcp.ACK) {
			m.synack = true
		}
	case m.synack && dir == flow.C2S:
		m.hs = append(m.hs, seg.Frame) // the client's ACK completes the handshake
		m.synack = false
	}
}

func (p *Pipeline) msgData(cs *connState, dir flow.Dir, off uint64, n int, frame uint64) {
	m := &cs.msg
	if m.done || len(m.dels) >= maxMsgLog {
		return
	}
	if k := len(m.dels); k > 0 {
		last := &m.dels[k-1]
		if last.dir == dir && last.frame == frame && last.end == off {
			last.end += uint64(n)
			return
		}
	}
	m.dels = append(m.dels, msgDel{dir: dir, off: off, end: off + uint64(n), frame: frame})
}

// msgExchange is called for every exchange of a selected connection: at exchange Msg
// it reports the frames that carried it and the handshake to cfg.MsgFrames.
func (p *Pipeline) msgExchange(cs *connState, x *http1.Exchange) {
	m := &cs.msg
	if m.done {
		return
	}
	if x.Depth != p.cfg.Msg {
		// forget what earlier exchanges used
		keep := m.dels[:0]
		for _, d := range m.dels {
			if d.dir == flow.C2S && x.Req != nil && d.end <= x.Req.EndOff || d.dir == flow.S2C && x.Resp != nil && d.end <= x.Resp.EndOff {
				continue
			}
			keep = append(keep, d)
		}
		m.dels = keep
		return
	}
	frames := append([]uint64(nil), m.hs...)
	for _, d := range m.dels {
		var msg *http1.Message
		if d.dir == flow.C2S {
			msg = x.Req
		} else {
			msg = x.Resp
		}
		if msg != nil && d.off < msg.EndOff && d.end > msg.StartOff {
			frames = append(frames, d.frame)
		}
	}
	slices.Sort(frames)
	frames = slices.Compact(frames)
	m.done = true
	m.dels = nil
	p.cfg.MsgFrames(cs.c.ID, frames)
}
