// Package flowfiles writes every direction of every connection to its own file, named as
// tcpflow names them (SRCIP.SRCPORT-DSTIP.DSTPORT, IPv4 octets and ports zero-padded, a
// "cN" suffix for the N-th reuse of a 4-tuple), so that segscope's reassembly can be
// compared with tcpflow's byte for byte. Unlike tcpflow it never hides a hole: bytes that
// never arrived are left as a hole in the file (read back as zeros, as tcpflow does) and
// listed in NAME.gaps, one "offset length" line per hole.
package flowfiles

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/segscope/segscope/report"
)

// maxOpen bounds the files held open at once; others are reopened on demand.
const maxOpen = 256

// Writer implements report.Stream.
type Writer struct {
	dir     string
	names   map[uint64][2]string // conn -> file names (c2s, s2c)
	open    map[string]*os.File
	created map[string]bool
	used    map[string]bool // names given to a connection in this run
	Files   int             // files created
}

// New returns a Writer creating files in dir, which must exist.
func New(dir string) *Writer {
	return &Writer{dir: dir, names: map[uint64][2]string{}, open: map[string]*os.File{}, created: map[string]bool{}, used: map[string]bool{}}
}

// Name returns tcpflow's file name for bytes sent from src to dst; index > 0 adds "c<index>".
func Name(src, dst netip.AddrPort, index int) string {
	n := ep(src) + "-" + ep(dst)
	if index > 0 {
		n += fmt.Sprintf("c%d", index)
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
	cli, err1 := netip.ParseAddrPort(c.Client)
	srv, err2 := netip.ParseAddrPort(c.Server)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("flowfiles: bad endpoints %q %q", c.Client, c.Server)
	}
	// A 4-tuple reused after its earlier connection left the tracker's table has index 0
	// again: take the next free suffix, so no connection overwrites another's file.
	idx := c.TupleIndex
	for w.used[Name(cli, srv, idx)] || w.used[Name(srv, cli, idx)] {
		idx++
	}
	names := [2]string{Name(cli, srv, idx), Name(srv, cli, idx)}
	w.used[names[0]], w.used[names[1]] = true, true
	w.names[c.Conn] = names
	return nil
}

func (w *Writer) file(conn uint64, dir string) (*os.File, string, error) {
	names, ok := w.names[conn]
	if !ok {
		return nil, "", fmt.Errorf("flowfiles: data for unknown conn %d", conn)
	}
	name := names[0]
	if dir == "s2c" {
		name = names[1]
	}
	if f := w.open[name]; f != nil {
		return f, name, nil
	}
	if len(w.open) >= maxOpen {
		for n, f := range w.open {
			f.Close()
			delete(w.open, n)
		}
	}
	path := filepath.Join(w.dir, name)
	flags := os.O_WRONLY | os.O_CREATE
	if !w.created[name] {
		// First write of this run: start the file afresh.
		w.created[name] = true
		w.Files++
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, "", err
	}
	w.open[name] = f
	return f, name, nil
}

// StreamData implements report.Stream.
func (w *Writer) StreamData(conn uint64, dir string, off uint64, data []byte) error {
	f, _, err := w.file(conn, dir)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, int64(off))
	return err
}

// StreamGap implements report.Stream.
func (w *Writer) StreamGap(conn uint64, dir string, off, n uint64) error {
	f, name, err := w.file(conn, dir)
	if err != nil {
		return err
	}
	// Extend the file over the hole so a gap at the end is visible in its size.
	if st, err := f.Stat(); err == nil && st.Size() < int64(off+n) {
		if err := f.Truncate(int64(off + n)); err != nil {
			return err
		}
	}
	gflags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if !w.created[name+".gaps"] {
		w.created[name+".gaps"] = true
		gflags |= os.O_TRUNC
	}
	g, err := os.OpenFile(filepath.Join(w.dir, name+".gaps"), gflags, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(g, "%d %d\n", off, n)
	if cerr := g.Close(); err == nil {
		err = cerr
	}
	return err
}

// StreamClose implements report.Stream.
func (w *Writer) StreamClose(c *report.Conn) error {
	var first error
	for _, name := range w.names[c.Conn] {
		if f := w.open[name]; f != nil {
			if err := f.Close(); err != nil && first == nil {
				first = err
			}
			delete(w.open, name)
		}
	}
	delete(w.names, c.Conn)
	return first
}

// Close closes every file still open.
func (w *Writer) Close() error {
	var first error
	for n, f := range w.open {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
		delete(w.open, n)
	}
	return first
}
