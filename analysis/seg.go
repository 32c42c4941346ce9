package analysis

import (
	"github.com/segscope/segscope/tcpseq"
)

// TCP flag bits of SegRecord.FlagBits (decode.Flags values).
const (
	flagFIN uint16 = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
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

func (s *SegRecord) has(f uint16) bool { return s.FlagBits&f != 0 }

func (s *SegRecord) hasClass(name string) bool {
	for _, c := range s.Class {
		if c == name {
			return true
		}
	}
	return false
}

// isRetrans reports whether the reassembler classified s as a retransmission of any kind.
func (s *SegRecord) isRetrans() bool {
	for _, c := range s.Class {
		switch c {
		case "retransmission", "fast_retransmission", "spurious_retransmission":
			return true
		}
	}
	return false
}

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
	return s.Len == 0 && s.has(flagACK) && !s.has(flagSYN|flagFIN|flagRST)
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

// handshakeRTT is SYN to the ACK that completes the handshake, as seen at the capture
// point (0 when the handshake was not seen whole). It is one round trip wherever the
// capture was taken.
func (ci *ConnInfo) handshakeRTT() int64 {
	if ci.SYNTime == 0 || ci.SYNACKTime == 0 || ci.ACKTime == 0 || ci.ACKTime < ci.SYNTime {
		return 0
	}
	return ci.ACKTime - ci.SYNTime
}
