package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// DefaultSnaplen is the snapshot length used when a writer or live capture is given 0.
const DefaultSnaplen = 262144

// Writer writes frames to a pcap (nanosecond) or pcapng file. Output is buffered: call
// Flush before closing the underlying writer. A Writer is not safe for concurrent use.
type Writer struct {
	w       *bufio.Writer
	ng      bool
	snaplen int
	link    LinkType
	ifaces  []LinkType // pcapng: link type of each interface written so far
	hdr     [28]byte
	err     error
	out     *countWriter
}

// countWriter counts the bytes that reach the underlying writer.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Size returns the bytes written so far, headers and buffered bytes included: the size
// the file will have after Flush.
func (wr *Writer) Size() int64 { return wr.out.n + int64(wr.w.Buffered()) }

var le = binary.LittleEndian

// NewPcapWriter writes a nanosecond-resolution pcap file header for link type link to w
// and returns a Writer for it. A pcap file holds a single link type. snaplen 0 means
// DefaultSnaplen.
func NewPcapWriter(w io.Writer, link LinkType, snaplen int) (*Writer, error) {
	wr := newWriter(w, link, snaplen)
	var h [24]byte
	le.PutUint32(h[0:], 0xa1b23c4d)
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], uint32(wr.snaplen))
	le.PutUint32(h[20:], uint32(link))
	wr.w.Write(h[:])
	return wr, wr.Flush()
}

// NewPcapngWriter writes a pcapng section header and an interface description (link
// type link, nanosecond timestamps) to w and returns a Writer for it. Frames of another
// link type get an interface of their own, added when the first one is written.
// snaplen 0 means DefaultSnaplen.
func NewPcapngWriter(w io.Writer, link LinkType, snaplen int) (*Writer, error) {
	wr := newWriter(w, link, snaplen)
	wr.ng = true
	const app = "segscope"
	var shb [28 + 4 + 8 + 4 + 4]byte
	le.PutUint32(shb[0:], blockSHB)
	le.PutUint32(shb[4:], uint32(len(shb)))
	le.PutUint32(shb[8:], 0x1A2B3C4D)
	le.PutUint16(shb[12:], 1)
	le.PutUint64(shb[16:], ^uint64(0)) // section length unknown
	le.PutUint16(shb[24:], 4)          // shb_userappl
	le.PutUint16(shb[26:], uint16(len(app)))
	copy(shb[28:], app)
	// opt_endofopt is zero bytes at shb[36:40]
	le.PutUint32(shb[len(shb)-4:], uint32(len(shb)))
	wr.w.Write(shb[:])
	wr.addIface(link)
	return wr, wr.Flush()
}

func newWriter(w io.Writer, link LinkType, snaplen int) *Writer {
	if snaplen <= 0 || snaplen > MaxCapLen {
		snaplen = DefaultSnaplen
	}
	out := &countWriter{w: w}
	return &Writer{w: bufio.NewWriterSize(out, 64<<10), snaplen: snaplen, link: link, out: out}
}

func (wr *Writer) addIface(link LinkType) int {
	var idb [32]byte
	le.PutUint32(idb[0:], blockIDB)
	le.PutUint32(idb[4:], uint32(len(idb)))
	le.PutUint16(idb[8:], uint16(link))
	le.PutUint32(idb[12:], uint32(wr.snaplen))
	le.PutUint16(idb[16:], 9) // if_tsresol
	le.PutUint16(idb[18:], 1)
	idb[20] = 9 // 10^-9
	// opt_endofopt at idb[24:28]
	le.PutUint32(idb[28:], uint32(len(idb)))
	wr.w.Write(idb[:])
	wr.ifaces = append(wr.ifaces, link)
	return len(wr.ifaces) - 1
}

var errLinkMismatch = errors.New("a pcap file holds a single link type; write pcapng to mix link types")

// WritePacket writes one frame. info supplies the timestamp, original length and link
// type; data longer than the writer's snaplen is cut to it. info.OrigLen smaller than
// len(data) is raised to len(data). In a pcap file, info.LinkType must equal the file's.
// It does not allocate.
func (wr *Writer) WritePacket(info Info, data []byte) error {
	if wr.err != nil {
		return wr.err
	}
	if len(data) > wr.snaplen {
		data = data[:wr.snaplen]
	}
	orig := uint64(max(info.OrigLen, len(data)))
	if orig > math.MaxUint32 {
		orig = math.MaxUint32
	}
	sec, nsec := info.TS/1e9, info.TS%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	h := wr.hdr[:]
	if !wr.ng {
		if info.LinkType != wr.link {
			return fmt.Errorf("capture: frame %d has link type %d, file has %d: %w", info.Frame, info.LinkType, wr.link, errLinkMismatch)
		}
		le.PutUint32(h[0:], uint32(sec))
		le.PutUint32(h[4:], uint32(nsec))
		le.PutUint32(h[8:], uint32(len(data)))
		le.PutUint32(h[12:], uint32(orig))
		wr.w.Write(h[:16])
		_, wr.err = wr.w.Write(data)
		return wr.err
	}
	id := -1
	for i, l := range wr.ifaces {
		if l == info.LinkType {
			id = i
			break
		}
	}
	if id < 0 {
		id = wr.addIface(info.LinkType)
	}
	pad := (4 - len(data)%4) % 4
	blen := 28 + len(data) + pad + 4
	ts := uint64(sec)*1e9 + uint64(nsec)
	le.PutUint32(h[0:], blockEPB)
	le.PutUint32(h[4:], uint32(blen))
	le.PutUint32(h[8:], uint32(id))
	le.PutUint32(h[12:], uint32(ts>>32))
	le.PutUint32(h[16:], uint32(ts))
	le.PutUint32(h[20:], uint32(len(data)))
	le.PutUint32(h[24:], uint32(orig))
	wr.w.Write(h[:28])
	wr.w.Write(data)
	tail := wr.hdr[:pad+4]
	clear(tail)
	le.PutUint32(tail[pad:], uint32(blen))
	_, wr.err = wr.w.Write(tail)
	return wr.err
}

// Flush writes buffered data to the underlying writer.
func (wr *Writer) Flush() error {
	if wr.err != nil {
		return wr.err
	}
	wr.err = wr.w.Flush()
	return wr.err
}
