package capture

// LinkTypeLinuxSLL is the link type of frames from devices without Ethernet framing (and
// of the "any" pseudo-device): a 16-byte Linux cooked-capture header precedes the packet.
const LinkTypeLinuxSLL LinkType = 113

// LiveConfig configures OpenLive.
type LiveConfig struct {
	Snaplen int  // bytes kept of each frame; 0 means DefaultSnaplen
	Promisc bool // put the interface into promiscuous mode while capturing

	// Filter, if set, is called with the link type of the frames OpenLive will return;
	// the classic BPF program it returns (compiled for that link type) is attached to
	// the socket before it is bound (SO_ATTACH_FILTER), so the kernel drops what does
	// not match and counts only what does. On a cooked socket (LinkTypeLinuxSLL) the
	// kernel sees no cooked header: loads are moved as libpcap's fix_program moves
	// them; a program that reads other header bytes is not attached (KernelFilter then
	// reports false) and the caller must filter every frame itself.
	Filter func(link LinkType) ([]SockFilter, error)
}

// SockFilter is one classic BPF instruction in the kernel's encoding (struct
// sock_filter).
type SockFilter struct {
	Op     uint16
	Jt, Jf uint8
	K      uint32
}

var _ Source = (*Live)(nil)
var _ Source = (*Reader)(nil)
