package decode

import (
	"net/netip"
	"slices"
)

// fragKey identifies one IP datagram being reassembled. IPv6 keys carry no protocol
// (the next header is known only from the first fragment).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

// maxFragPieces bounds the fragments of one datagram (and so the work per fragment):
// 65535 bytes in 576-byte packets is about 120.
const maxFragPieces = 1024

// fragMeta is what the first fragment (offset 0) tells about the datagram.
type fragMeta struct {
	ip IPInfo
	nh uint8 // IPv6: the next header after the fragment header
}

type fragPiece struct {
	off   int
	data  []byte // a copy: fragments outlive their frames
	frame uint64
}

type fragDgram struct {
	first     int64  // packet time of the first fragment seen
	seq       uint64 // arrival order, for deterministic eviction
	pieces    []fragPiece
	total     int // payload length, known from the last fragment; -1 until then
	bytes     int
	meta      fragMeta
	haveFirst bool
	// conflict is the frame of the first fragment whose bytes a later overlapping
	// fragment contradicted (0: none); conflictAt is the later one's.
	conflict, conflictAt uint64
}

// defrag is a small bounded IP reassembler. Overlapping fragments: the bytes that arrived
// first win, and differing bytes mark the datagram (IPInfo.FragConflict), as Zeek's
// fragment_inconsistency and tshark's ip.fragment.overlap.conflict do. Limits: total bytes held, datagrams pending, and a timeout in packet time.
// It allocates (fragments are rare); the rest of the decoder does not.
type defrag struct {
	maxBytes, maxDgrams int
	timeout             int64
	m                   map[fragKey]*fragDgram
	bytes               int
	seq                 uint64
}

func (f *defrag) init(cfg Config) {
	f.maxBytes = cfg.MaxFragBytes
	f.maxDgrams = cfg.MaxFragDatagrams
	f.timeout = int64(cfg.FragTimeout)
	f.m = make(map[fragKey]*fragDgram)
}

func (f *defrag) drop(st *Stats, k fragKey, e *fragDgram) {
	st.FragDropped += uint64(len(e.pieces))
	f.bytes -= e.bytes
	delete(f.m, k)
}

// evictOldest drops the datagram that started first, other than keep. It reports
// whether it dropped one.
func (f *defrag) evictOldest(st *Stats, keep *fragDgram) bool {
	var ok bool
	var bk fragKey
	var be *fragDgram
	for k, e := range f.m {
		if e == keep {
			continue
		}
		if be == nil || e.seq < be.seq {
			bk, be, ok = k, e, true
		}
	}
	if ok {
		f.drop(st, bk, be)
	}
	return ok
}

// add stores one fragment: data is its payload (after the IP header, or after the IPv6
// fragment header) at byte offset off; more is the MF flag; meta describes the packet
// and is kept when off is 0; frame is the fragment's frame. When the datagram is complete
// it returns the reassembled payload, the number of fragments and the first fragment's
// meta (with FragConflict set when overlapping fragments differed), with ok set.
func (f *defrag) add(st *Stats, k fragKey, ts int64, frame uint64, off int, more bool, data []byte, meta *fragMeta) (buf []byte, n int, m fragMeta, ok bool) {
	for key, e := range f.m {
		if ts-e.first > f.timeout {
			f.drop(st, key, e)
		}
	}
	end := off + len(data)
	if end > maxIPv4Length || len(data) > f.maxBytes || (more && len(data) == 0) {
		st.FragDropped++
		return nil, 0, m, false
	}
	e := f.m[k]
	if e != nil && len(e.pieces) >= maxFragPieces {
		f.drop(st, k, e)
		st.FragDropped++
		return nil, 0, m, false
	}
	if e == nil {
		for len(f.m) >= f.maxDgrams && f.evictOldest(st, nil) {
		}
		f.seq++
		e = &fragDgram{first: ts, seq: f.seq, total: -1}
		f.m[k] = e
	}
	for f.bytes+len(data) > f.maxBytes {
		if !f.evictOldest(st, e) {
			// Only this datagram is left and it is too big: give it up.
			f.drop(st, k, e)
			st.FragDropped++
			return nil, 0, m, false
		}
	}
	if !more {
		if e.total >= 0 && e.total != end {
			// Two different ends: the datagram cannot be trusted.
			f.drop(st, k, e)
			st.FragDropped++
			return nil, 0, m, false
		}
		e.total = end
	}
	if off == 0 && !e.haveFirst {
		e.meta, e.haveFirst = *meta, true
	}
	if e.conflict == 0 {
		for _, p := range e.pieces {
			lo, hi := max(off, p.off), min(end, p.off+len(p.data))
			if lo < hi && string(data[lo-off:hi-off]) != string(p.data[lo-p.off:hi-p.off]) {
				e.conflict, e.conflictAt = p.frame, frame
				st.FragConflicts++
				break
			}
		}
	}
	e.pieces = append(e.pieces, fragPiece{off: off, data: slices.Clone(data), frame: frame})
	e.bytes += len(data)
	f.bytes += len(data)

	if e.total < 0 || !e.haveFirst || !covered(e.pieces, e.total) {
		return nil, 0, m, false
	}
	buf = make([]byte, e.total)
	for i := len(e.pieces) - 1; i >= 0; i-- { // first arrival written last: it wins
		p := e.pieces[i]
		if p.off < e.total {
			copy(buf[p.off:], p.data)
		}
	}
	n, m = len(e.pieces), e.meta
	if e.conflict != 0 {
		m.ip.FragConflict = true
		m.ip.FragConflictFrames = [2]uint64{e.conflict, e.conflictAt}
	}
	f.bytes -= e.bytes
	delete(f.m, k)
	st.Defragmented++
	return buf, n, m, true
}

// covered reports whether the pieces cover [0, total).
func covered(pieces []fragPiece, total int) bool {
	s := slices.Clone(pieces)
	slices.SortFunc(s, func(a, b fragPiece) int { return a.off - b.off })
	reach := 0
	for _, p := range s {
		if p.off > reach {
			return false
		}
		reach = max(reach, p.off+len(p.data))
	}
	return reach >= total
}
