package filter_test

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/segscope/segscope/filter"
)

func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct {
		expr string
		col  int
		msg  string
	}{
		{"tcp port", 9, "expected a port number"},
		{"tcp port and host 1.2.3.4", 10, "expected a port number"},
		{"host", 5, "expected a host address"},
		{"port 99999", 6, "illegal port number 99999 > 65535"},
		{"tcp[13] & 2 !=", 15, "expected a number"},
		{"(tcp", 5, "expected ')'"},
		{"tcp)", 4, "unbalanced ')'"},
		{"ip proto tcp", 10, "expected a protocol"},
		{"net 10.0.0.1/8", 5, "non-network bits set"},
		{"dst net 10.0.0.0/33", 18, "mask length must be <= 32"},
		{"host foo.example", 6, "'foo.example' is not an address"},
		{"tcp[13:3] = 1", 8, "data size must be 1, 2, or 4"},
		{"vlan 5000", 6, "VLAN tag 5000 greater than maximum 4095"},
		{"gateway 1.2.3.4", 1, "'gateway' is not supported"},
		{"tcp port 80 &", 13, "unexpected '&'"},
		{"port 080", 6, "non-octal digit"},
		{"ip6 host 1.2.3.4", 10, "'ip6' modifier applied to ip host"},
		{"udp port http", 10, "not a udp service"},
		{"1.2.3.4 5.6.7.8", 9, "unexpected '5.6.7.8'"},
		{"tcp or 10.0.0.1", 8, "expected a primitive"},
		{"ip[1] / 0 = 1", 7, "division by zero"},
		{"ip6 portrange 1-2", 15, "illegal qualifier of 'portrange'"},
		{"host 10.0.0.0/8", 14, "Mask syntax for networks only"},
		{"tcp and", 8, "expected a primitive after 'and'"},
		{"not", 4, "expected a primitive after 'not'"},
		{"ether", 6, "expected 'host'"},
		{"tcp port 80 $", 13, "unexpected character"},
		{"ip[2:2] >", 10, "expected a number"},
		{"ip[2", 5, "expected ']'"},
		{"net 10.0.0.0 mask 255.0.255.0", 19, "non-contiguous netmask"},
		{"portrange 1-x", 11, "unknown port in range"},
	} {
		t.Run(c.expr, func(t *testing.T) {
			_, err := filter.Compile(c.expr, filter.LinkEthernet, 0)
			var se *filter.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) = %v, want a SyntaxError", c.expr, err)
			}
			if se.Col != c.col || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("Compile(%q) = column %d %q, want column %d %q", c.expr, se.Col, se.Msg, c.col, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "filter: column "+strconv.Itoa(c.col)+": ") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestLinkErrors(t *testing.T) {
	for _, c := range []struct {
		expr string
		link filter.LinkType
		msg  string
	}{
		{"vlan", filter.LinkLinuxSLL, "no VLAN support"},
		{"ether host 1:2:3:4:5:6", filter.LinkLinuxSLL2, "ethernet addresses supported only on ethernet"},
		{"tcp", filter.LinkNFLOG, "NFLOG link-layer type filtering not implemented"},
		{"broadcast", filter.LinkRaw, "need an Ethernet header"},
	} {
		if _, err := filter.Compile(c.expr, c.link, 0); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Compile(%q, %s) = %v, want %q", c.expr, c.link, err, c.msg)
		}
	}
	var le *filter.LinkError
	if _, err := filter.Compile("tcp", 147, 0); !errors.As(err, &le) {
		t.Errorf("Compile on link type 147 = %v, want a LinkError", err)
	}
	// link-independent tests work on NFLOG, as with tcpdump
	if _, err := filter.Compile("len > 100 and link[0] = 2", filter.LinkNFLOG, 0); err != nil {
		t.Errorf("len on NFLOG: %v", err)
	}
}

// TestFastMatchesReference runs every expression of the differential table on every
// test capture in both the fast interpreter and golang.org/x/net/bpf's VM.
func TestFastMatchesReference(t *testing.T) {
	runs := 0
	for _, path := range testCaptures(t) {
		frames, _ := readAll(t, path)
		if len(frames) == 0 {
			continue
		}
		link := filter.LinkType(frames[0].LinkType)
		for _, expr := range diffExprs {
			p, err := filter.Compile(expr, link, 0)
			if err != nil {
				continue
			}
			vm, err := bpf.NewVM(p.Instructions())
			if err != nil {
				t.Fatalf("%q: x/net/bpf refuses the program: %v\n%s", expr, err, p)
			}
			usesLen := strings.Contains(p.String(), "#pktlen")
			for _, f := range frames {
				if filter.LinkType(f.LinkType) != link || usesLen && f.CapLen != f.OrigLen {
					continue // x/net/bpf's len is the captured length
				}
				want, _ := vm.Run(f.Data)
				if got := p.Run(f.Data, f.OrigLen); got != uint32(want) {
					t.Fatalf("%q on %s frame %d: fast %d, x/net/bpf %d\n%s", expr, path, f.Frame, got, want, p)
				}
				runs++
			}
		}
	}
	t.Logf("%d runs compared", runs)
}

func TestMatchDoesNotAllocate(t *testing.T) {
	frames, err := readAll(t, "../testdata/pcaps/keepalive.pcap")
	if err != nil || len(frames) == 0 {
		t.Fatal(err)
	}
	f, err := filter.Parse("tcp port 80 and host 10.77.0.1 or vlan and udp")
	if err != nil {
		t.Fatal(err)
	}
	fr := frames[3]
	f.Match(filter.LinkEthernet, fr.Data, fr.OrigLen)
	if n := testing.AllocsPerRun(1000, func() { f.Match(filter.LinkEthernet, fr.Data, fr.OrigLen) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

// TestImageMatchesTcpdump formats tcpdump's own programs (-ddd) with segscope's printer
// and compares with tcpdump -d: segscope's -d output reads exactly like tcpdump's.
func TestImageMatchesTcpdump(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump: not installed")
	}
	for _, expr := range []string{"tcp port 80 and host 10.0.0.1", "tcp[2:2] * 2 - 1 > ip[2:2] / 3", "len > 100",
		"tcp[ip[0]] = 1", "ip6 net fe80::/10", "vlan 100 and ip", "ether[0] ^ 1 | 2 = 0", "ip[0] << 1 >> 2 % 3 = 0",
		"ip[0] + 1 = 2 and ip[1] - len = 0"} {
		raw, err := tcpdumpRaw("../testdata/pcaps/get-simple.pcap", expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		d, err := exec.Command("tcpdump", "-r", "../testdata/pcaps/get-simple.pcap", "-d", "--", expr).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := filter.Image(raw); got != string(d) {
			t.Errorf("%q:\nsegscope prints\n%s\ntcpdump -d\n%s", expr, got, d)
		}
	}
}

// tcpdumpRaw compiles expr with tcpdump -ddd for the link type of a capture.
func tcpdumpRaw(capture, expr string) ([]bpf.RawInstruction, error) {
	out, err := exec.Command("tcpdump", "-r", capture, "-ddd", "--", expr).Output()
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var raw []bpf.RawInstruction
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, errors.New("bad -ddd line " + l)
		}
		var v [4]uint64
		for i := range f {
			v[i], _ = strconv.ParseUint(f[i], 10, 32)
		}
		raw = append(raw, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	return raw, nil
}

// TestLongExpression compiles 300 hosts (a program of thousands of instructions, with
// unconditional jumps where a conditional one cannot reach) and checks it on every
// frame of a capture against the reference VM and against a direct reading of the rule.
func TestLongExpression(t *testing.T) {
	var parts []string
	for i := 0; i < 300; i++ {
		parts = append(parts, fmt.Sprintf("host 10.77.%d.%d", i/250, i%250))
	}
	p, err := filter.Compile(strings.Join(parts, " or ")+" and tcp port 80", filter.LinkEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.String(), " ja ") {
		t.Errorf("%d instructions and no ja", len(p.Raw()))
	}
	vm, err := bpf.NewVM(p.Instructions())
	if err != nil {
		t.Fatal(err)
	}
	frames, _ := readAll(t, "../testdata/pcaps/parallel.pcap")
	kept := 0
	for _, f := range frames {
		want, _ := vm.Run(f.Data)
		if got := p.Run(f.Data, f.OrigLen); got != uint32(want) {
			t.Fatalf("frame %d: fast %d, x/net/bpf %d", f.Frame, got, want)
		}
		if want != 0 {
			kept++
		}
	}
	// every frame is 10.77.0.1 <-> 10.77.0.2 port 80: all match
	if kept != len(frames) {
		t.Errorf("kept %d of %d frames", kept, len(frames))
	}
}

// ipv4TCP builds an IPv4 TCP header pair from fields (20-byte IP header, 20-byte TCP).
func ipv4TCP(src, dst [4]byte, sport, dport uint16) []byte {
	b := make([]byte, 40)
	b[0], b[9] = 0x45, 6
	b[2], b[3] = 0, 40
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	b[20], b[21], b[22], b[23] = byte(sport>>8), byte(sport), byte(dport>>8), byte(dport)
	b[32] = 0x50
	return b
}

// TestLinkTypes runs one expression on the same IPv4 packet behind every link-layer
// header segscope reads.
func TestLinkTypes(t *testing.T) {
	ip := ipv4TCP([4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, 40000, 80)
	eth := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00}, ip...)
	vlan := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00}, ip...)
	sll := append([]byte{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00}, ip...)
	sll2 := append([]byte{0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0}, ip...)
	nullLE := append([]byte{2, 0, 0, 0}, ip...)
	nullBE := append([]byte{0, 0, 0, 2}, ip...)
	for _, c := range []struct {
		link filter.LinkType
		data []byte
		expr string
		want bool
	}{
		{filter.LinkEthernet, eth, "tcp port 80 and host 10.0.0.1", true},
		{filter.LinkEthernet, vlan, "tcp port 80", false}, // libpcap: 'vlan' is needed to look inside the tag
		{filter.LinkEthernet, vlan, "vlan 7 and tcp port 80 and host 10.0.0.2", true},
		{filter.LinkEthernet, vlan, "vlan 8 and tcp", false},
		{filter.LinkLinuxSLL, sll, "tcp dst port 80 and src host 10.0.0.1", true},
		{filter.LinkLinuxSLL2, sll2, "tcp dst port 80 and src host 10.0.0.1", true},
		{filter.LinkNull, nullLE, "ip and tcp port 80", true},
		{filter.LinkNull, nullBE, "ip and tcp port 80", true},
		{filter.LinkNull, nullLE, "ip6", false},
		{filter.LinkLoop, nullBE, "tcp port 80", true},
		{filter.LinkRaw, ip, "tcp[tcpflags] = 0 and port 80", true},
		{filter.LinkIPv4, ip, "ip and dst port 80", true},
		{filter.LinkIPv4, ip, "ip6", false},
		{filter.LinkIPv6, ip, "ip", false},
	} {
		p, err := filter.Compile(c.expr, c.link, 0)
		if err != nil {
			t.Fatalf("%q on %s: %v", c.expr, c.link, err)
		}
		if got := p.Match(c.data, len(c.data)); got != c.want {
			t.Errorf("%q on %s = %v, want %v\n%s", c.expr, c.link, got, c.want, p)
		}
	}
}
