package capture

// LinkTypeLinuxSLL is the link type of frames from devices without Ethernet framing (and
// of the "any" pseudo-device): a 16-byte Linux cooked-capture header precedes the packet.
const LinkTypeLinuxSLL LinkType = 113

// LiveConfig configures OpenLive.
type LiveConfig struct {
	Snaplen int  // bytes kept of each frame; 0 means DefaultSnaplen
	Promisc bool // put the interface into promiscuous mode while capturing
}

var _ Source = (*Live)(nil)
var _ Source = (*Reader)(nil)
