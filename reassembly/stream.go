package reassembly

import (
	"sort"

	"github.com/segscope/segscope/tcpseq"
)

// maxChunksPerDir bounds the number of out-of-order chunks of one direction, so a flood
// of tiny segments cannot make insertion quadratic. Exceeding it counts as a limit hit.
const maxChunksPerDir = 4096

// maxAckJump bounds how far beyond the delivered offset a peer's ACK may move a stream
// (by reporting a gap); a larger jump is treated as a bogus ACK.
const maxAckJump = 1 << 30

// chunk is a run of out-of-order bytes, copied from the segment that carried them first.
type chunk struct {
	off   int64
	data  []byte
	frame uint64
	ts    int64
	ack   int64 // the peer-stream offset its frame acknowledged, -1 none
}

func (c *chunk) end() int64 { return c.off + int64(len(c.data)) }

// stream is the reassembly state of one direction. Offsets are relative to ISN+1.
//
// Sequence numbers become offsets relative to the delivery point nxt with serial
// arithmetic (Seq.Diff), rather than with tcpseq.Unwrapper: an Unwrapper advances on any
// forward number, so one bogus segment (a stray RST or a corrupted seq) would shift the
// reference for every later segment. The delivery point only moves with accepted bytes.
type stream struct {
	isnSet bool
	base   tcpseq.Seq // ISN+1, the sequence number of offset 0
	nxt    int64      // next offset to deliver: everything before was delivered or gapped
	high   int64      // highest end offset of payload seen
	acked  int64      // highest offset acknowledged by the peer (capped)
	// ackWait counts down the segments an acknowledged hole below acked still waits
	// for its bytes before it is reported as a gap; 0 when none waits.
	ackWait int

	chunks   []chunk // chunks[head:] are live, sorted by off, non-overlapping, all >= nxt
	head     int
	buffered int

	finSet   bool
	finOff   int64 // offset of the FIN (the stream's length)
	finDone  bool  // nxt reached finOff
	finAcked bool  // the peer acknowledged the FIN

	ring      *ring
	ringTried bool
}

// off returns the stream offset of sequence number q.
func (s *stream) off(q tcpseq.Seq) int64 {
	return s.nxt + int64(q.Diff(s.base.Add(uint32(s.nxt))))
}

func (s *stream) live() []chunk { return s.chunks[s.head:] }

func (s *stream) popFront() chunk {
	ch := s.chunks[s.head]
	s.chunks[s.head] = chunk{}
	s.head++
	if s.head == len(s.chunks) {
		s.chunks = s.chunks[:0]
		s.head = 0
	}
	s.buffered -= len(ch.data)
	return ch
}

// search returns the index in live() of the first chunk that ends after off.
func (s *stream) search(off int64) int {
	l := s.live()
	return sort.Search(len(l), func(i int) bool { return l[i].end() > off })
}

// ring keeps the last bytes delivered in one direction, to detect retransmissions whose
// bytes differ from those already delivered.
type ring struct {
	buf   []byte
	end   int64 // offset after the last byte written
	valid int   // bytes before end that are held
	spans [32]span
	nspan int // spans used (up to len(spans))
	sHead int // index where the next span is written
}

// span records that bytes from off on came from frame.
type span struct {
	off   int64
	frame uint64
}

func (r *ring) reset(end int64) {
	r.end = end
	r.valid = 0
	r.nspan = 0
	r.sHead = 0
}

func (r *ring) write(off int64, data []byte, frame uint64) {
	if off != r.end {
		r.reset(off)
	}
	if r.nspan == 0 || r.spans[(r.sHead+len(r.spans)-1)%len(r.spans)].frame != frame {
		r.spans[r.sHead] = span{off: off, frame: frame}
		r.sHead = (r.sHead + 1) % len(r.spans)
		r.nspan = min(r.nspan+1, len(r.spans))
	}
	n := len(r.buf)
	if len(data) > n {
		skip := len(data) - n
		off += int64(skip)
		data = data[skip:]
	}
	pos := int(off % int64(n))
	k := copy(r.buf[pos:], data)
	copy(r.buf, data[k:])
	r.end = off + int64(len(data))
	r.valid = min(n, r.valid+len(data))
}

// frameAt returns the frame that delivered the byte at off, or 0 if unknown.
func (r *ring) frameAt(off int64) uint64 {
	for i := 1; i <= r.nspan; i++ {
		sp := r.spans[(r.sHead+len(r.spans)-i)%len(r.spans)]
		if sp.off <= off {
			return sp.frame
		}
	}
	return 0
}

// compare counts the bytes of data (at stream offset off) that differ from the held
// bytes, and returns the frame of the first differing byte.
func (r *ring) compare(off int64, data []byte) (diff int, frame uint64) {
	lo := max(off, r.end-int64(r.valid))
	hi := min(off+int64(len(data)), r.end)
	n := int64(len(r.buf))
	for x := lo; x < hi; x++ {
		if r.buf[x%n] != data[x-off] {
			if diff == 0 {
				frame = r.frameAt(x)
			}
			diff++
		}
	}
	return diff, frame
}

// countDiff returns the number of differing bytes of a and b (same length).
func countDiff(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}
