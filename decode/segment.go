package decode

import (
	"net/netip"
	"strings"

	"github.com/segscope/segscope/tcpseq"
)

// Flags is the set of TCP header flags of a segment.
type Flags uint16

const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
	NS // the old ECN nonce bit (RFC 3540, historic)
)

var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}

// Has reports whether every flag of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Names returns the flag names in the JSON contract's order: SYN, ACK, PSH, FIN, RST, URG,
// ECE, CWR (and NS last). It appends to dst to avoid allocating.
func (f Flags) Names(dst []string) []string {
	for _, g := range [...]Flags{SYN, ACK, PSH, FIN, RST, URG, ECE, CWR, NS} {
		if f&g != 0 {
			dst = append(dst, g.name())
		}
	}
	return dst
}

func (f Flags) name() string {
	for i := range flagNames {
		if f == 1<<i {
			return flagNames[i]
		}
	}
	return "?"
}

// Short returns the flags as tcpdump prints them inside [...]: S, F, P, R, U, E, W, and "."
// for ACK ("S." is SYN-ACK).
func (f Flags) Short() string {
	var b strings.Builder
	for _, x := range [...]struct {
		f Flags
		c byte
	}{{SYN, 'S'}, {FIN, 'F'}, {PSH, 'P'}, {RST, 'R'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if f&ACK != 0 {
		b.WriteByte('.')
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// String returns the flag names joined by "|".
func (f Flags) String() string {
	return strings.Join(f.Names(nil), "|")
}

// SACKBlock is one SACK block (RFC 2018): the receiver holds [Left, Right).
type SACKBlock struct {
	Left, Right tcpseq.Seq
}

// Options holds the decoded TCP options of one segment. Raw aliases the frame and is valid
// only until the next frame is read.
type Options struct {
	MSS           uint16
	HasMSS        bool
	WScale        uint8
	HasWScale     bool
	SACKPermitted bool
	SACK          [4]SACKBlock
	NSACK         int
	TSVal, TSEcr  uint32
	HasTS         bool
	HasTFO        bool // TCP Fast Open cookie option (kind 34, or 254 with magic 0xF989)
	HasMPTCP      bool // Multipath TCP option (kind 30)
	Unknown       int  // count of options with a kind segscope does not decode
	Malformed     bool // an option's length ran past the header, or was impossible
	Cut           bool // the snaplen cut the options: those past the cut are unknown (Segment.Truncated)
	Raw           []byte
}

// IPInfo describes the IP packet around a segment.
type IPInfo struct {
	Version   uint8  // 4 or 6
	ID        uint32 // IPv4 identification; IPv6 fragment id when fragmented, else 0
	TTL       uint8  // TTL or hop limit
	TotalLen  int    // IPv4 total length; IPv6 40 + payload length (after defragmentation: the reassembled datagram); as declared, even beyond the frame (see Stats.BadLength)
	HdrLen    int    // IPv4 header with options; IPv6 fixed header plus extension headers
	DF, MF    bool
	FragOff   uint16 // in bytes
	Fragments int    // >1 when the segment was reassembled from IP fragments
	// FragConflict says overlapping fragments of the datagram carried different bytes
	// (the first copy is kept); FragConflictFrames are the frames of the first copy and
	// of the fragment that contradicted it.
	FragConflict       bool
	FragConflictFrames [2]uint64
	ChecksumBad        bool // IPv4 header checksum did not verify (flagged, never dropped)
	TSOZeroLen         bool // IPv4 total length was 0 (TSO on the capturing host); length taken from the frame
}

// Segment is one decoded TCP segment. Payload aliases the frame (or the defragmenter's
// buffer) and is valid only until the next call to Decode.
type Segment struct {
	Frame    uint64 // 1-based, as Wireshark numbers records
	TS       int64  // nanoseconds since the Unix epoch
	FrameLen int    // original (wire) length of the frame
	CapLen   int    // captured length of the frame

	Src, Dst netip.AddrPort
	Seq, Ack tcpseq.Seq
	Flags    Flags
	// VLAN is the outer 802.1Q/802.1ad tag's TCI (the VLAN id with the priority bits,
	// as tcpflow names flows by it) when VLANTagged.
	VLAN       uint16
	VLANTagged bool
	Window     uint16 // as sent, before scaling
	Urgent     uint16
	Checksum   uint16

	IP        IPInfo
	TCPHdrLen int
	Opts      Options

	Payload    []byte // captured TCP payload (may be shorter than PayloadLen when truncated)
	PayloadLen int    // TCP payload length from the IP lengths
	Truncated  bool   // the capture's snaplen cut the segment: len(Payload) < PayloadLen or headers cut
}
