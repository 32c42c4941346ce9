package decode

import (
	"net/netip"

	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

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
	Flags    tcp.Flags
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
