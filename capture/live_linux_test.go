//go:build linux && !386

package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
}

func TestOpenLiveMissingInterface(t *testing.T) {
	_, err := OpenLive("nosuchif0", LiveConfig{})
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), "nosuchif0") {
		t.Fatalf("OpenLive(nosuchif0) error = %v", err)
	}
}

// TestOpenLivePermission runs OpenLive as user nobody in a child process.
func TestOpenLivePermission(t *testing.T) {
	if os.Getenv("CAPTURE_TEST_PERM_CHILD") == "1" {
		_, err := OpenLive("lo", LiveConfig{})
		fmt.Printf("RESULT %v|%s\n", errors.Is(err, ErrLivePermission), err)
		return
	}
	needRoot(t)
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	// the build directory is private to root: copy the test binary where nobody can run it
	dir, err := os.MkdirTemp("", "capture-perm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Skip(err)
	}
	exe = filepath.Join(dir, "capture.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestOpenLivePermission$")
	cmd.Env = append(os.Environ(), "CAPTURE_TEST_PERM_CHILD=1")
	cmd.SysProcAttr = childAsNobody()
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "RESULT") {
		t.Skipf("cannot run the test binary as nobody: %v %s", err, out)
	}
	if !strings.Contains(string(out), "RESULT true|lo: permission denied opening a packet socket") {
		t.Errorf("OpenLive as nobody: %s", out)
	}
}

// tcpSeg is what the test needs of a TCP/IPv4 segment on Ethernet.
type tcpSeg struct {
	src, dst uint16
	seq, ack uint32
	flags    uint8
	win      uint16
	payload  int
}

func parseTCP(d []byte) (tcpSeg, bool) {
	if len(d) < 14+20+20 || binary.BigEndian.Uint16(d[12:]) != 0x0800 {
		return tcpSeg{}, false
	}
	ip := d[14:]
	ihl := int(ip[0]&0xf) * 4
	if ip[9] != 6 || len(ip) < ihl+20 {
		return tcpSeg{}, false
	}
	tot := int(binary.BigEndian.Uint16(ip[2:]))
	tcp := ip[ihl:]
	off := int(tcp[12]>>4) * 4
	return tcpSeg{
		src: binary.BigEndian.Uint16(tcp[0:]), dst: binary.BigEndian.Uint16(tcp[2:]),
		seq: binary.BigEndian.Uint32(tcp[4:]), ack: binary.BigEndian.Uint32(tcp[8:]),
		flags: tcp[13], win: binary.BigEndian.Uint16(tcp[14:]), payload: tot - ihl - off,
	}, true
}

// TestLiveLoopback captures an HTTP exchange on lo and checks that every segment is seen
// exactly once (as tcpdump shows it), compares with tcpdump when installed, and writes
// the frames with the pcapng writer and reads them back.
func TestLiveLoopback(t *testing.T) {
	needRoot(t)
	body := bytes.Repeat([]byte("segscope "), 20000) // 180 kB: many segments
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	port := uint16(ln.Addr().(*net.TCPAddr).Port)

	// tcpdump as the reference, when installed
	var tcpdumpFile string
	var tcpdump *exec.Cmd
	tcpdumpMsg := make(chan string, 1)
	if bin, err := exec.LookPath("tcpdump"); err == nil {
		tcpdumpFile = filepath.Join(t.TempDir(), "ref.pcap")
		tcpdump = exec.Command(bin, "-i", "lo", "-n", "-U", "--immediate-mode", "-B", "32768", "-w", tcpdumpFile, "tcp port "+strconv.Itoa(int(port)))
		stderr, _ := tcpdump.StderrPipe()
		if err := tcpdump.Start(); err != nil {
			t.Fatal(err)
		}
		var msg []byte
		buf := make([]byte, 512)
		for !bytes.Contains(msg, []byte("listening on")) {
			n, err := stderr.Read(buf)
			msg = append(msg, buf[:n]...)
			if err != nil {
				t.Fatalf("tcpdump: %s", msg)
			}
		}
		go func() {
			rest, _ := io.ReadAll(stderr)
			tcpdumpMsg <- string(msg) + string(rest)
		}()
	}

	live, err := OpenLive("lo", LiveConfig{Promisc: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if live.LinkType() != 1 {
		t.Errorf("LinkType() = %d, want 1", live.LinkType())
	}
	var frames []Frame
	done := make(chan error)
	go func() {
		for {
			f, err := live.Next()
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
			if s, ok := parseTCP(f.Data); ok && (s.src == port || s.dst == port) {
				f.Data = bytes.Clone(f.Data)
				frames = append(frames, f)
			}
		}
	}()
	start := time.Now()
	srv.Start()
	for range 3 {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(got) != len(body) {
			t.Fatalf("body %d bytes", len(got))
		}
	}
	http.DefaultClient.CloseIdleConnections()
	srv.Close()
	time.Sleep(200 * time.Millisecond)
	end := time.Now()
	live.Stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recv, drop := live.Stats()
	t.Logf("%d frames of the test connection; kernel: %d received, %d dropped", len(frames), recv, drop)

	// every segment once; the SYN once
	seen := map[tcpSeg]int{}
	syns := 0
	for i, f := range frames {
		s, _ := parseTCP(f.Data)
		seen[s]++
		if seen[s] > 1 && drop == 0 {
			t.Errorf("frame %d: segment %+v seen twice", f.Frame, s)
		}
		if s.flags&0x12 == 0x02 && s.dst == port {
			syns++
		}
		if f.TS < start.UnixNano()-1e9 || f.TS > end.UnixNano() {
			t.Errorf("frame %d: timestamp %v outside the test", f.Frame, time.Unix(0, f.TS))
		}
		if i > 0 && f.Frame <= frames[i-1].Frame {
			t.Errorf("frame numbers not increasing: %d after %d", f.Frame, frames[i-1].Frame)
		}
		if f.CapLen != len(f.Data) || f.OrigLen != f.CapLen || f.LinkType != 1 {
			t.Errorf("frame %d: %+v", f.Frame, f.Info)
		}
	}
	if syns != 1 {
		// http.Get may open one connection for all three requests
		t.Logf("%d SYNs to the server", syns)
	}
	if syns < 1 {
		t.Errorf("no SYN seen")
	}
	if len(frames) < 20 {
		t.Errorf("only %d frames", len(frames))
	}

	if tcpdump != nil {
		time.Sleep(100 * time.Millisecond)
		tcpdump.Process.Signal(os.Interrupt)
		msg := <-tcpdumpMsg
		tcpdump.Wait()
		src, err := Open(tcpdumpFile)
		if err != nil {
			t.Fatalf("reading tcpdump's file: %v", err)
		}
		ref, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		// tcpdump's ring drops the 64 kB segments of lo now and then: then its frames must be
		// a subsequence of ours; otherwise equal.
		tdDrops := !strings.Contains(msg, " 0 packets dropped by kernel")
		if len(ref) != len(frames) && !tdDrops {
			t.Errorf("captured %d frames, tcpdump %d", len(frames), len(ref))
		}
		j := 0
		for _, f := range frames {
			if j < len(ref) && bytes.Equal(ref[j].Data, f.Data) {
				j++
			}
		}
		if j != len(ref) {
			t.Errorf("tcpdump's frame %d is not among ours", j+1)
		}
		t.Logf("tcpdump: %d frames; %s", len(ref), strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; "))
	}

	// write and read back
	p := filepath.Join(t.TempDir(), "live.pcapng")
	fh, _ := os.Create(p)
	w, err := NewPcapngWriter(fh, live.LinkType(), live.Snaplen())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WritePacket(f.Info, f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	src, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(frames) {
		t.Fatalf("read back %d frames, wrote %d", len(back), len(frames))
	}
	for i := range back {
		if back[i].TS != frames[i].TS || !bytes.Equal(back[i].Data, frames[i].Data) || back[i].OrigLen != frames[i].OrigLen {
			t.Fatalf("frame %d read back differs", i+1)
		}
	}
}

// TestLiveCloseUnblocks checks that Close ends a Next blocked on an idle interface.
func TestLiveCloseUnblocks(t *testing.T) {
	needRoot(t)
	live, err := OpenLive("lo", LiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var last error
	go func() {
		defer wg.Done()
		for {
			if _, err := live.Next(); err != nil {
				last = err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	live.Close()
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(3 * time.Second):
		t.Fatal("Next still blocked 3s after Close")
	}
	if last != io.EOF {
		t.Errorf("Next after Close = %v, want io.EOF", last)
	}
	if _, err := live.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
}

// TestLiveZeroAllocs: Next does not allocate.
func TestLiveZeroAllocs(t *testing.T) {
	needRoot(t)
	live, err := OpenLive("lo", LiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	msg := make([]byte, 100)
	for range 600 {
		c.WriteTo(msg, dst)
	}
	live.Next()
	allocs := testing.AllocsPerRun(300, func() {
		if _, err := live.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Live.Next: %v allocs per frame, want 0", allocs)
	}
}

// TestLiveAny captures on the "any" pseudo-device: Linux cooked headers, each loopback
// datagram once.
func TestLiveAny(t *testing.T) {
	needRoot(t)
	live, err := OpenLive("any", LiveConfig{Snaplen: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if live.LinkType() != LinkTypeLinuxSLL {
		t.Fatalf("LinkType() = %d, want %d", live.LinkType(), LinkTypeLinuxSLL)
	}
	c, err := net.ListenPacket("udp4", "127.0.0.1:0") // unconnected: ICMP errors do not fail writes
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	big := bytes.Repeat([]byte{'x'}, 1000)
	for i := range 5 {
		if _, err := c.WriteTo(append([]byte(fmt.Sprintf("segscope-any-%d-", i)), big...), dst); err != nil {
			t.Fatal(err)
		}
	}
	go func() { time.Sleep(300 * time.Millisecond); live.Stop() }()
	seen := map[string]int{}
	for {
		f, err := live.Next()
		if err != nil {
			break
		}
		d := f.Data
		if len(d) < 16+20+8 || binary.BigEndian.Uint16(d[14:]) != 0x0800 || d[16+9] != 17 {
			continue
		}
		p := d[16+int(d[16]&0xf)*4+8:]
		if bytes.HasPrefix(p, []byte("segscope-any-")) {
			seen[string(p[:15])]++
			if f.CapLen != 200 || f.OrigLen != 16+20+8+len("segscope-any-0-")+1000 {
				t.Errorf("frame %d: caplen %d origlen %d", f.Frame, f.CapLen, f.OrigLen)
			}
		}
	}
	if len(seen) != 5 {
		t.Errorf("saw %d datagrams, want 5: %v", len(seen), seen)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", k, n)
		}
	}
}

// TestLiveStopDrains: frames queued in the kernel before Stop are still returned, then
// io.EOF — a Ctrl-C loses nothing.
func TestLiveStopDrains(t *testing.T) {
	needRoot(t)
	live, err := OpenLive("lo", LiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	const n = 200
	for i := range n {
		c.WriteTo([]byte(fmt.Sprintf("segscope-stop-%d", i)), dst)
	}
	time.Sleep(50 * time.Millisecond)
	live.Stop()
	got := 0
	for {
		f, err := live.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		// UDP only: the ICMP port-unreachable replies quote the datagram
		if len(f.Data) > 14+20 && f.Data[14+9] == 17 && bytes.Contains(f.Data, []byte("segscope-stop-")) {
			got++
		}
	}
	if got != n {
		t.Errorf("after Stop read %d of %d queued datagrams", got, n)
	}
}
