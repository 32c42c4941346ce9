package flow

import (
	"net/netip"
	"testing"
)

func TestKeySymmetric(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:40000")
	b := netip.MustParseAddrPort("10.0.0.2:80")
	v6 := netip.MustParseAddrPort("[fd77::1]:80")
	for _, tc := range []struct {
		name string
		x, y Endpoint
	}{
		{"v4", a, b}, {"same host", a, netip.MustParseAddrPort("10.0.0.1:80")}, {"mixed", a, v6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k1, s1 := Tuple{tc.x, tc.y}.Key()
			k2, s2 := Tuple{tc.y, tc.x}.Key()
			if k1 != k2 || s1 == s2 {
				t.Errorf("Key(%v,%v) = %v %v; reversed %v %v", tc.x, tc.y, k1, s1, k2, s2)
			}
			if h1, h2 := (Tuple{tc.x, tc.y}).Hash(), (Tuple{tc.y, tc.x}).Hash(); h1 != h2 {
				t.Errorf("Hash not symmetric: %x %x", h1, h2)
			}
		})
	}
}

func TestDir(t *testing.T) {
	if C2S.String() != "c2s" || S2C.String() != "s2c" || C2S.Other() != S2C || S2C.Other() != C2S {
		t.Error("Dir names or Other wrong")
	}
}

// TestHashSpread checks that connections differing only in the client port (the common
// case: one client, one server) spread evenly over 2, 3 and 4 shards.
func TestHashSpread(t *testing.T) {
	srv := netip.MustParseAddrPort("10.0.0.2:80")
	for _, cli := range []string{"10.0.0.1", "fd77::1"} {
		for _, n := range []uint64{2, 3, 4} {
			count := make([]int, n)
			const conns = 6000
			for p := range conns {
				c := netip.AddrPortFrom(netip.MustParseAddr(cli), uint16(32768+p))
				count[Tuple{c, srv}.Hash()%n]++
			}
			for i, k := range count {
				if want := conns / int(n); k < want*9/10 || k > want*11/10 {
					t.Errorf("%s, %d shards: shard %d has %d of %d connections", cli, n, i, k, conns)
				}
			}
		}
	}
}
