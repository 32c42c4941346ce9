//go:build linux && !386

package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestRingLoopback sends a known byte count over a TCP connection on lo and reads the
// frames back through a TPACKET_V3 ring: every payload byte to the listener's port is
// seen exactly once (the loopback device's outgoing copies skipped), in order, and Stop
// ends the capture after what is queued.
func TestRingLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (AF_PACKET)")
	}
	r, err := OpenRing("lo", LiveConfig{Snaplen: 65535}, RingConfig{BlockSize: 1 << 16, Blocks: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	const total = 200 * 1000
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("ring"), 250)
		for i := 0; i < total/len(chunk); i++ {
			c.Write(chunk)
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		c.Close()
		time.Sleep(100 * time.Millisecond)
		r.Stop()
	}()
	got, frames, last := 0, 0, int64(0)
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
		if f.TS < last {
			t.Fatalf("frame %d goes back in time", f.Frame)
		}
		last = f.TS
		d := f.Data
		if len(d) < 14+20+20 || binary.BigEndian.Uint16(d[12:]) != 0x0800 {
			continue
		}
		ip := d[14:]
		ihl := int(ip[0]&15) * 4
		if ip[9] != 6 {
			continue
		}
		tcp := ip[ihl:]
		if binary.BigEndian.Uint16(tcp[2:]) != port {
			continue
		}
		payload := int(binary.BigEndian.Uint16(ip[2:])) - ihl - int(tcp[12]>>4)*4
		got += payload
	}
	recv, drop := r.Stats()
	if got != total {
		t.Errorf("payload to the listener seen %d bytes, want %d (%d frames; kernel %d received, %d dropped)", got, total, frames, recv, drop)
	}
	if drop != 0 {
		t.Logf("kernel dropped %d of %d", drop, recv)
	}
}

func TestRingConfigErrors(t *testing.T) {
	for _, c := range []RingConfig{{BlockSize: 1000, Blocks: 4}, {BlockSize: 1 << 16, Blocks: 1}} {
		if _, err := OpenRing("lo", LiveConfig{}, c); err == nil {
			t.Errorf("OpenRing(%+v): no error", c)
		}
	}
}

// TestRingKernelFilter attaches a program that accepts nothing: the kernel filters the
// ring's socket, and no frame of the loopback traffic reaches Next before Stop.
func TestRingKernelFilter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (AF_PACKET)")
	}
	none := func(LinkType) ([]SockFilter, error) { return []SockFilter{{Op: 0x06, K: 0}}, nil } // ret #0
	r, err := OpenRing("lo", LiveConfig{Filter: none}, RingConfig{BlockSize: 1 << 16, Blocks: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.KernelFilter() {
		t.Fatal("KernelFilter = false: the program was not attached")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Write([]byte("filtered out"))
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
		r.Stop()
	}()
	for {
		f, err := r.Next()
		if err != nil {
			break
		}
		t.Fatalf("frame %d passed a filter that accepts nothing", f.Frame)
	}
	if recv, _ := r.Stats(); recv != 0 {
		t.Errorf("kernel counted %d packets for a socket whose filter takes none", recv)
	}
}
