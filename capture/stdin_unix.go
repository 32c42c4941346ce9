//go:build unix

package capture

import (
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// Standard input that is a pipe, a FIFO or a socket is read through a non-blocking file
// registered with Go's poller, so that Interrupt can end a read that waits for a writer
// who is idle (tcpdump -U -w - | segscope ..., with no traffic): a blocking read(2) on fd
// 0 cannot be interrupted from another goroutine. The descriptor is put back in blocking
// mode when the input is finished, as the shell that shares it expects. A regular file
// or a terminal is read as it is.
var stdinFile struct {
	sync.Mutex
	f *os.File // kept for the life of the process: its finalizer would close fd 0
}

// openStdin returns the reader for standard input, a function that ends a read in
// progress (nil when reads cannot be interrupted) and the function to call when done.
func openStdin() (io.Reader, func(), func()) {
	var st syscall.Stat_t
	if err := syscall.Fstat(0, &st); err != nil {
		return os.Stdin, nil, func() {}
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFIFO, syscall.S_IFSOCK:
	default:
		return os.Stdin, nil, func() {}
	}
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin, nil, func() {}
	}
	stdinFile.Lock()
	if stdinFile.f == nil {
		stdinFile.f = os.NewFile(0, "stdin")
	}
	f := stdinFile.f
	stdinFile.Unlock()
	f.SetReadDeadline(time.Time{})
	interrupt := func() { f.SetReadDeadline(time.Unix(1, 0)) }
	done := func() { syscall.SetNonblock(0, false) }
	return f, interrupt, done
}
