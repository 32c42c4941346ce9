package flow

import (
	"net/netip"
	"testing"
)

// The vectors are the TCP rows of the Community ID specification's baseline data
// (github.com/corelight/community-id-spec, baseline/README.md tables and
// baseline_deflt.json / baseline_seed1.json, made by its reference implementation,
// pycommunityid). Each is checked in both directions.
var communityIDVectors = []struct {
	name     string
	src, dst string
	seed     uint16
	want     string
}{
	{"ipv4 table", "1.2.3.4:1122", "5.6.7.8:3344", 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
	{"ipv4 table seed 1", "1.2.3.4:1122", "5.6.7.8:3344", 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
	{"ipv4 pcap", "128.232.110.120:34855", "66.35.250.204:80", 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	{"ipv4 pcap seed 1", "128.232.110.120:34855", "66.35.250.204:80", 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
	{"ipv6 pcap", "[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943", "[2607:f8b0:400c:c03::1a]:25", 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	{"ipv6 pcap seed 1", "[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943", "[2607:f8b0:400c:c03::1a]:25", 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
	// An IPv4-mapped address is hashed as the IPv4 address it maps.
	{"ipv4-mapped", "[::ffff:1.2.3.4]:1122", "[::ffff:5.6.7.8]:3344", 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
}

func TestCommunityIDVectors(t *testing.T) {
	for _, v := range communityIDVectors {
		t.Run(v.name, func(t *testing.T) {
			a, b := netip.MustParseAddrPort(v.src), netip.MustParseAddrPort(v.dst)
			for _, tu := range []Tuple{{Src: a, Dst: b}, {Src: b, Dst: a}} {
				if got := tu.CommunityID(v.seed); got != v.want {
					t.Errorf("CommunityID(%v -> %v, seed %d) = %s, want %s", tu.Src, tu.Dst, v.seed, got, v.want)
				}
			}
		})
	}
}

// Equal addresses: the ports decide the order, and both directions still agree.
func TestCommunityIDSameAddress(t *testing.T) {
	a, b := netip.MustParseAddrPort("127.0.0.1:80"), netip.MustParseAddrPort("127.0.0.1:51000")
	x, y := Tuple{Src: a, Dst: b}.CommunityID(0), Tuple{Src: b, Dst: a}.CommunityID(0)
	if x != y || len(x) != CommunityIDLen {
		t.Errorf("CommunityID both ways = %s, %s; want equal, %d characters", x, y, CommunityIDLen)
	}
	c := netip.MustParseAddrPort("127.0.0.1:51001")
	if z := (Tuple{Src: a, Dst: c}).CommunityID(0); z == x {
		t.Errorf("CommunityID of a different port = %s, same as %s", z, x)
	}
}

func TestAppendCommunityIDAllocs(t *testing.T) {
	tu := Tuple{Src: netip.MustParseAddrPort("[2001:db8::1]:443"), Dst: netip.MustParseAddrPort("[2001:db8::2]:50000")}
	buf := make([]byte, 0, CommunityIDLen)
	if n := testing.AllocsPerRun(100, func() { buf = AppendCommunityID(buf[:0], tu, 0) }); n != 0 {
		t.Errorf("AppendCommunityID allocs = %v, want 0", n)
	}
}
