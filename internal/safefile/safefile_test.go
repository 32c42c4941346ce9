package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOutputRegularReplacedAtCommit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	os.WriteFile(p, []byte("old"), 0o600)
	o, err := CreateOutput(p)
	if err != nil {
		t.Fatal(err)
	}
	if o.InPlace() {
		t.Fatal("a regular file is written in place, want a temporary file")
	}
	io.WriteString(o, "new")
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("before commit the target reads %q, want the old contents", b)
	}
	if err := o.Commit(true); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("after commit: %q mode %v, want \"new\" with the old mode 0600", b, st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary left)", len(ents))
	}
}

func TestOutputDiscarded(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	o, _ := CreateOutput(p)
	io.WriteString(o, "partial")
	o.Commit(false)
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a discarded output left %d files", len(ents))
	}
}

// TestOutputDeviceInPlace: /dev/null stays the character device it is (as root, renaming
// over it would have replaced the system's /dev/null).
func TestOutputDeviceInPlace(t *testing.T) {
	before, err := os.Stat("/dev/null")
	if err != nil || before.Mode()&fs.ModeCharDevice == 0 {
		t.Skip("skipped: no /dev/null character device here")
	}
	o, err := CreateOutput("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	if !o.InPlace() {
		t.Error("/dev/null is not written in place")
	}
	io.WriteString(o, "x")
	if err := o.Commit(true); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat("/dev/null")
	if after.Mode()&fs.ModeCharDevice == 0 || !os.SameFile(before, after) {
		t.Errorf("/dev/null changed: mode %v", after.Mode())
	}
}

// TestOutputFIFOInPlace: a FIFO is written to, not replaced.
func TestOutputFIFOInPlace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("skipped: mkfifo: %v", err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	o, err := CreateOutput(p)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o, "through the fifo")
	if err := o.Commit(true); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the fifo" {
		t.Errorf("reader got %q", s)
	}
	if st, _ := os.Lstat(p); st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced by a %v", st.Mode())
	}
}

// TestOutputThroughSymlink: -o LINK replaces the file the link points to and keeps the link.
func TestOutputThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	os.WriteFile(target, []byte("old"), 0o644)
	os.Symlink(target, link)
	o, err := CreateOutput(link)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o, "new")
	o.Commit(true)
	if st, _ := os.Lstat(link); st.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target = %q", b)
	}
}

func TestOutputDirectoryRefused(t *testing.T) {
	if _, err := CreateOutput(t.TempDir()); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("CreateOutput(dir) = %v, want EISDIR", err)
	}
}

func TestDirRules(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	victim := filepath.Join(outside, "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	os.Symlink(victim, filepath.Join(dir, "link"))
	os.Symlink(outside, filepath.Join(dir, "sub"))
	os.WriteFile(filepath.Join(dir, "exists"), []byte("old"), 0o644)
	for _, force := range []bool{false, true} {
		d, err := OpenDir(dir, force)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"link", "../victim", "sub/victim", "", ".", "..", "a/b"} {
			if f, err := d.Create(name); err == nil {
				f.Close()
				t.Errorf("force=%v: Create(%q) succeeded", force, name)
			}
		}
		f, err := d.Create("exists")
		if force != (err == nil) {
			t.Errorf("force=%v: Create(existing) = %v", force, err)
		}
		if f != nil {
			f.Close()
		}
		f, err = d.Create("new" + map[bool]string{true: "1", false: "0"}[force])
		if err != nil {
			t.Errorf("force=%v: Create(new) = %v", force, err)
		} else {
			f.Close()
		}
		d.Close()
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("a file outside the directory was written: %q", b)
	}
}
