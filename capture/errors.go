package capture

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns for a file names the file first
// ("x.pcap: ..."); test for the kind with errors.Is.
var (
	// ErrNotCapture: the input starts with neither a pcap nor a pcapng magic number
	// (after removing gzip compression, if any).
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	// ErrEmpty: the input holds no bytes at all.
	ErrEmpty = errors.New("empty file")
	// ErrTruncated: the input ends inside a header or record. Returned as *TruncatedError.
	ErrTruncated = errors.New("file truncated")
	// ErrCorrupt: a header or record is malformed (absurd length, bad block, unknown
	// interface). Returned as *CorruptError.
	ErrCorrupt = errors.New("malformed capture file")
	// ErrNoInterface: the live interface does not exist.
	ErrNoInterface = errors.New("no such network interface")
	// ErrLivePermission: opening a packet socket was refused (needs root or CAP_NET_RAW).
	ErrLivePermission = errors.New("permission denied opening a packet socket")
	// ErrInterrupted: Interrupt ended a read that was waiting for data. Every frame
	// returned before it is good.
	ErrInterrupted = errors.New("interrupted")
	// ErrLiveUnsupported: live capture is not implemented on this operating system.
	ErrLiveUnsupported = errors.New("live capture is only supported on Linux")
)

// TruncatedError reports an input that ends in the middle of a header or record. All
// complete frames before it have been returned.
type TruncatedError struct {
	Name   string // file name as given ("stdin" for standard input)
	Offset int64  // byte offset (of the uncompressed capture stream) where the data ends
	Frame  uint64 // number the incomplete frame would have had; 0 when inside the file header
	Record int64  // byte offset where the incomplete header, record or block starts
	Block  string // for pcapng, the kind of block cut short when it is not a packet block; "gzip" when the compressed stream ends between records
}

const blockGzip = "gzip"

func (e *TruncatedError) Error() string {
	switch {
	case e.Frame == 0:
		return fmt.Sprintf("%s: file truncated at byte %d inside the file header", e.Name, e.Offset)
	case e.Block == blockGzip:
		return fmt.Sprintf("%s: file truncated: the gzip stream ends early, after frame %d (byte %d of the capture)", e.Name, e.Frame-1, e.Offset)
	case e.Block != "":
		return fmt.Sprintf("%s: file truncated at byte %d inside %s block after frame %d", e.Name, e.Offset, e.Block, e.Frame-1)
	}
	return fmt.Sprintf("%s: file truncated at byte %d inside frame %d", e.Name, e.Offset, e.Frame)
}

// Is makes errors.Is(err, ErrTruncated) true.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

// CorruptError reports a malformed header or record. All complete frames before it have
// been returned.
type CorruptError struct {
	Name   string // file name as given
	Offset int64  // byte offset of the bad header, record or block
	Frame  uint64 // number of the frame being read (0 when not inside a packet record)
	Msg    string // what is wrong, e.g. "record 7 at offset 1234 claims 300000 bytes"
}

func (e *CorruptError) Error() string { return e.Name + ": " + e.Msg }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
