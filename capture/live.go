package capture

// LiveConfig configures OpenLive.
type LiveConfig struct {
	Snaplen int  // bytes kept of each frame; 0 means DefaultSnaplen
	Promisc bool // put the interface into promiscuous mode while capturing
}

var _ Source = (*Live)(nil)
var _ Source = (*Reader)(nil)
