// Package capture reads frames from capture files (pcap, pcapng, either gzip-compressed,
// or stdin) and from live interfaces, and writes pcap/pcapng files. It hands out raw frames
// with their metadata; it decodes nothing above the file format.
package capture

// LinkType is a LINKTYPE_ value as found in pcap and pcapng headers
// (1 Ethernet, 0 NULL, 101 raw IP, 113 Linux SLL, 276 Linux SLL2, ...).
type LinkType uint16

// Info is the metadata of one frame.
type Info struct {
	Frame     uint64 // 1-based record number across all inputs, as Wireshark numbers them
	TS        int64  // nanoseconds since the Unix epoch
	CapLen    int    // bytes captured (len(Frame.Data))
	OrigLen   int    // bytes on the wire
	LinkType  LinkType
	Interface int // pcapng interface index (0 for pcap and live)
}

// Frame is one captured frame. Data is borrowed: it is valid only until the next call to
// the Source's Next; copy it to keep it.
type Frame struct {
	Data []byte
	Info
}

// Source yields frames in capture order. Next returns io.EOF after the last frame; any
// other error ends the input (frames returned before it are good).
type Source interface {
	Next() (Frame, error)
	Close() error
}
