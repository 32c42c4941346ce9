package capture

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// This file reads archives: several capture files, a directory of them, or a glob, as
// one capture (ExpandInputs), either one file after another (OpenFiles) or merged into
// time order frame by frame (OpenMerged), as mergecap does.

// ErrNoMatch: a glob pattern matched no file.
var ErrNoMatch = errors.New("no file matches")

// ErrMergeStdin: standard input cannot be merged (it cannot be read twice).
var ErrMergeStdin = errors.New("standard input cannot be merged with --merge")

// Expanded is the result of ExpandInputs.
type Expanded struct {
	Paths   []string // the files to read, in order
	Skipped []string // files of the named directories that are not captures (by magic number)
}

// ExpandInputs turns command-line inputs into capture files: a regular file or "-" is
// kept; a directory stands for the capture files in it (not its subdirectories), in
// natural name order (cap2 before cap10, so tcpdump -C/-W rotations read in the order
// they were written); an argument that does not exist and contains *, ? or [ is a glob
// pattern, its matches in natural order. A directory's files are told apart from other
// files by their magic number (pcap, pcapng or gzip); the others are listed in Skipped.
func ExpandInputs(args []string) (Expanded, error) {
	var e Expanded
	for _, a := range args {
		if a == "-" {
			e.Paths = append(e.Paths, a)
			continue
		}
		st, err := os.Stat(a)
		switch {
		case err == nil && st.IsDir():
			ents, err := os.ReadDir(a)
			if err != nil {
				return e, err
			}
			var names []string
			for _, de := range ents {
				if de.Type().IsRegular() && !strings.HasPrefix(de.Name(), ".") {
					names = append(names, de.Name())
				}
			}
			slices.SortFunc(names, naturalCompare)
			for _, n := range names {
				p := filepath.Join(a, n)
				if looksLikeCapture(p) {
					e.Paths = append(e.Paths, p)
				} else {
					e.Skipped = append(e.Skipped, p)
				}
			}
			if len(names) == 0 || len(e.Paths) == 0 {
				return e, fmt.Errorf("%s: no capture files in the directory", a)
			}
		case err != nil && errors.Is(err, os.ErrNotExist) && strings.ContainsAny(a, "*?["):
			m, gerr := filepath.Glob(a)
			if gerr != nil {
				return e, fmt.Errorf("%s: %w", a, gerr)
			}
			if len(m) == 0 {
				return e, fmt.Errorf("%s: %w", a, ErrNoMatch)
			}
			slices.SortFunc(m, naturalCompare)
			for _, p := range m {
				if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
					e.Paths = append(e.Paths, p)
				}
			}
		default:
			e.Paths = append(e.Paths, a) // OpenFiles reports a missing file
		}
	}
	return e, nil
}

// looksLikeCapture reports whether the file starts with a pcap, pcapng or gzip magic
// number.
func looksLikeCapture(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [4]byte
	if _, err := io.ReadFull(f, m[:]); err != nil {
		return false
	}
	switch {
	case m[0] == 0x1f && m[1] == 0x8b: // gzip
		return true
	case m == [4]byte{0x0a, 0x0d, 0x0d, 0x0a}: // pcapng section header
		return true
	}
	switch uint32(m[0]) | uint32(m[1])<<8 | uint32(m[2])<<16 | uint32(m[3])<<24 {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		return true
	}
	return false
}

// naturalCompare orders names with runs of digits compared by value: "a2" < "a10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			x, y := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(x), len(y)); c != 0 {
				return c
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// mergeInput is one file of a merge: its reader once opened, and its next frame.
type mergeInput struct {
	path  string
	first int64 // time of its first frame
	order int   // position among the inputs, to break ties
	r     *Reader
	f     Frame
}

// Merger reads several capture files as one capture in time order, frame by frame, as
// mergecap does by default: the frame with the earliest timestamp comes next (on equal
// timestamps, the file named first). Frame numbers count the merged frames from 1.
//
// Files are ordered by their first timestamp and opened only when the merge reaches that
// time, so a directory of rotated captures (whose times do not overlap) keeps one or two
// files open, however many there are. Frame.Data is valid until the next call to Next.
type Merger struct {
	pending []*mergeInput // not opened yet, by first timestamp
	active  mergeHeap     // opened, each with its next frame
	last    *mergeInput   // the input of the frame returned last: advanced on the next call
	frame   uint64
	err     error // the first error of an input, returned after every frame
}

// OpenMerged opens paths for a merge in time order. It reads the first frame of every
// file to order them (a file without frames is left out); "-" is refused with
// ErrMergeStdin.
func OpenMerged(paths []string) (*Merger, error) {
	if len(paths) == 0 {
		return nil, errors.New("capture: no input files")
	}
	m := &Merger{}
	for i, p := range paths {
		if p == "-" {
			return nil, ErrMergeStdin
		}
		r, err := openFiles([]string{p}, mmapAllowed(), defaultBufSize)
		if err != nil {
			m.Close()
			return nil, err
		}
		f, err := r.Next()
		r.Close()
		if errors.Is(err, io.EOF) {
			continue // no frames: nothing to merge
		}
		if err != nil {
			m.Close()
			return nil, err
		}
		m.pending = append(m.pending, &mergeInput{path: p, first: f.TS, order: i})
	}
	slices.SortStableFunc(m.pending, func(a, b *mergeInput) int { return cmp.Compare(a.first, b.first) })
	return m, nil
}

// Next returns the next frame in time order.
func (m *Merger) Next() (Frame, error) {
	if m.last != nil {
		in := m.last
		m.last = nil
		if m.advance(in) {
			heap.Fix(&m.active, 0)
		} else {
			heap.Pop(&m.active)
		}
	}
	// Open every file whose first frame is not later than the earliest frame held.
	for len(m.pending) > 0 && (len(m.active) == 0 || m.pending[0].first <= m.active[0].f.TS) {
		in := m.pending[0]
		m.pending = m.pending[1:]
		r, err := openFiles([]string{in.path}, mmapAllowed(), defaultBufSize)
		if err != nil {
			m.keep(err)
			continue
		}
		in.r = r
		if m.advance(in) {
			heap.Push(&m.active, in)
		}
	}
	if len(m.active) == 0 {
		if m.err != nil {
			err := m.err
			m.err = nil
			return Frame{}, err
		}
		return Frame{}, io.EOF
	}
	in := m.active[0]
	m.last = in
	m.frame++
	f := in.f
	f.Frame = m.frame
	return f, nil
}

// advance reads in's next frame; false (and the file closed) at its end.
func (m *Merger) advance(in *mergeInput) bool {
	f, err := in.r.Next()
	if err == nil {
		in.f = f
		return true
	}
	if !errors.Is(err, io.EOF) {
		m.keep(err)
	}
	in.r.Close()
	in.r = nil
	return false
}

func (m *Merger) keep(err error) {
	if m.err == nil {
		m.err = err
	}
}

// Close closes every open file.
func (m *Merger) Close() error {
	for _, in := range m.active {
		if in.r != nil {
			in.r.Close()
		}
	}
	m.active = nil
	m.pending = nil
	return nil
}

type mergeHeap []*mergeInput

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].f.TS != h[j].f.TS {
		return h[i].f.TS < h[j].f.TS
	}
	return h[i].order < h[j].order
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeInput)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
