package analysis

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Anatomy fills dst with how message m (exchange depth of connection ci, direction dir)
// was cut into TCP segments and carried in IP packets. It reuses dst's slices.
//
// segs are the recorded segments of the connection (both directions, capture order),
// dels say which frame first supplied which stream bytes, gaps which bytes never came.
//
// What it fills:
//
//   - Parts: the message laid out by offset relative to its first byte: "start_line",
//     "headers" (header fields and the blank line), then "body", or for a chunked body
//     "chunk_header" (a chunk-size line) and "chunk_data" (the chunk's data and the CRLF
//     that closes it) per chunk and "trailer" (trailer fields and the final CRLF). These
//     layout parts cover [0, MsgLen) without overlap. "gap" parts follow them and overlay
//     the layout: bytes that never arrived. The start-line length is rebuilt from the
//     parsed line assuming single spaces and CRLF, and chunk-size lines from the chunk
//     marks assuming CRLF after chunk data (http1.Message does not keep those offsets).
//   - Segments: every segment of direction dir whose payload [Off, Off+Len) intersects
//     the message's stream range, in stream order (by Off, then frame). MsgBytes is the
//     number of bytes of this message that segment delivered first (0 for a retransmitted
//     copy); Len is the segment's whole payload, so a segment that carries the end of one
//     message and the start of the next has MsgBytes < Len.
//   - Summary: see report.AnatomySummary and the comments below.
//
// Invariant: the MsgBytes of the segments plus GapBytes equal MsgLen, as long as every
// delivering segment is still in segs (the recorder keeps at most a bounded number of
// segments; beyond it the sum is short). For every row IPTotalLen == IPHdrLen + TCPHdrLen
// + Len, except for a segment reassembled from IP fragments (IPTotalLen is then the
// reassembled datagram's, IPHdrLen the first fragment's) and for a truncated capture
// where the decoder could not see the whole TCP header.
func Anatomy(ci *ConnInfo, depth int, dir uint8, m *http1.Message, segs []SegRecord, dels []Delivery, gaps []Gap, dst *report.Anatomy) {
	*dst = report.Anatomy{Parts: dst.Parts[:0], Segments: dst.Segments[:0]}
	dst.Conn = ci.ID
	dst.Depth = depth
	dst.Dir = dirName(dir)
	dst.Title = messageTitle(m)
	start, end := m.StartOff, m.EndOff
	if end < start {
		end = start
	}
	dst.MsgOff = int64(start)
	dst.MsgLen = int64(end - start)
	dst.HeaderLen = int64(min(m.HeaderEnd, end) - min(m.HeaderEnd, start))
	if m.HeaderEnd < start {
		dst.HeaderLen = 0
	}
	dst.BodyLen = m.BodyLen

	// Gap bytes: from the reassembler's gap log, clipped to the message.
	for _, g := range gaps {
		if g.Dir != dir {
			continue
		}
		lo, hi := max(g.Off, start), min(g.Off+g.Len, end)
		if lo < hi {
			dst.GapBytes += int64(hi - lo)
		}
	}

	dst.Parts = layoutParts(dst.Parts, m, dst.MsgLen, dst.HeaderLen)
	for _, g := range gaps {
		if g.Dir != dir {
			continue
		}
		lo, hi := max(g.Off, start), min(g.Off+g.Len, end)
		if lo < hi {
			dst.Parts = append(dst.Parts, report.Part{Kind: "gap", Off: int64(lo - start), Len: int64(hi - lo)})
		}
	}

	// Bytes of this message first delivered by each frame.
	type frameBytes struct {
		frame uint64
		n     int
	}
	var fb []frameBytes
	for _, d := range dels {
		if d.Dir != dir {
			continue
		}
		lo, hi := max(d.Off, start), min(d.Off+uint64(d.Len), end)
		if lo < hi {
			fb = append(fb, frameBytes{d.Frame, int(hi - lo)})
		}
	}
	slices.SortFunc(fb, func(a, b frameBytes) int { return cmp.Compare(a.frame, b.frame) })
	msgBytes := func(frame uint64) int {
		i, ok := slices.BinarySearchFunc(fb, frame, func(a frameBytes, f uint64) int { return cmp.Compare(a.frame, f) })
		if !ok {
			return 0
		}
		n := 0
		for ; i < len(fb) && fb[i].frame == frame; i++ {
			n += fb[i].n
		}
		return n
	}

	base := m.FirstTS
	var firstIdx = -1 // index in segs of the first retransmission (capture order)
	for i := range segs {
		s := &segs[i]
		if s.Dir != dir || s.Len <= 0 || s.Off >= int64(end) || s.end() <= int64(start) {
			continue
		}
		if s.isRetrans() && firstIdx < 0 {
			firstIdx = i
		}
		dst.Segments = append(dst.Segments, report.AnatomySegment{
			Frame:      s.Frame,
			Rel:        report.Duration(s.TS), // made relative below
			Seq:        s.Seq,
			Off:        s.Off,
			Len:        s.Len,
			MsgBytes:   msgBytes(s.Frame),
			Flags:      s.Flags,
			IPHdrLen:   s.IPHdrLen,
			TCPHdrLen:  s.TCPHdrLen,
			IPTotalLen: s.IPTotalLen,
			IPID:       s.IPID,
			DF:         s.DF,
			Fragments:  s.Fragments,
			FrameLen:   s.FrameLen,
			TCPOptions: s.TCPOptions,
			Class:      s.Class,
		})
	}
	slices.SortStableFunc(dst.Segments, func(a, b report.AnatomySegment) int {
		if c := cmp.Compare(a.Off, b.Off); c != 0 {
			return c
		}
		return cmp.Compare(a.Frame, b.Frame)
	})

	// Times: relative to the message's first byte (the parser's FirstTS; without it, the
	// earliest segment that delivered bytes of the message).
	var firstTS, lastTS int64
	for i := range dst.Segments {
		a := &dst.Segments[i]
		if a.MsgBytes == 0 {
			continue
		}
		ts := int64(a.Rel)
		if firstTS == 0 || ts < firstTS {
			firstTS = ts
		}
		if ts > lastTS {
			lastTS = ts
		}
	}
	if base == 0 {
		base = firstTS
	}
	sum := &dst.Summary
	for i := range dst.Segments {
		a := &dst.Segments[i]
		a.Rel -= report.Duration(base)
		sum.Segments++
		n := max(a.Fragments, 1)
		sum.IPPackets += n
		sum.Overhead += int64(a.IPHdrLen*n + a.TCPHdrLen)
		if a.Class.Any(tcp.ClassRetransmissions) {
			sum.Retransmissions++
		}
	}
	if firstIdx >= 0 {
		if o := originalOf(segs, firstIdx); o >= 0 {
			sum.FirstRetransGap = report.Duration(segs[firstIdx].TS - segs[o].TS)
		} else {
			sum.FirstRetransGap = -1
		}
	}
	switch {
	case m.FirstTS != 0 && m.LastTS >= m.FirstTS:
		sum.Span = report.Duration(m.LastTS - m.FirstTS)
	case firstTS != 0:
		sum.Span = report.Duration(lastTS - firstTS)
	}
	sum.MSS = senderMSS(ci, dir, segs)
}

// messageTitle is "GET /x" for a request and "200 OK" for a response.
func messageTitle(m *http1.Message) string {
	if m.Status != 0 || m.Method == "" {
		t := strconv.Itoa(m.Status)
		if m.Reason != "" {
			t += " " + m.Reason
		}
		return t
	}
	return m.Method + " " + m.URI
}

// startLineLen rebuilds the length of m's start line with its CRLF.
func startLineLen(m *http1.Message) int64 {
	if m.Method != "" {
		return int64(len(m.Method) + 1 + len(m.URI) + 1 + len(m.Version) + 2)
	}
	n := len(m.Version) + 1 + 3 + 1 + len(m.Reason) + 2
	if m.Version == "" {
		n += len("HTTP/1.1")
	}
	return int64(n)
}

// layoutParts appends the layout parts of m (see Anatomy) to parts.
func layoutParts(parts []report.Part, m *http1.Message, msgLen, headerLen int64) []report.Part {
	add := func(kind string, off, n int64) {
		if n > 0 {
			parts = append(parts, report.Part{Kind: kind, Off: off, Len: n})
		}
	}
	if headerLen == 0 {
		add("body", 0, msgLen)
		return parts
	}
	sl := min(startLineLen(m), headerLen)
	if headerLen-sl < 2 { // a start line and the blank line at least
		sl = headerLen
	}
	add("start_line", 0, sl)
	add("headers", sl, headerLen-sl)
	if !m.Chunked || len(m.Chunks) == 0 {
		add("body", headerLen, msgLen-headerLen)
		return parts
	}
	pos := headerLen
	for i, c := range m.Chunks {
		off := int64(c.Off - m.StartOff)
		if off < pos || off >= msgLen {
			break
		}
		add("body", pos, off-pos) // framing not itemized (should not happen)
		if c.Size == 0 {
			hl := min(int64(3), msgLen-off) // "0\r\n"
			add("chunk_header", off, hl)
			add("trailer", off+hl, msgLen-off-hl)
			return parts
		}
		var next int64 = -1
		if i+1 < len(m.Chunks) {
			next = int64(m.Chunks[i+1].Off - m.StartOff)
		}
		var hl, dl int64
		if next > off && next <= msgLen && next-off-c.Size-2 >= 1 {
			dl = c.Size + 2
			hl = next - off - dl
		} else {
			// The last chunk mark kept (truncated message, or marks capped): assume
			// "SIZE\r\n".
			hl = min(int64(len(strconv.FormatInt(c.Size, 16))+2), msgLen-off)
			dl = min(c.Size+2, msgLen-off-hl)
		}
		add("chunk_header", off, hl)
		add("chunk_data", off+hl, dl)
		pos = off + hl + dl
	}
	add("body", pos, msgLen-pos)
	return parts
}

// senderMSS is the payload a full-sized segment of direction dir carries: the smaller MSS
// announced in the handshake minus the TCP option bytes every data segment of dir carries
// (12 with timestamps), as Linux computes it. Without an announced MSS, the largest
// payload seen in dir (which can exceed the MSS when the capture was taken on a host
// with segmentation offload).
func senderMSS(ci *ConnInfo, dir uint8, segs []SegRecord) int {
	mss := 0
	for _, v := range ci.MSS {
		if v > 0 && (mss == 0 || v < mss) {
			mss = v
		}
	}
	largest, opts := 0, -1
	for i := range segs {
		s := &segs[i]
		if s.Dir != dir || s.Len == 0 {
			continue
		}
		largest = max(largest, s.Len)
		if o := s.TCPHdrLen - 20; o >= 0 && (opts < 0 || o < opts) {
			opts = o
		}
	}
	if mss == 0 {
		return largest
	}
	if opts > 0 && opts < mss {
		mss -= opts
	}
	return mss
}
