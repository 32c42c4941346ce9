//go:build !linux || 386

package capture

// DefaultRingBlockSize and DefaultRingBlocks size a TPACKET_V3 ring (Linux only).
const (
	DefaultRingBlockSize = 1 << 20
	DefaultRingBlocks    = 64
)

// RingConfig sizes a TPACKET_V3 ring.
type RingConfig struct {
	BlockSize int
	Blocks    int
}

// Ring is a TPACKET_V3 capture ring; only Linux has one.
type Ring struct{ Live }

// OpenRing fails with ErrLiveUnsupported: the ring is Linux's.
func OpenRing(iface string, cfg LiveConfig, rcfg RingConfig) (*Ring, error) {
	return nil, ErrLiveUnsupported
}
