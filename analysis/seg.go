package analysis

import (
	"cmp"
	"slices"

	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// Direction values of SegRecord.Dir (flow.Dir values).
const (
	dirC2S uint8 = 0
	dirS2C uint8 = 1
)

func dirName(d uint8) string {
	if d == dirC2S {
		return "c2s"
	}
	return "s2c"
}

// sideName names the sender of direction d.
func sideName(d uint8) string {
	if d == dirC2S {
		return "client"
	}
	return "server"
}

// isRetrans reports whether the reassembler classified s as a retransmission of any kind.
func (s *SegRecord) isRetrans() bool { return s.Class.Any(tcp.ClassRetransmissions) }

// end is the stream offset just past s's payload.
func (s *SegRecord) end() int64 { return s.Off + int64(s.Len) }

// ackOff turns the relative acknowledgement number of s (relative to the peer's ISN, the
// peer's first data byte is 1) into a stream offset of the peer's direction: the offset of
// the next byte s's sender expects. ref is a nearby offset of the peer's stream, used to
// unwrap across 2^32.
func ackOff(ack uint32, ref int64) int64 {
	return ref + int64(tcpseq.Seq(ack-1).Diff(tcpseq.Seq(uint32(ref))))
}

// isPureAck reports whether s is an ACK with no payload and no SYN, FIN or RST.
func (s *SegRecord) isPureAck() bool {
	return s.Len == 0 && s.Flags.Has(tcp.ACK) && !s.Flags.Any(tcp.SYN|tcp.FIN|tcp.RST)
}

// originalOf returns the index of the first segment of segs, sent before segs[i] in the
// same direction, whose payload overlaps segs[i]'s: the copy segs[i] retransmits. -1 when
// the original was not captured (or was pruned).
func originalOf(segs []SegRecord, i int) int {
	r := &segs[i]
	for j := 0; j < i; j++ {
		o := &segs[j]
		if o.Dir == r.Dir && o.Len > 0 && o.Off < r.end() && r.Off < o.end() {
			return j
		}
	}
	return -1
}

// handshakeRTT is the connection's HandshakeRTT.
func (ci *ConnInfo) handshakeRTT() int64 { return HandshakeRTT(ci.SYNTime, ci.SYNACKTime, ci.ACKTime) }

// offIndex lists, per direction, the data segments of a connection sorted by stream
// offset (then capture order), so that offset lookups do not scan the whole log.
type offIndex struct {
	segs  []SegRecord
	byOff [2][]int
}

// lookBack bounds how far a lookup walks back over segments that start before an offset
// to find one that still covers it (only overlapping retransmissions need it).
const lookBack = 256

func newOffIndex(segs []SegRecord) *offIndex {
	x := &offIndex{segs: segs}
	for i := range segs {
		if segs[i].Len > 0 {
			d := segs[i].Dir & 1
			x.byOff[d] = append(x.byOff[d], i)
		}
	}
	for d := range x.byOff {
		slices.SortStableFunc(x.byOff[d], func(a, b int) int { return cmp.Compare(segs[a].Off, segs[b].Off) })
	}
	return x
}

// overlapping calls fn, in stream order, for every data segment of dir whose payload
// intersects [lo, hi).
func (x *offIndex) overlapping(dir uint8, lo, hi int64, fn func(i int)) {
	list := x.byOff[dir&1]
	p, _ := slices.BinarySearchFunc(list, lo, func(i int, off int64) int { return cmp.Compare(x.segs[i].Off, off) })
	start := p
	for k := p - 1; k >= 0 && k >= p-lookBack; k-- {
		if x.segs[list[k]].end() > lo {
			start = k
		}
	}
	for k := start; k < len(list) && x.segs[list[k]].Off < hi; k++ {
		if i := list[k]; x.segs[i].end() > lo {
			fn(i)
		}
	}
}

// at returns the index of the first segment (capture order) of dir whose payload holds
// stream offset off, or -1.
func (x *offIndex) at(dir uint8, off int64) int {
	best := -1
	x.overlapping(dir, off, off+1, func(i int) {
		if best < 0 || i < best {
			best = i
		}
	})
	return best
}

// original returns the index of the first segment sent before segs[i] in the same
// direction whose payload overlaps segs[i]'s: the copy segs[i] retransmits; -1 when the
// original was not captured (or was pruned).
func (x *offIndex) original(i int) int {
	r := &x.segs[i]
	best := -1
	x.overlapping(r.Dir, r.Off, r.end(), func(j int) {
		if j < i && (best < 0 || j < best) {
			best = j
		}
	})
	return best
}
