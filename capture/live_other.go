//go:build !linux || 386

package capture

import (
	"fmt"
	"io"
)

// Live is a live capture; it is only implemented on Linux.
type Live struct{}

// OpenLive reports ErrLiveUnsupported on this operating system.
func OpenLive(iface string, cfg LiveConfig) (*Live, error) {
	return nil, fmt.Errorf("%s: %w", iface, ErrLiveUnsupported)
}

// Next returns io.EOF.
func (l *Live) Next() (Frame, error) { return Frame{}, io.EOF }

// Close does nothing.
func (l *Live) Close() error { return nil }

// Stop does nothing.
func (l *Live) Stop() {}

// LinkType returns 0.
func (l *Live) LinkType() LinkType { return 0 }

// Snaplen returns 0.
func (l *Live) Snaplen() int { return 0 }

// Stats returns zeros.
func (l *Live) Stats() (received, dropped uint64) { return 0, 0 }

// KernelFilter returns false.
func (l *Live) KernelFilter() bool { return false }
