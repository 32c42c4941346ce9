package filter_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
)

// diffExprs exercises every primitive, qualifier and operator, IPv6, VLAN and fragments.
var diffExprs = []string{
	// protocols
	"ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp", "rarp", "sctp", "igmp",
	"not tcp", "! ip", "ip and not tcp", "tcp or udp", "tcp || icmp6", "ip6 && tcp",
	// hosts and nets, v4 and v6, with directions
	"host 10.77.0.1", "src host 10.77.0.1", "dst host 10.77.0.2", "ip host 10.77.0.2",
	"src or dst host 192.168.1.105", "src and dst host 127.0.0.1", "arp host 10.77.0.1",
	"host fd77::1", "dst host fd77::2", "ip6 src host 2001:db8:1::1", "host ::1",
	"net 10.77.0.0/24", "net 10.77.0.0 mask 255.255.255.0", "src net 192.168", "dst net 10",
	"net fd77::/16", "ip6 net 2001:db8::/32", "not net 10.0.0.0/8", "net 0.0.0.0/0",
	// ports and ranges
	"port 80", "tcp port 80", "udp port 53", "src port 80", "dst port 80", "tcp dst port http",
	"port 80 or 443", "tcp port 80 and not src port 80", "portrange 8000-8999",
	"tcp portrange 1-1024", "dst portrange 1024-65535", "udp src portrange 50000-60000",
	"port 0x50", "port domain", "sctp port 80",
	// proto numbers
	"ip proto 6", "ip proto \\udp", "ip6 proto 6", "proto 17", "ether proto 0x0800",
	"ether proto \\ip6", "ether proto \\arp", "ip6 proto 58",
	// link layer
	"ether host 00:10:db:88:d2:ef", "ether src c8:bc:c8:96:d2:a0", "ether dst 00:00:00:00:00:00",
	"ether broadcast", "ether multicast", "broadcast", "multicast", "ip multicast", "ip6 multicast",
	"ip broadcast",
	// vlan, also QinQ
	"vlan", "vlan 0", "vlan and tcp", "vlan 0 and host 192.150.187.43", "vlan and vlan",
	"not vlan and tcp port 80", "vlan 100 or vlan 0", "vlan and tcp port 80",
	// lengths
	"len > 100", "len <= 60", "less 64", "greater 1000", "len = 54", "len - 14 > 1400",
	// loads and arithmetic
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0",
	"tcp[13] = 0x18", "tcp[tcpflags] & tcp-rst != 0", "tcp[2:2] = 80", "tcp[0:4] & 0xffff = 80",
	"ip[2:2] > 1000", "ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0", "ip[0] & 0xf > 5", "ip[8] < 64",
	"ip[9] = 6 and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) > 0",
	"(tcp[12] >> 4) * 4 > 20", "tcp[(tcp[12] >> 4) * 4] = 0x47", "ip6[6] = 6", "ip6[40+13] & 2 != 0",
	"ip6[4:2] > 100", "udp[8:2] = 0", "icmp[icmptype] = icmp-echo", "icmp6[icmp6type] = icmp6-neighborsolicit",
	"ether[12:2] = 0x800", "link[0] & 1 = 1", "ether[0:4] % 7 = 3", "tcp[4:4] / 1000 > 100",
	"tcp[14:2] ^ 0xffff < 100", "tcp[13] | 1 = 0x13", "len * 2 >= 200", "-ip[8] > 0", "5 = 5", "1 > 2",
	"arp[7] = 1",
	// precedence and grouping: "and" and "or" are equal and associate left
	"tcp or udp and port 53", "(tcp or udp) and port 53", "tcp and (port 80 or port 443)",
	"not (tcp port 80) and ip", "not tcp port 80 or ip6", "!(host 10.77.0.1 || host 10.77.0.2)",
	"tcp and port 80 and host 10.77.0.1", "(tcp[13] & 2) != 0",
}

// tcpdumpMatches returns the frames of path that tcpdump keeps for expr: tcpdump -#
// numbers only the packets it prints, so the test has it write them (-w) and maps each
// back to its frame in the file (they are a subsequence of it).
func tcpdumpMatches(t *testing.T, path, expr string, frames []capture.Frame) ([]uint64, string, error) {
	out := filepath.Join(t.TempDir(), "out.pcap")
	cmd := exec.Command("tcpdump", "-r", path, "-n", "-w", out, "--", expr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), err
	}
	src, err := capture.Open(out)
	if err != nil {
		if errors.Is(err, capture.ErrEmpty) {
			return nil, "", nil
		}
		return nil, "", err
	}
	defer src.Close()
	var got []uint64
	i := 0
	for {
		f, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return got, "", err
		}
		for i < len(frames) && !(frames[i].TS/1000 == f.TS/1000 && frames[i].OrigLen == f.OrigLen && bytes.Equal(frames[i].Data, f.Data)) {
			i++
		}
		if i == len(frames) {
			return got, "", fmt.Errorf("tcpdump wrote a frame not in the file")
		}
		got = append(got, frames[i].Frame)
		i++
	}
	return got, "", nil
}

func testCaptures(t *testing.T) []string {
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	shared, _ := filepath.Glob("../../shared/pcaps/*/*.pcap*")
	if len(shared) == 0 {
		t.Log("../shared/pcaps: not present; only testdata/pcaps")
	}
	return append(files, shared...)
}

func readAll(t *testing.T, path string) ([]capture.Frame, error) {
	src, err := capture.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var frames []capture.Frame
	for {
		f, err := src.Next()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err // a truncated file: the frames before the error count
		}
		f.Data = slices.Clone(f.Data)
		frames = append(frames, f)
	}
}

// libpcapRefuses are tcpdump's messages for expressions that mean nothing on a link
// type; segscope refuses the same ones (with its own wording).
var libpcapRefuses = []string{"no VLAN support", "supported only on", "not supported on", "not implemented", "not a broadcast link"}

// TestTcpdumpDifferential compares, on every test capture, the frames segscope's
// compiled filter keeps with those tcpdump keeps.
//
// Where segscope compiles differently from libpcap on purpose:
//   - BSD NULL/loopback: libpcap compares the address family in the byte order of the
//     file it reads; segscope's program has no file, so it accepts both orders (no real
//     family value is the byte swap of another).
//   - libpcap's "expression rejects all packets" is an error; segscope compiles such an
//     expression, which must then keep nothing (checked below).
//   - libpcap's optimiser reports "division by zero" for divisors it cannot know, and
//     x/net/bpf has no neg instruction (FuzzExprVsTcpdump says so where it meets them).
//   - The pipeline, not the filter, keeps the later fragments of a datagram whose first
//     fragment matched (internal/pipeline); the filter itself matches as libpcap does.
func TestTcpdumpDifferential(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump: not installed")
	}
	if len(diffExprs) < 60 {
		t.Fatalf("only %d expressions", len(diffExprs))
	}
	files := testCaptures(t)
	if testing.Short() {
		files = files[:min(len(files), 4)]
	}
	compared := 0
	for _, path := range files {
		frames, err := readAll(t, path)
		if len(frames) == 0 {
			t.Logf("%s: no frames (%v)", path, err)
			continue
		}
		links := map[capture.LinkType]bool{}
		for _, f := range frames {
			links[f.LinkType] = true
		}
		if len(links) > 1 {
			t.Logf("%s: several link types; tcpdump cannot read it", path)
			continue
		}
		name := strings.TrimPrefix(path, "../")
		t.Run(name, func(t *testing.T) {
			link := filter.LinkType(frames[0].LinkType)
			for _, expr := range diffExprs {
				prog, cerr := filter.Compile(expr, link, 0)
				want, stderr, terr := tcpdumpMatches(t, path, expr, frames)
				if terr != nil {
					refused := false
					for _, r := range libpcapRefuses {
						refused = refused || strings.Contains(stderr, r)
					}
					switch {
					case strings.Contains(stderr, "rejects all packets"):
						// libpcap's optimiser refuses a program that can never match;
						// segscope compiles it, and it must keep nothing
						want = nil
					case refused:
						if cerr == nil {
							t.Errorf("%q: tcpdump refuses it (%s), segscope compiles it", expr, strings.TrimSpace(stderr))
						}
						continue
					default:
						t.Fatalf("%q: tcpdump: %v: %s", expr, terr, stderr)
					}
				}
				if cerr != nil {
					t.Errorf("%q: segscope: %v; tcpdump compiles it", expr, cerr)
					continue
				}
				var got []uint64
				for _, f := range frames {
					if prog.Match(f.Data, f.OrigLen) {
						got = append(got, f.Frame)
					}
				}
				compared++
				if !slices.Equal(got, want) {
					t.Errorf("%q on %s: segscope keeps frames %v, tcpdump %v\n%s", expr, link, brief(got), brief(want), prog)
				}
			}
		})
	}
	t.Logf("%d expression × capture pairs compared", compared)
}

func brief(v []uint64) string {
	if len(v) > 30 {
		return fmt.Sprintf("%v… (%d)", v[:30], len(v))
	}
	return fmt.Sprint(v)
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
