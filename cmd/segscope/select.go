package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/internal/safefile"
)

// Selection on the command line: a filter expression (after the files, as tcpdump
// takes it, or -f), -d, --conn lists and -w.

// splitArgs splits the positional arguments into capture files and a filter
// expression: with -r or -i every one is the expression (as tcpdump); otherwise the
// leading ones that are "-" or exist are files and the rest the expression. The first
// argument is always a file when none exists, so a mistyped name says "no such file".
func splitArgs(o *options, pos []string) (files []string, expr string) {
	if len(o.files) > 0 || o.iface != "" {
		if o.iface != "" && len(pos) > 0 && looksLikeFile(pos[0]) {
			return pos[:1], strings.Join(pos[1:], " ") // -i with a file: validate says so
		}
		return nil, strings.Join(pos, " ")
	}
	i := 0
	for i < len(pos) && (pos[i] == "-" || isFile(pos[i])) {
		i++
	}
	if i == 0 && len(pos) > 0 && (looksLikeFile(pos[0]) || len(pos) == 1 && !looksLikeExpr(pos[0])) {
		i = 1
	}
	return pos[:i], strings.Join(pos[i:], " ")
}

// isFile reports whether s names something to read that is not a directory (a
// directory named like a keyword, such as this repository's "tcp", is not a capture).
func isFile(s string) bool {
	st, err := os.Stat(s)
	return err == nil && !st.IsDir()
}

func looksLikeFile(s string) bool {
	if isFile(s) {
		return true
	}
	return strings.ContainsRune(s, '/') || strings.HasSuffix(s, ".pcap") || strings.HasSuffix(s, ".pcapng") ||
		strings.HasSuffix(s, ".gz") || strings.HasSuffix(s, ".cap")
}

// looksLikeExpr reports whether a lone argument is a filter expression given as one
// word ("tcp port 80" quoted) rather than a file name.
func looksLikeExpr(s string) bool { return strings.ContainsAny(s, " ()[]&|!=<>") }

// compileFilter parses the expression, if any.
func compileFilter(expr string) (*filter.Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	f, err := filter.Parse(expr)
	if err != nil {
		return nil, filterErr(expr, err)
	}
	return f, nil
}

// filterErr adds the expression, a caret under the column and the hint to a filter
// error.
func filterErr(expr string, err error) error {
	var se *filter.SyntaxError
	if !errors.As(err, &se) {
		return &hinted{err: err, hint: "segscope filters every link type it reads except for protocol tests on NFLOG"}
	}
	hint := se.Hint
	if hint == "" {
		hint = "a filter is a tcpdump expression such as 'tcp port 80 and host 10.0.0.1' (see pcap-filter(7))"
	}
	col := min(max(se.Col, 1), len(expr)+1)
	return &hinted{err: fmt.Errorf("%w\n    %s\n    %s^", err, expr, strings.Repeat(" ", col-1)), hint: hint}
}

// linkOfInput returns the link type of the first frame of the input (for -d), or
// Ethernet when there is no input.
func linkOfInput(o *options) (filter.LinkType, error) {
	switch {
	case o.iface != "":
		l, err := capture.OpenLive(o.iface, capture.LiveConfig{Snaplen: o.snaplen})
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return filter.LinkType(l.LinkType()), nil
	case len(o.files) > 0:
		src, err := capture.OpenFiles(o.files)
		if err != nil {
			return 0, err
		}
		defer src.Close()
		f, err := src.Next()
		if err != nil {
			return 0, err
		}
		return filter.LinkType(f.LinkType), nil
	}
	return filter.LinkEthernet, nil
}

// dumpFilter prints the compiled program as tcpdump -d does.
func dumpFilter(o *options, f *filter.Filter, expr string, stdout io.Writer) error {
	if f == nil {
		f, _ = filter.Parse("")
	}
	link, err := linkOfInput(o)
	if err != nil {
		return err
	}
	f.SetSnaplen(o.snaplen)
	p, err := f.Program(link)
	if err != nil {
		return filterErr(expr, err)
	}
	_, err = io.WriteString(stdout, p.String())
	return err
}

// liveFilter returns the LiveConfig.Filter for f.
func liveFilter(f *filter.Filter, snaplen int) func(capture.LinkType) ([]capture.SockFilter, error) {
	if f == nil {
		return nil
	}
	return func(link capture.LinkType) ([]capture.SockFilter, error) {
		f.SetSnaplen(snaplen)
		p, err := f.Program(filter.LinkType(link))
		if err != nil {
			return nil, filterErr(f.String(), err)
		}
		raw := p.Raw()
		out := make([]capture.SockFilter, len(raw))
		for i, r := range raw {
			out[i] = capture.SockFilter{Op: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
		}
		return out, nil
	}
}

// parseConnSelect reads --conn: a comma-separated list of connection numbers, ranges
// (5-9), 4-tuples (ip:port-ip:port), hosts (10.0.0.1, fd00::1), ports (:8080) and
// endpoints (10.0.0.1:8080, [fd00::1]:80).
func parseConnSelect(s string) (*segscope.ConnSelect, error) {
	if s == "" {
		return nil, nil
	}
	bad := &usageError{msg: fmt.Sprintf("bad --conn %q", s),
		hint: "--conn takes connection numbers and ranges from `segscope conns` (3,5-9), ip:port-ip:port, a host (10.0.0.1), a port (:8080) or an endpoint (10.0.0.1:8080), comma-separated"}
	sel := &segscope.ConnSelect{}
	for _, item := range splitConnList(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, bad
		}
		if n, err := strconv.ParseUint(item, 10, 64); err == nil && n > 0 {
			sel.IDs = append(sel.IDs, [2]uint64{n, n})
			continue
		}
		if a, b, ok := strings.Cut(item, "-"); ok {
			lo, err1 := strconv.ParseUint(a, 10, 64)
			hi, err2 := strconv.ParseUint(b, 10, 64)
			if err1 == nil && err2 == nil && lo > 0 && lo <= hi {
				sel.IDs = append(sel.IDs, [2]uint64{lo, hi})
				continue
			}
		}
		if k, ok := parseTuple(item); ok {
			sel.Keys = append(sel.Keys, k)
			continue
		}
		if strings.HasPrefix(item, ":") {
			if p, err := strconv.ParseUint(item[1:], 10, 16); err == nil {
				sel.Ports = append(sel.Ports, uint16(p))
				continue
			}
		}
		if ap, err := netip.ParseAddrPort(item); err == nil {
			sel.Eps = append(sel.Eps, ap)
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(item, "[]")); err == nil {
			sel.Hosts = append(sel.Hosts, a.Unmap())
			continue
		}
		return nil, bad
	}
	return sel, nil
}

// splitConnList splits at commas; a 4-tuple written "a:p,b:q" (the old form) stays whole.
func splitConnList(s string) []string {
	if _, ok := parseTuple(s); ok {
		return []string{s}
	}
	return strings.Split(s, ",")
}

// parseTuple reads two endpoints "ip:port-ip:port" (or separated by a space or comma).
func parseTuple(s string) (flow.Key, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '-' && s[i] != ',' && s[i] != ' ' {
			continue
		}
		a, err1 := netip.ParseAddrPort(strings.TrimSpace(s[:i]))
		b, err2 := netip.ParseAddrPort(strings.TrimSpace(s[i+1:]))
		if err1 == nil && err2 == nil {
			k, _ := flow.Tuple{Src: a, Dst: b}.Key()
			return k, true
		}
	}
	return flow.Key{}, false
}

// frameWriter writes the selected frames for -w: pcap, or pcapng with --pcapng or a
// .pcapng name. The file is created when the first frame (or the end) comes, with that
// frame's link type; a new file is created exclusively and never through a link, an
// existing one is replaced only with --force.
type frameWriter struct {
	path    string
	ng      bool
	snaplen int
	stdout  io.Writer
	out     io.Writer
	commit  func(keep bool) error
	w       *capture.Writer
	n       uint64
}

func newFrameWriter(o *options, stdout io.Writer) (*frameWriter, error) {
	fw := &frameWriter{path: o.write, ng: o.pcapng || strings.HasSuffix(o.write, ".pcapng"), snaplen: o.snaplen, stdout: stdout}
	if o.write != "-" {
		if err := checkNewFile(o.write, o.force); err != nil {
			return nil, err
		}
	}
	return fw, nil
}

// checkNewFile refuses a symbolic link, and an existing regular file without --force.
func checkNewFile(path string, force bool) error {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return nil
	case fi.Mode()&fs.ModeSymlink != 0:
		return &hinted{err: &fs.PathError{Op: "-w", Path: path, Err: safefile.ErrLink}, hint: "remove the link or write to another name"}
	case fi.Mode().IsRegular() && !force:
		return &hinted{err: &fs.PathError{Op: "-w", Path: path, Err: safefile.ErrExists}, hint: "add --force to replace it, or choose another name"}
	}
	return nil
}

func (fw *frameWriter) open(link capture.LinkType) error {
	out, commit, err := openOutput(fw.path, fw.stdout)
	if err != nil {
		return err
	}
	fw.out, fw.commit = out, commit
	if fw.ng {
		fw.w, err = capture.NewPcapngWriter(out, link, fw.snaplen)
	} else {
		fw.w, err = capture.NewPcapWriter(out, link, fw.snaplen)
	}
	return err
}

// Write writes one frame as it was read.
func (fw *frameWriter) Write(f *capture.Frame) error {
	if fw.w == nil {
		if err := fw.open(f.LinkType); err != nil {
			return err
		}
	}
	if err := fw.w.WritePacket(f.Info, f.Data); err != nil {
		if strings.Contains(err.Error(), "single link type") {
			return &hinted{err: err, hint: "add --pcapng (or name the file .pcapng): pcapng holds frames of several link types"}
		}
		return err
	}
	fw.n++
	return nil
}

// Close finishes the file (a header only when nothing was selected); keep false
// discards it.
func (fw *frameWriter) Close(keep bool, link capture.LinkType) error {
	if fw.w == nil {
		if !keep {
			return nil
		}
		if err := fw.open(link); err != nil {
			return err
		}
	}
	err := fw.w.Flush()
	if cerr := fw.commit(keep && err == nil); err == nil {
		err = cerr
	}
	return err
}

// writeFrames reads the files again and writes the frames numbered in want (sorted):
// -w --msg learns which frames carried the exchange only at its end.
func writeFrames(o *options, fw *frameWriter, want []uint64) (capture.LinkType, error) {
	src, err := capture.OpenFiles(o.files)
	if err != nil {
		return 1, err
	}
	defer src.Close()
	link := capture.LinkType(1)
	for len(want) > 0 {
		f, err := src.Next()
		if err != nil {
			if err == io.EOF {
				break
			}
			return link, err
		}
		link = f.LinkType
		if f.Frame < want[0] {
			continue
		}
		for len(want) > 0 && want[0] < f.Frame {
			want = want[1:]
		}
		if len(want) > 0 && want[0] == f.Frame {
			if err := fw.Write(&f); err != nil {
				return link, err
			}
			want = want[1:]
		}
	}
	return link, nil
}

func sortedUnion(sets map[uint64][]uint64) []uint64 {
	var all []uint64
	for _, s := range sets {
		all = append(all, s...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}
