//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segscope/segscope/capture"
)

// TestCaptureRotation captures loopback traffic with `segscope capture -C -W` and checks
// that the rotated files, read back as one capture, hold every frame the command says it
// wrote, in time order, and that no file exceeds the size limit by more than one frame.
func TestCaptureRotation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (AF_PACKET on lo)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		buf := bytes.Repeat([]byte("x"), 1000)
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.Write(buf)
			time.Sleep(time.Millisecond)
		}
	}()
	dir := t.TempDir()
	var stderr bytes.Buffer
	const frames = 300
	code := run([]string{"capture", "-i", "lo", "-s", "2000", "-w", filepath.Join(dir, "ring"), "-C", "0.03", "-W", "50",
		"-c", "300"}, nil, io.Discard, &stderr)
	if code != 0 {
		t.Fatalf("capture exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "300 frames written to ") {
		t.Fatalf("stderr = %q", stderr.String())
	}
	in, err := capture.ExpandInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Paths) < 3 {
		t.Fatalf("%d files, want several: %s", len(in.Paths), stderr.String())
	}
	for _, p := range in.Paths {
		st, _ := os.Stat(p)
		if st.Size() > 30000+2100 {
			t.Errorf("%s is %d bytes, over -C 0.03 by more than one frame", p, st.Size())
		}
	}
	src, err := capture.OpenFiles(in.Paths)
	if err != nil {
		t.Fatal(err)
	}
	n, last := 0, int64(0)
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.TS < last {
			t.Fatalf("frame %d goes back in time", f.Frame)
		}
		last = f.TS
		n++
	}
	if n != frames {
		t.Errorf("%d frames in the rotated files, want %d", n, frames)
	}
}
