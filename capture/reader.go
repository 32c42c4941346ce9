package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// MaxCapLen is the largest captured length of one frame this package accepts (Wireshark's
// limit for ordinary link types). A record claiming more is reported as *CorruptError.
const MaxCapLen = 256 << 10

const (
	defaultBufSize = 1 << 20  // bufio buffer; frames are handed out as slices of it
	releaseChunk   = 2 << 20  // mapped inputs: pages already read are released from the RSS in steps of this size
	maxBlockLen    = 64 << 20 // pcapng blocks claiming more are rejected as corrupt
	maxInterfaces  = 1 << 16  // pcapng interfaces per file; more are rejected as corrupt
)

// Limits on what is kept of pcapng interface options: an interface name longer than
// MaxIfName bytes is cut there (NameCut set), and once MaxIfNamesTotal bytes of names are
// kept for a Reader, later names are not kept at all (NameCut set, Name empty). The
// interface table itself is bounded by maxInterfaces per file.
const (
	MaxIfName       = 256
	MaxIfNamesTotal = 1 << 20
)

// InterfaceInfo describes one interface (pcapng IDB, or the single implicit interface of a
// pcap file) seen by a Reader.
type InterfaceInfo struct {
	File     string   // name of the input file
	Section  int      // pcapng section within that file (0 for pcap)
	Index    int      // interface ID within that section, as in Info.Interface
	LinkType LinkType // link-layer header type of its frames
	Snaplen  int      // snapshot length from the header (0: unknown / unlimited)
	Name     string   // pcapng if_name option, if present (at most MaxIfName bytes)
	NameCut  bool     // the name was cut or dropped by MaxIfName / MaxIfNamesTotal
	Frames   uint64   // frames read from it so far
}

// Reader reads pcap and pcapng files (each optionally gzip-compressed), one after another,
// as a single capture. It is what Open, NewReader and OpenFiles return. Frame numbers count
// every packet record across all files. A Reader is not safe for concurrent use.
type Reader struct {
	paths  []string // inputs not yet opened
	in     *input   // current input, nil between inputs
	frame  uint64   // last frame number handed out
	ifaces []InterfaceInfo
	names  int // bytes of interface names kept in ifaces

	interrupted atomic.Bool
	imu         sync.Mutex
	interrupt   func() // ends a read in progress on the current input, if it can wait
	bufSize     int
	br          *bufio.Reader // reused across inputs
	gzbr        *bufio.Reader // reused for gzip-compressed inputs
	done        int64         // raw bytes read from inputs already finished
	doneOff     int64         // stream bytes consumed by inputs already finished
	size        int64         // total raw size of all inputs, -1 if unknown
	err         error         // sticky error
	mmap        bool          // map regular, uncompressed files instead of reading them (MmapEnv)
}

// MmapEnv is the environment variable that, set to "1" when Open or OpenFiles is called,
// makes the Reader map regular, uncompressed files (Linux) instead of reading them with
// read(2). It is off by default because on the machine segscope is measured on (a 2-CPU
// virtual machine, warm page cache) mapping was slower: `segscope conns` on the 1 GB
// benchmark capture took 0.54 s of CPU mapped against 0.48 s read (`packets`: 1.04 s
// against 1.01 s), the page faults and the cache and TLB misses of touching page-cache
// pages directly costing more than the kernel's copy into a buffer that stays in cache.
const MmapEnv = "SEGSCOPE_MMAP"

func mmapAllowed() bool { return os.Getenv(MmapEnv) == "1" }

type format uint8

const (
	formatPcap format = iota + 1
	formatPcapng
)

// input is the state of one file being read.
type input struct {
	name    string
	closer  io.Closer // the file; nil for caller-supplied readers and mapped files
	gz      *gzip.Reader
	raw     *countReader // nil for mapped files
	br      *bufio.Reader
	bufSize int   // size of br (also for mapped files, so that both paths judge pcapng blocks alike)
	off     int64 // stream offset of the first byte not yet consumed (pending included)
	pending int   // bytes of the last record still to be discarded
	format  format
	order   binary.ByteOrder
	big     bool // order is big-endian
	ifBase  int  // index in Reader.ifaces of this file's first interface

	// Mapped files (regular, uncompressed, on Linux): the whole file, read in place
	// instead of through br. pos == off - pending.
	m   []byte
	pos int // offset in m of the first byte not yet consumed (pending excluded)
	rel int // pages of m before this offset were released (releaseMapped)

	// pcap
	recHdr  int   // 16, or 24 for the modified (Kuznetzov) format
	tsScale int64 // 1000 for microsecond files, 1 for nanosecond files

	// pcapng: interfaces of the current section (indices into Reader.ifaces via ngIface.global)
	section  []ngIface
	sections int // number of section headers read
}

type ngIface struct {
	link    LinkType
	snaplen uint32
	global  int   // index in Reader.ifaces
	local   int   // index within the file (Info.Interface)
	pow2    bool  // if_tsresol is a power of 2
	exp     uint8 // resolution exponent
	mul     int64 // decimal resolution: ns = ts*mul (exp <= 9) ...
	div     uint64
	offset  int64 // if_tsoffset in ns
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open opens a capture file (pcap or pcapng, optionally gzip-compressed; the format is
// recognised by its magic number, never by the file name). "-" means standard input.
// The returned Source is a *Reader.
func Open(path string) (Source, error) {
	return OpenFiles([]string{path})
}

// OpenFiles opens several capture files to be read one after another as a single capture,
// frame numbers continuing across files. The first file is opened (and its header checked)
// at once; the others when reading reaches them, but all must exist now. The returned
// Source is a *Reader.
func OpenFiles(paths []string) (Source, error) {
	r, err := openFiles(paths, mmapAllowed(), defaultBufSize)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func openFiles(paths []string, mmap bool, bufSize int) (*Reader, error) {
	if len(paths) == 0 {
		return nil, errors.New("capture: no input files")
	}
	r := &Reader{bufSize: bufSize, mmap: mmap}
	for _, p := range paths {
		if p == "-" {
			r.size = -1
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		switch {
		case !st.Mode().IsRegular():
			r.size = -1 // a pipe or device: size unknown
		case r.size >= 0:
			r.size += st.Size()
		}
	}
	r.paths = append([]string(nil), paths...)
	if err := r.openNext(); err != nil {
		return nil, err
	}
	return r, nil
}

// NewReader reads one capture from r; name is used in error messages. The returned Source
// is a *Reader; its Close does not close r.
func NewReader(r io.Reader, name string) (Source, error) {
	size := defaultBufSize
	// An input held in memory and smaller than the buffer (a test, a fuzzer's input) needs
	// no more buffer than its own length: no frame can be longer than the input.
	if l, ok := r.(interface{ Len() int }); ok && l.Len()+64 < size {
		size = max(l.Len()+64, 4096)
	}
	return newReaderSize(r, name, size)
}

func newReaderSize(r io.Reader, name string, size int) (*Reader, error) {
	rd := &Reader{bufSize: size, size: -1}
	if err := rd.start(r, nil, name); err != nil {
		return nil, err
	}
	return rd, nil
}

func (r *Reader) openNext() error {
	p := r.paths[0]
	r.paths = r.paths[1:]
	if p == "-" {
		src, interrupt, done := openStdin()
		r.setInterrupt(interrupt)
		return r.start(src, closerFunc(done), "stdin")
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	if r.mmap {
		if m := mapFile(f); m != nil {
			if len(m) >= 2 && m[0] == 0x1f && m[1] == 0x8b {
				unmapFile(m) // gzip: decompressed through the streaming path
			} else {
				f.Close() // the mapping keeps the file's contents reachable
				if err := r.startMapped(m, p); err != nil {
					unmapFile(m)
					return err
				}
				return nil
			}
		}
	}
	if err := r.start(f, f, p); err != nil {
		f.Close()
		return err
	}
	return nil
}

// startMapped reads the file header of a mapped file (not gzip-compressed).
func (r *Reader) startMapped(m []byte, name string) error {
	in := &input{name: name, m: m, bufSize: r.bufSize}
	return r.begin(in, m[:min(4, len(m))])
}

// start detects the format of src and reads its file header.
func (r *Reader) start(src io.Reader, closer io.Closer, name string) error {
	in := &input{name: name, closer: closer, raw: &countReader{r: src}, bufSize: r.bufSize}
	if r.br == nil {
		r.br = bufio.NewReaderSize(in.raw, r.bufSize)
	} else {
		r.br.Reset(in.raw)
	}
	in.br = r.br
	magic, _ := in.br.Peek(4)
	if len(magic) == 0 {
		if _, err := in.br.Peek(1); err != nil && err != io.EOF {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return err // already names the file, e.g. "read x: is a directory"
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		return fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(in.br)
		if err != nil {
			return fmt.Errorf("%s: gzip: %w", name, err)
		}
		in.gz = gz
		if r.gzbr == nil {
			r.gzbr = bufio.NewReaderSize(gz, r.bufSize)
		} else {
			r.gzbr.Reset(gz)
		}
		in.br = r.gzbr
		magic, _ = in.br.Peek(4)
		if len(magic) == 0 {
			if _, err := in.br.Peek(1); err != nil && err != io.EOF {
				return fmt.Errorf("%s: gzip: %w", name, err)
			}
			return fmt.Errorf("%s: %w", name, ErrEmpty)
		}
	}
	return r.begin(in, magic)
}

// begin recognises the format from the first bytes of the (decompressed) capture and
// reads the file header.
func (r *Reader) begin(in *input, magic []byte) error {
	name := in.name
	if len(magic) < 4 {
		return fmt.Errorf("%s: %w", name, ErrNotCapture)
	}
	in.ifBase = len(r.ifaces)
	var err error
	switch le := binary.LittleEndian.Uint32(magic); le {
	case 0x0A0D0D0A:
		in.format = formatPcapng
		// the SHB is read by the first Next; check its byte-order magic now
		h, perr := in.peek(12)
		if perr != nil {
			return in.readErr(perr, len(h), 0, "")
		}
		if bom := binary.LittleEndian.Uint32(h[8:]); bom != 0x1A2B3C4D && bom != 0x4D3C2B1A {
			return fmt.Errorf("%s: %w", name, ErrNotCapture)
		}
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		in.format = formatPcap
		err = r.pcapHeader(in, le)
	default:
		return fmt.Errorf("%s: %w", name, ErrNotCapture)
	}
	if err != nil {
		return err
	}
	r.in = in
	return nil
}

// Next returns the next frame. Frame.Data is valid until the next call to Next or Close.
// It returns io.EOF after the last frame of the last input; any other error ends the input.
func (r *Reader) Next() (f Frame, err error) {
	// Fast path: a whole pcap record or pcapng enhanced packet block in the mapping or the
	// read buffer, written straight into the result.
	if in := r.in; in != nil && r.err == nil {
		if in.format == formatPcap {
			if r.nextPcapFast(in, &f) {
				return f, nil
			}
		} else if r.nextEPBFast(in, &f) {
			return f, nil
		}
	}
	return r.next()
}

func (r *Reader) next() (Frame, error) {
	for {
		if r.err != nil {
			return Frame{}, r.err
		}
		if r.in == nil {
			if len(r.paths) == 0 {
				r.err = io.EOF
				continue
			}
			if err := r.openNext(); err != nil {
				if r.interrupted.Load() {
					err = ErrInterrupted
				}
				r.err = err
				continue
			}
		}
		in := r.in
		var f Frame
		var err error
		if in.format == formatPcap {
			f, err = r.nextPcap(in)
		} else {
			f, err = r.nextPcapng(in)
		}
		if err == nil {
			return f, nil
		}
		if err == io.EOF {
			r.finish()
			continue
		}
		if r.interrupted.Load() {
			err = ErrInterrupted
		}
		r.err = err
	}
}

// Interrupt ends a read from standard input that waits for data (a pipe whose writer is
// idle): Next then returns ErrInterrupted. Frames already returned stay valid until the
// next call. It may be called from any goroutine (a signal handler); for files, which
// never wait, the caller's own stop check between frames is enough and Interrupt only
// makes a failing read report ErrInterrupted.
func (r *Reader) Interrupt() {
	r.interrupted.Store(true)
	r.imu.Lock()
	fn := r.interrupt
	r.imu.Unlock()
	if fn != nil {
		fn()
	}
}

func (r *Reader) setInterrupt(fn func()) {
	r.imu.Lock()
	r.interrupt = fn
	r.imu.Unlock()
	if fn != nil && r.interrupted.Load() {
		fn()
	}
}

type closerFunc func()

func (f closerFunc) Close() error { f(); return nil }

// finish closes the current input and accounts for its bytes.
func (r *Reader) finish() {
	in := r.in
	if in == nil {
		return
	}
	r.done += in.rawRead()
	r.doneOff += in.off
	if in.closer != nil {
		in.closer.Close()
	}
	if in.m != nil {
		unmapFile(in.m)
		in.m = nil
	}
	r.in = nil
}

// Close closes the current file. It does not close a reader passed to NewReader.
func (r *Reader) Close() error {
	r.finish()
	r.paths = nil
	r.err = io.EOF
	return nil
}

// Offset returns the number of bytes of capture data (after gzip decompression) consumed
// so far, across all inputs: the end of the last frame returned.
func (r *Reader) Offset() int64 {
	if r.in != nil {
		return r.doneOff + r.in.off
	}
	return r.doneOff
}

// Progress returns how many bytes have been read from the input files (compressed bytes
// for gzip files; includes read-ahead buffering) and their total size, or -1 when the size
// is unknown (standard input, NewReader). Meant for a progress display.
func (r *Reader) Progress() (read, size int64) {
	read = r.done
	if r.in != nil {
		read += r.in.rawRead()
	}
	return read, r.size
}

// Interfaces lists the interfaces seen so far, in order of appearance across all inputs,
// with their link types and the number of frames read from each.
func (r *Reader) Interfaces() []InterfaceInfo {
	return append([]InterfaceInfo(nil), r.ifaces...)
}

// LinkTypes returns the distinct link types seen so far, in order of first appearance.
func (r *Reader) LinkTypes() []LinkType {
	var out []LinkType
outer:
	for _, i := range r.ifaces {
		for _, l := range out {
			if l == i.LinkType {
				continue outer
			}
		}
		out = append(out, i.LinkType)
	}
	return out
}

// Frames returns the number of frames returned so far.
func (r *Reader) Frames() uint64 { return r.frame }

// rawRead returns the number of bytes read from the input file so far.
func (in *input) rawRead() int64 {
	if in.m != nil {
		return in.off
	}
	return in.raw.n
}

// peek returns the next n bytes of in without consuming them; on a short read it returns
// the available bytes and the error from the underlying reader (io.EOF and
// io.ErrUnexpectedEOF both mean the data ended).
func (in *input) peek(n int) ([]byte, error) {
	if in.m != nil {
		rest := in.m[in.pos:]
		if len(rest) < n {
			return rest, io.EOF // as bufio reports the end of a file
		}
		return rest[:n:n], nil
	}
	if n > in.br.Size() {
		// cannot happen with the buffer sizes used (all records fit), but be exact anyway
		b, err := in.br.Peek(in.br.Size())
		if err == nil {
			err = errBufferTooSmall
		}
		return b, err
	}
	b, err := in.br.Peek(n)
	if len(b) == n {
		return b, nil
	}
	if err == nil || err == bufio.ErrBufferFull {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

// discard consumes the pending bytes of the previous record.
func (in *input) discard() error {
	if in.pending == 0 {
		return nil
	}
	if in.m != nil {
		if rest := len(in.m) - in.pos; in.pending > rest {
			in.pos = len(in.m)
			in.off -= int64(in.pending - rest) // in.off counted the whole record
			in.pending = 0
			return io.EOF
		}
		in.consumeMapped(in.pos + in.pending)
		in.pending = 0
		return nil
	}
	n, err := in.br.Discard(in.pending)
	in.pending -= n
	if in.pending != 0 {
		in.off -= int64(in.pending) // in.off counted the whole record
		in.pending = 0
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// consumeMapped moves the read position of a mapped input to pos and releases the pages
// before it from the resident set every releaseChunk bytes.
func (in *input) consumeMapped(pos int) {
	in.pos = pos
	if pos-in.rel >= releaseChunk {
		end := pos / pageSize * pageSize
		releaseMapped(in.m[in.rel:end])
		in.rel = end
	}
}

var errBufferTooSmall = errors.New("record larger than the read buffer")

func isEnd(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

// readErr turns an error from peek into the error to return: a *TruncatedError when the
// data ended, the I/O error prefixed with the file name otherwise.
func (in *input) readErr(err error, got int, frame uint64, block string) error {
	if isEnd(err) {
		if got == 0 && err == io.ErrUnexpectedEOF && in.gz != nil {
			block = blockGzip // the compressed stream ends early, between records
		}
		return &TruncatedError{Name: in.name, Offset: in.off + int64(got), Frame: frame, Record: in.off, Block: block}
	}
	return fmt.Errorf("%s: %w", in.name, err)
}

// --- input buffer helpers, shared by pcap.go and pcapng.go ---

// ready returns the bytes of in available without reading (the rest of the mapping, or
// what the read buffer holds), from the first byte not consumed: pending bytes included.
func (in *input) ready() []byte {
	if in.m != nil {
		return in.m[in.pos:]
	}
	b, _ := in.br.Peek(in.br.Buffered()) // buffered: no read, no error
	return b
}

// consume drops the first k bytes of ready().
func (in *input) consume(k int) {
	if in.m != nil {
		in.consumeMapped(in.pos + k)
		return
	}
	in.br.Discard(k) // buffered: cannot fail
}

// u32 decodes a 32-bit field in the byte order of a pcap file.
func (in *input) u32(b []byte) uint32 {
	if in.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}
