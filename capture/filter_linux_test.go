//go:build linux && !386

package capture

import (
	"encoding/binary"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/segscope/segscope/filter"
)

func sockFilter(t *testing.T, expr string) func(LinkType) ([]SockFilter, error) {
	return func(link LinkType) ([]SockFilter, error) {
		p, err := filter.Compile(expr, filter.LinkType(link), 0)
		if err != nil {
			return nil, err
		}
		var out []SockFilter
		for _, r := range p.Raw() {
			out = append(out, SockFilter{Op: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K})
		}
		return out, nil
	}
}

func TestCookedProgram(t *testing.T) {
	ip := []SockFilter{{Op: 0x28, K: 14}, {Op: 0x15, Jt: 0, Jf: 1, K: 0x800}, {Op: 0x30, K: 16 + 9}, {Op: 0xb1, K: 16}, {Op: 0x48, K: 16 + 2}, {Op: 0x28, K: 0}, {Op: 0x06, K: 1}}
	got := cookedProgram(ip)
	want := []SockFilter{{Op: 0x28, K: skfAdOff + skfAdProtocol}, {Op: 0x15, Jt: 0, Jf: 1, K: 0x800}, {Op: 0x30, K: 9}, {Op: 0xb1, K: 0}, {Op: 0x48, K: 2}, {Op: 0x28, K: skfAdOff + skfAdPkttype}, {Op: 0x06, K: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("cookedProgram = %v, want %v", got, want)
	}
	if ip[0].K != 14 {
		t.Error("cookedProgram modified its input")
	}
	// the source address in the cooked header cannot be moved: userland filters
	if p := cookedProgram([]SockFilter{{Op: 0x20, K: 6}, {Op: 0x06}}); p != nil {
		t.Errorf("cookedProgram(ld [6]) = %v, want nil", p)
	}
}

// TestLiveKernelFilter sends UDP datagrams to two ports on loopback; with "udp dst port
// A" attached to the socket, only A's arrive and the kernel counts only those — on lo
// (Ethernet framing) and on "any" (a cooked socket, where the program is moved).
func TestLiveKernelFilter(t *testing.T) {
	needRoot(t)
	for _, iface := range []string{"lo", "any"} {
		t.Run(iface, func(t *testing.T) {
			a, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			pa, pb := a.LocalAddr().(*net.UDPAddr).Port, b.LocalAddr().(*net.UDPAddr).Port
			expr := "udp dst port " + strconv.Itoa(pa)
			l, err := OpenLive(iface, LiveConfig{Filter: sockFilter(t, expr)})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if !l.KernelFilter() {
				t.Fatalf("%s: the filter was not attached", iface)
			}
			c, err := net.DialUDP("udp4", nil, a.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const n = 40
			for i := 0; i < n; i++ {
				c.Write([]byte("to A"))
				c.WriteTo([]byte("to B"), b.LocalAddr())
			}
			got := 0
			deadline := time.AfterFunc(3*time.Second, l.Stop)
			defer deadline.Stop()
			prog, _ := filter.Compile(expr, filter.LinkType(l.LinkType()), 0)
			for got < n {
				f, err := l.Next()
				if err != nil {
					break
				}
				if !prog.Match(f.Data, f.OrigLen) {
					t.Fatalf("frame %d does not match %q: the kernel let it through", f.Frame, expr)
				}
				if dport(f) != pa {
					t.Fatalf("frame %d to port %d", f.Frame, dport(f))
				}
				got++
			}
			recv, _ := l.Stats()
			if got != n {
				t.Errorf("%d datagrams to port %d captured, want %d", got, pa, n)
			}
			// the kernel counts what passed the filter: A's datagrams (on lo also their
			// outgoing copies), never B's
			if recv < uint64(n) || recv > 2*n+5 {
				t.Errorf("kernel received %d packets, want %d to %d (only port %d's; %d went to port %d)", recv, n, 2*n, pa, n, pb)
			}
		})
	}
}

// dport returns the UDP destination port of an IPv4 frame (Ethernet or cooked).
func dport(f Frame) int {
	off := 14
	if f.LinkType == LinkTypeLinuxSLL {
		off = 16
	}
	ihl := int(f.Data[off]&0xf) * 4
	return int(binary.BigEndian.Uint16(f.Data[off+ihl+2:]))
}
