// Package flowfiles writes every direction of every connection to its own file, named as
// tcpflow names them (SRCIP.SRCPORT-DSTIP.DSTPORT, IPv4 octets and ports zero-padded, a
// "cN" suffix for the N-th reuse of a 4-tuple),
// so that segscope's reassembly can be compared with tcpflow's byte for byte. Unlike
// tcpflow it never hides a hole: bytes that never arrived are listed in NAME.gaps, one
// "offset length" line per hole (stream offsets).
//
// Output size follows the bytes delivered, never the sequence distance: a hole is left in
// the file (a sparse run that reads back as zeros, as tcpflow does) only while the holes
// kept in that file add up to no more than the bytes delivered to it plus MaxHoleSlack;
// a hole beyond that is cut out of the file (the bytes after it follow at once) and its
// .gaps line says so: "offset length cut". A capture of a few kilobytes can therefore
// never make a file of gigabytes.
//
// Safety: files are created through safefile.Dir (no link followed, nothing outside the
// directory, an existing file is an error unless force). A connection's names are chosen
// at its first byte, so a connection that carries none (a SYN flood) costs nothing here;
// its state is released when it closes. At most MaxOpen files are open at once (least
// recently used closed first; a closed file is reopened to append).
package flowfiles

import (
	"container/list"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"

	"github.com/segscope/segscope/internal/safefile"
	"github.com/segscope/segscope/report"
)

// MaxOpen bounds the files held open at once.
const MaxOpen = 256

// MaxHoleSlack is how many hole bytes a file may hold beyond the bytes delivered to it.
const MaxHoleSlack = 1 << 20

// Writer implements report.Stream.
type Writer struct {
	dir   *safefile.Dir
	conns map[uint64]*connFiles
	used  map[string]bool // names of files created in this run
	open  map[string]*list.Element
	lru   *list.List // of *openFile, most recent at the front
	Files int        // files created
	Cut   uint64     // hole bytes cut out of files (not left as holes)
}

type connFiles struct {
	c     report.Conn // endpoints, tuple index, VLAN
	named bool
	dirs  [2]dirFile
}

type dirFile struct {
	name      string
	delivered uint64 // bytes written
	holes     uint64 // hole bytes left in the file
	cut       uint64 // hole bytes cut out: file offset = stream offset - cut
}

type openFile struct {
	name string
	f    *os.File
}

// Open returns a Writer creating files in dir, which must exist. With force, files that
// exist already are overwritten (never through a link); without, they are an error.
func Open(dir string, force bool) (*Writer, error) {
	d, err := safefile.OpenDir(dir, force)
	if err != nil {
		return nil, err
	}
	return &Writer{dir: d, conns: map[uint64]*connFiles{}, used: map[string]bool{}, open: map[string]*list.Element{}, lru: list.New()}, nil
}

// Name returns tcpflow's file name for bytes sent from src to dst; index > 0 adds
// "c<index>", and a vlan of 0 or more (the 802.1Q tag's TCI, as tcpflow takes it) adds
// "--<vlan>".
func Name(src, dst netip.AddrPort, index, vlan int) string {
	n := ep(src) + "-" + ep(dst)
	if vlan >= 0 {
		n += "--" + strconv.Itoa(vlan)
	}
	if index > 0 {
		n += "c" + strconv.Itoa(index)
	}
	return n
}

func ep(e netip.AddrPort) string {
	a := e.Addr().Unmap()
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%03d.%03d.%03d.%03d.%05d", b[0], b[1], b[2], b[3], e.Port())
	}
	return fmt.Sprintf("%s.%05d", a.String(), e.Port()) // as tcpflow: inet_ntop form
}

// StreamOpen implements report.Stream.
func (w *Writer) StreamOpen(c *report.Conn) error {
	if _, err := netip.ParseAddrPort(c.Client); err != nil {
		return fmt.Errorf("flowfiles: bad endpoint %q", c.Client)
	}
	if _, err := netip.ParseAddrPort(c.Server); err != nil {
		return fmt.Errorf("flowfiles: bad endpoint %q", c.Server)
	}
	w.conns[c.Conn] = &connFiles{c: *c}
	return nil
}

// names picks the connection's file names at its first byte. A 4-tuple reused after its
// earlier connection left the tracker's table has index 0 again: take the next free
// suffix, so no connection overwrites another's file.
func (w *Writer) names(cf *connFiles) {
	if cf.named {
		return
	}
	cf.named = true
	cli, _ := netip.ParseAddrPort(cf.c.Client)
	srv, _ := netip.ParseAddrPort(cf.c.Server)
	idx := cf.c.TupleIndex
	vlan := -1
	if cf.c.VLANTagged {
		vlan = cf.c.VLAN
	}
	for w.used[Name(cli, srv, idx, vlan)] || w.used[Name(srv, cli, idx, vlan)] {
		idx++
	}
	cf.dirs[0].name, cf.dirs[1].name = Name(cli, srv, idx, vlan), Name(srv, cli, idx, vlan)
}

func dirIndex(dir string) int {
	if dir == "s2c" {
		return 1
	}
	return 0
}

// file returns the open file name, creating it on first use in this run.
func (w *Writer) file(name string) (*os.File, error) {
	if e := w.open[name]; e != nil {
		w.lru.MoveToFront(e)
		return e.Value.(*openFile).f, nil
	}
	for w.lru.Len() >= MaxOpen {
		w.closeFile(w.lru.Back())
	}
	var f *os.File
	var err error
	if w.used[name] {
		f, err = w.dir.Append(name)
	} else {
		f, err = w.dir.Create(name)
		if err == nil {
			w.used[name] = true
			w.Files++
		}
	}
	if err != nil {
		return nil, err
	}
	w.open[name] = w.lru.PushFront(&openFile{name: name, f: f})
	return f, nil
}

func (w *Writer) closeFile(e *list.Element) error {
	of := w.lru.Remove(e).(*openFile)
	delete(w.open, of.name)
	return of.f.Close()
}

func (w *Writer) conn(conn uint64) (*connFiles, error) {
	cf := w.conns[conn]
	if cf == nil {
		return nil, fmt.Errorf("flowfiles: data for unknown conn %d", conn)
	}
	w.names(cf)
	return cf, nil
}

// StreamData implements report.Stream.
func (w *Writer) StreamData(conn uint64, dir string, off uint64, data []byte) error {
	cf, err := w.conn(conn)
	if err != nil {
		return err
	}
	d := &cf.dirs[dirIndex(dir)]
	f, err := w.file(d.name)
	if err != nil {
		return err
	}
	if off < d.cut {
		return fmt.Errorf("flowfiles: conn %d %s: data at offset %d before a cut hole", conn, dir, off)
	}
	if _, err := f.WriteAt(data, int64(off-d.cut)); err != nil {
		return err
	}
	d.delivered += uint64(len(data))
	return nil
}

// StreamGap implements report.Stream.
func (w *Writer) StreamGap(conn uint64, dir string, off, n uint64) error {
	cf, err := w.conn(conn)
	if err != nil {
		return err
	}
	d := &cf.dirs[dirIndex(dir)]
	f, err := w.file(d.name)
	if err != nil {
		return err
	}
	cut := d.holes+n > d.delivered+MaxHoleSlack
	if cut {
		d.cut += n
		w.Cut += n
	} else {
		d.holes += n
		// Extend the file over the hole so a gap at the end is visible in its size.
		end := int64(off + n - d.cut)
		if st, err := f.Stat(); err == nil && st.Size() < end {
			if err := f.Truncate(end); err != nil {
				return err
			}
		}
	}
	g, err := w.gapsFile(d)
	if err != nil {
		return err
	}
	line := strconv.FormatUint(off, 10) + " " + strconv.FormatUint(n, 10)
	if cut {
		line += " cut"
	}
	_, err = g.WriteString(line + "\n")
	return err
}

func (w *Writer) gapsFile(d *dirFile) (*os.File, error) {
	name := d.name + ".gaps"
	f, err := w.file(name)
	if err != nil {
		return nil, err
	}
	// Lines are appended; the file may have been closed and reopened since the last one.
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return nil, err
	}
	return f, nil
}

// StreamClose implements report.Stream: the connection's files are closed and its state
// released.
func (w *Writer) StreamClose(c *report.Conn) error {
	cf := w.conns[c.Conn]
	delete(w.conns, c.Conn)
	if cf == nil || !cf.named {
		return nil
	}
	var first error
	for _, d := range cf.dirs {
		for _, name := range [2]string{d.name, d.name + ".gaps"} {
			if e := w.open[name]; e != nil {
				if err := w.closeFile(e); err != nil && first == nil {
					first = err
				}
			}
		}
	}
	return first
}

// Close closes every file still open and the directory.
func (w *Writer) Close() error {
	var first error
	for w.lru.Len() > 0 {
		if err := w.closeFile(w.lru.Back()); err != nil && first == nil {
			first = err
		}
	}
	if err := w.dir.Close(); err != nil && first == nil {
		first = err
	}
	return first
}
