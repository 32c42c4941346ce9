// Package safefile creates the files segscope writes (-o, -w, follow --write-dir,
// export) without ever following a link planted in the way or replacing something that
// is not a regular file. It owns only that rule; what goes into the files is the
// caller's.
//
//   - Output: a regular file (or a new one) is written to a temporary file beside it and
//     renamed over it when the run succeeds, so a failed run leaves the old file (or none).
//     Anything else — a FIFO, a character device such as /dev/null or /dev/stdout, a
//     socket — is opened and written in place: renaming over it would replace the node
//     itself (as root, `-o /dev/null` would have replaced the system's /dev/null). A
//     symbolic link is resolved first and the rule applied to what it points to.
//   - Dir: files created inside one directory. Names are single path elements (no
//     separator, not "." or ".."), opened through an os.Root (no path or link may lead
//     outside the directory) with O_NOFOLLOW (a link in the directory is refused, never
//     followed) and O_EXCL (an existing file is an error) unless Force is set, in which
//     case an existing regular file is truncated, still without following a link.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrExists is returned (in a *fs.PathError) when a file to create exists and Force is
// not set.
var ErrExists = errors.New("exists, and is not overwritten without --force")

// ErrLink is returned (in a *fs.PathError) for a name that is a symbolic link.
var ErrLink = errors.New("is a symbolic link: refusing to follow it")

// ErrNotRegular is returned when Force would truncate something that is not a regular
// file, or a name is a symbolic link.
var ErrNotRegular = errors.New("not a regular file")

// ErrBadName is returned for a name that is not a single path element.
var ErrBadName = errors.New("not a plain file name")

// Output is a file being written for -o or -w. Write goes to the file (or to a temporary
// file beside it); Commit(true) puts it in place, Commit(false) discards it.
type Output struct {
	f      *os.File
	path   string // the target
	tmp    string // the temporary file, "" when written in place
	closed bool
}

// CreateOutput opens path for writing by the rules in the package doc.
func CreateOutput(path string) (*Output, error) {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		r, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, err
		}
		target = r
	}
	fi, err := os.Stat(target)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		if fi.IsDir() {
			return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR}
		}
		// A device, FIFO or socket: write in place, never rename over it.
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &Output{f: f, path: path}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return nil, err
	}
	mode := fs.FileMode(0o644) // as a shell's > with the usual umask
	if fi != nil {
		mode = fi.Mode().Perm() // keep the mode of the file being replaced
	}
	_ = tmp.Chmod(mode)
	return &Output{f: tmp, path: target, tmp: tmp.Name()}, nil
}

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) { return o.f.Write(p) }

// InPlace reports whether the output is written directly to its target (not a regular
// file), so a failed run cannot be undone.
func (o *Output) InPlace() bool { return o.tmp == "" }

// Commit closes the output; with keep it renames the temporary file over the target, else
// it removes it. For an output written in place keep changes nothing. Commit may be
// called more than once; only the first call acts.
func (o *Output) Commit(keep bool) error {
	if o.closed {
		return nil
	}
	o.closed = true
	cerr := o.f.Close()
	if o.tmp == "" {
		return cerr
	}
	if !keep || cerr != nil {
		os.Remove(o.tmp)
		if keep {
			return cerr
		}
		return nil
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		os.Remove(o.tmp)
		return err
	}
	return nil
}

// Dir creates files inside one directory.
type Dir struct {
	root  *os.Root
	path  string
	Force bool // truncate an existing regular file instead of failing
}

// OpenDir opens the directory path, which must exist.
func OpenDir(path string, force bool) (*Dir, error) {
	r, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r, path: path, Force: force}, nil
}

// Path returns the directory's path as given.
func (d *Dir) Path() string { return d.path }

// CheckName returns ErrBadName unless name is one plain path element.
func CheckName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || name != filepath.Base(name) {
		return fmt.Errorf("%q: %w", name, ErrBadName)
	}
	return nil
}

// Create creates name in the directory for writing: a new file, or with Force an existing
// regular file truncated. A symbolic link of that name is never followed.
func (d *Dir) Create(name string) (*os.File, error) {
	return d.open(name, os.O_TRUNC)
}

// Append opens name, which this run created earlier, to write at its end (or, with
// WriteAt, anywhere), without following a link put there since.
func (d *Dir) Append(name string) (*os.File, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(name, os.O_WRONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, linkErr(d.path, name, err)
	}
	return regular(f, d.path, name)
}

func (d *Dir) open(name string, extra int) (*os.File, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	// Say plainly what is in the way; O_NOFOLLOW and O_EXCL below keep the rule even if
	// the directory changes between this look and the open.
	if fi, err := d.root.Lstat(name); err == nil {
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, &fs.PathError{Op: "create", Path: filepath.Join(d.path, name), Err: ErrLink}
		case !d.Force:
			return nil, &fs.PathError{Op: "create", Path: filepath.Join(d.path, name), Err: ErrExists}
		case !fi.Mode().IsRegular():
			return nil, &fs.PathError{Op: "create", Path: filepath.Join(d.path, name), Err: ErrNotRegular}
		}
	}
	flags := os.O_WRONLY | os.O_CREATE | syscall.O_NOFOLLOW
	if d.Force {
		flags |= extra
	} else {
		flags |= os.O_EXCL
	}
	f, err := d.root.OpenFile(name, flags, 0o644)
	if err != nil {
		return nil, linkErr(d.path, name, err)
	}
	return regular(f, d.path, name)
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

func regular(f *os.File, dir, name string) (*os.File, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(dir, name), Err: ErrNotRegular}
	}
	return f, nil
}

// linkErr names the refusal to follow a link (ELOOP from O_NOFOLLOW) and an existing file
// plainly, with the whole path.
func linkErr(dir, name string, err error) error {
	path := filepath.Join(dir, name)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return &fs.PathError{Op: "create", Path: path, Err: ErrLink}
	case errors.Is(err, fs.ErrExist):
		return &fs.PathError{Op: "create", Path: path, Err: ErrExists}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: path, Err: pe.Err}
	}
	return err
}
