//go:build linux && !386

package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const vethPackets = 20

// TestLiveVeth captures inside a network namespace on one end of a veth pair while UDP
// datagrams are sent to it from the other end; each must be seen exactly once.
func TestLiveVeth(t *testing.T) {
	if spec := os.Getenv("CAPTURE_TEST_VETH_CHILD"); spec != "" {
		vethChild(spec)
		return
	}
	needRoot(t)
	ipBin, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip command")
	}
	id := os.Getpid() % 250
	ns := fmt.Sprintf("capture-test-%d", os.Getpid())
	hostIf, nsIf := fmt.Sprintf("capa%d", os.Getpid()), fmt.Sprintf("capb%d", os.Getpid())
	hostIP, nsIP := fmt.Sprintf("10.213.%d.1", id), fmt.Sprintf("10.213.%d.2", id)
	run := func(args ...string) error {
		out, err := exec.Command(ipBin, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("netns", "add", ns); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { run("netns", "del", ns); run("link", "del", hostIf) })
	for _, args := range [][]string{
		{"link", "add", hostIf, "type", "veth", "peer", "name", nsIf},
		{"link", "set", nsIf, "netns", ns},
		{"addr", "add", hostIP + "/24", "dev", hostIf},
		{"link", "set", hostIf, "up"},
		{"netns", "exec", ns, "ip", "addr", "add", nsIP + "/24", "dev", nsIf},
		{"netns", "exec", ns, "ip", "link", "set", nsIf, "up"},
	} {
		if err := run(args...); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	child := exec.Command(ipBin, "netns", "exec", ns, exe, "-test.run=^TestLiveVeth$")
	child.Env = append(os.Environ(), "CAPTURE_TEST_VETH_CHILD="+nsIf)
	stdout, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("child: %q", lines.Text())
	}
	// unconnected, so that ICMP port-unreachable replies do not fail the next write
	conn, err := net.ListenPacket("udp4", hostIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dst := &net.UDPAddr{IP: net.ParseIP(nsIP), Port: 9999}
	send := func(msg string) {
		if _, err := conn.WriteTo([]byte(msg), dst); err != nil {
			t.Errorf("send: %v", err)
		}
	}
	// wait for carrier, and let ARP resolve with a warm-up datagram
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile("/sys/class/net/" + hostIf + "/operstate"); strings.TrimSpace(string(b)) == "up" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	send("warm-up")
	time.Sleep(200 * time.Millisecond)
	for i := range vethPackets {
		send(fmt.Sprintf("segscope-veth-%d", i))
		time.Sleep(2 * time.Millisecond)
	}
	var result string
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "RESULT ") {
			result = lines.Text()
		}
	}
	child.Wait()
	if want := fmt.Sprintf("RESULT link 1, %d datagrams, each once", vethPackets); result != want {
		t.Errorf("child: %q, want %q", result, want)
	}
}

// vethChild runs inside the namespace: capture on the interface until every datagram
// has arrived (or 10 s passed) and report.
func vethChild(iface string) {
	live, err := OpenLive(iface, LiveConfig{Promisc: true})
	if err != nil {
		fmt.Println("RESULT", err)
		return
	}
	defer live.Close()
	fmt.Println("ready")
	seen := map[int]int{}
	go func() { time.Sleep(10 * time.Second); live.Stop() }()
	for len(seen) < vethPackets {
		f, err := live.Next()
		if err != nil {
			break
		}
		d := f.Data
		if len(d) < 14+20+8 || binary.BigEndian.Uint16(d[12:]) != 0x0800 || d[14+9] != 17 {
			continue
		}
		udp := d[14+int(d[14]&0xf)*4:]
		if binary.BigEndian.Uint16(udp[2:]) != 9999 {
			continue
		}
		p := udp[8:]
		if n, ok := bytes.CutPrefix(p, []byte("segscope-veth-")); ok {
			i, _ := strconv.Atoi(string(n))
			seen[i]++
		}
	}
	for _, n := range seen {
		if n != 1 {
			fmt.Println("RESULT duplicate", seen)
			return
		}
	}
	fmt.Printf("RESULT link %d, %d datagrams, each once\n", live.LinkType(), len(seen))
}
