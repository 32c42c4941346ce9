//go:build linux

package capture

import (
	"os"
	"syscall"
)

// mapFile maps the whole of f read-only (MAP_SHARED) and advises sequential access. It
// returns nil, and the caller reads f instead, when f is not a regular file, is empty, is
// too large for the address space, or cannot be mapped. The mapping covers the size f
// has now: nothing beyond it is ever touched.
func mapFile(f *os.File) []byte {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	size := st.Size()
	if size <= 0 || size != int64(int(size)) {
		return nil
	}
	conn, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	var m []byte
	conn.Control(func(fd uintptr) {
		m, err = syscall.Mmap(int(fd), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	})
	if err != nil || len(m) != int(size) {
		if m != nil {
			syscall.Munmap(m)
		}
		return nil
	}
	syscall.Madvise(m, syscall.MADV_SEQUENTIAL) // advice only: an error changes nothing
	return m
}

// unmapFile removes a mapping made by mapFile.
func unmapFile(m []byte) {
	syscall.Munmap(m)
}

// releaseMapped tells the kernel this process no longer needs the pages of m (page
// aligned, already read): they leave the process's resident set, so a capture of any size
// costs the same RSS. The page cache keeps them and the mapping stays valid: a later
// access would read them again from the file.
func releaseMapped(m []byte) {
	syscall.Madvise(m, syscall.MADV_DONTNEED)
}

// pageSize is the alignment releaseMapped needs.
var pageSize = os.Getpagesize()
