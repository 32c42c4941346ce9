// Package capture reads frames from capture files (pcap, pcapng, either gzip-compressed,
// or stdin) and from live interfaces, and writes pcap/pcapng files. It hands out raw frames
// with their metadata; it decodes nothing above the file format.
//
// Files: Open, OpenFiles and NewReader recognise the format by its magic number, never by
// the file name: pcap (microsecond and nanosecond, both byte orders, also the "modified"
// variant), pcapng (any number of sections and interfaces, each with its own link type,
// if_tsresol and if_tsoffset; EPB, SPB and the obsolete PB), and gzip of either. A pcap
// record longer than the file's snaplen is read as it is; only records claiming more than
// MaxCapLen bytes are rejected. Frame numbers count every record exactly as Wireshark
// numbers them: pcapng custom, systemd-journal and sysdig-event blocks are not returned
// but do use up a number, so frame numbers can have gaps.
//
// Memory: frames are slices of a reused 1 MiB read buffer. With SEGSCOPE_MMAP=1 in the
// environment (see MmapEnv), Open and OpenFiles instead map a regular, uncompressed file
// read-only on Linux (mmap, MADV_SEQUENTIAL) and hand out frames as slices of the
// mapping: no read system calls and no copy; pages already read leave the process's
// resident set every 2 MiB (MADV_DONTNEED), so memory does not grow with the file. Gzip,
// standard input, pipes, NewReader and other systems always use the buffer. Either way
// Frame.Data is valid until the next call to Next or Close; from a mapping it happens to
// stay readable until the Reader moves on to the next file or is closed, but callers must
// not rely on that. Reading does not allocate per frame and never allocates by a length
// claimed in the file.
//
// A mapping covers the size the file had when it was opened: bytes appended later are
// not read (a capture still being written reads as cut short at that point). A file must
// not be shortened while it is mapped: touching the pages that no longer exist kills the
// process with SIGBUS (so does an I/O error on a network file system, where read(2) would
// have returned an error).
//
// Errors name the file first (no "segscope:" prefix; the CLI adds it): ErrNotCapture,
// ErrEmpty, *TruncatedError (errors.Is ErrTruncated) after every complete frame was
// returned, *CorruptError (errors.Is ErrCorrupt), os errors as they are. Hint gives the
// user a suggestion for each.
//
// Live capture (Linux, pure Go, AF_PACKET): OpenLive; LiveConfig.Filter attaches a
// classic BPF program to the socket (SO_ATTACH_FILTER) before it is bound. On a loopback device the kernel
// hands a packet socket every packet twice (outgoing and incoming); like tcpdump, Live
// keeps one. Loopback and veth frames can be up to 64 KiB (GSO), far above the MTU.
//
// Writing: NewPcapngWriter and NewPcapWriter (nanosecond timestamps).
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
	Interface int // pcapng interface ID within its section, as Wireshark's frame.interface_id (0 for pcap and live)
}

// Frame is one captured frame. Data is borrowed: it is valid only until the next call to
// the Source's Next (or Close); copy it to keep it. It may point into a read-only mapping
// of the file: never write to it.
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
