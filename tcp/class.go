package tcp

import "strings"

// Class is the set of analysis classes of one segment, decided by the reassembler. The
// names follow Wireshark's tcp.analysis flags.
type Class uint32

// Segment classes; NumClasses is how many there are.
const (
	ClassRetransmission             Class  = 1 << iota // retransmission
	ClassSpuriousRetransmission                        // spurious_retransmission: data already acknowledged
	ClassFastRetransmission                            // fast_retransmission: after >= 2 dup ACKs, within 20 ms
	ClassOutOfOrder                                    // out_of_order
	ClassDupAck                                        // dup_ack
	ClassZeroWindow                                    // zero_window
	ClassZeroWindowProbe                               // zero_window_probe
	ClassZeroWindowProbeAck                            // zero_window_probe_ack
	ClassWindowUpdate                                  // window_update
	ClassWindowFull                                    // window_full
	ClassKeepAlive                                     // keep_alive
	ClassKeepAliveAck                                  // keep_alive_ack
	ClassPreviousSegmentNotCaptured                    // previous_segment_not_captured
	ClassAckedUnseenSegment                            // acked_unseen_segment
	ClassOverlapConflict                               // overlap_conflict: retransmitted bytes differ from the first copy
	ClassRSTOutOfWindow                                // rst_out_of_window: an RST ignored because it is outside the window
	ClassFragmentOverlapConflict                       // fragment_overlap_conflict: overlapping IP fragments of the segment differed (decode.IPInfo.FragConflict)
	NumClasses                      = iota             // how many classes there are
)

// ClassRetransmissions is every kind of retransmission: test it with Any.
const ClassRetransmissions = ClassRetransmission | ClassSpuriousRetransmission | ClassFastRetransmission

var classNames = [NumClasses]string{
	"retransmission",
	"spurious_retransmission",
	"fast_retransmission",
	"out_of_order",
	"dup_ack",
	"zero_window",
	"zero_window_probe",
	"zero_window_probe_ack",
	"window_update",
	"window_full",
	"keep_alive",
	"keep_alive_ack",
	"previous_segment_not_captured",
	"acked_unseen_segment",
	"overlap_conflict",
	"rst_out_of_window",
	"fragment_overlap_conflict",
}

// Has reports whether every class in d is set in c.
func (c Class) Has(d Class) bool { return c&d == d }

// Any reports whether at least one class of d is set in c.
func (c Class) Any(d Class) bool { return c&d != 0 }

// Names appends the names of the classes in c to dst, in a fixed order, and returns it.
func (c Class) Names(dst []string) []string {
	for i := 0; i < NumClasses; i++ {
		if c&(1<<i) != 0 {
			dst = append(dst, classNames[i])
		}
	}
	return dst
}

// String returns the class names joined by ",", or "" for no class.
func (c Class) String() string {
	var buf [NumClasses]string
	return strings.Join(c.Names(buf[:0]), ",")
}

// AppendJSON appends the classes as a JSON array of names, in Names' order.
func (c Class) AppendJSON(b []byte) []byte {
	b = append(b, '[')
	first := true
	for i := 0; i < NumClasses; i++ {
		if c&(1<<i) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, classNames[i]...)
		b = append(b, '"')
	}
	return append(b, ']')
}

// MarshalJSON writes the classes as a JSON array of names, as AppendJSON does.
func (c Class) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil), nil }

// Name returns the name of c when it is a single class, and "" otherwise.
func (c Class) Name() string {
	for i := 0; i < NumClasses; i++ {
		if c == 1<<i {
			return classNames[i]
		}
	}
	return ""
}
