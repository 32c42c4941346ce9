package pipeline

import (
	"context"
	"net/netip"
	"testing"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/reassembly"
)

func TestConnSelectMatch(t *testing.T) {
	ap := netip.MustParseAddrPort
	c := &reassembly.Conn{ID: 7, Client: ap("10.0.0.1:40000"), Server: ap("[fd00::2]:8080")}
	k, _ := flow.Tuple{Src: c.Client, Dst: c.Server}.Key()
	c.Key = k
	other, _ := flow.Tuple{Src: ap("10.0.0.1:40001"), Dst: c.Server}.Key()
	for _, tc := range []struct {
		name string
		sel  ConnSelect
		want bool
	}{
		{"id", ConnSelect{IDs: [][2]uint64{{7, 7}}}, true},
		{"range", ConnSelect{IDs: [][2]uint64{{3, 3}, {5, 9}}}, true},
		{"other ids", ConnSelect{IDs: [][2]uint64{{1, 6}, {8, 9}}}, false},
		{"tuple", ConnSelect{Keys: []flow.Key{k}}, true},
		{"other tuple", ConnSelect{Keys: []flow.Key{other}}, false},
		{"client host", ConnSelect{Hosts: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}, true},
		{"server host", ConnSelect{Hosts: []netip.Addr{netip.MustParseAddr("fd00::2")}}, true},
		{"port", ConnSelect{Ports: []uint16{8080}}, true},
		{"other port", ConnSelect{Ports: []uint16{80}}, false},
		{"endpoint", ConnSelect{Eps: []netip.AddrPort{ap("10.0.0.1:40000")}}, true},
		{"other endpoint", ConnSelect{Eps: []netip.AddrPort{ap("10.0.0.1:8080")}}, false},
	} {
		if got := tc.sel.Match(c); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestFilterKeepsLaterFragments: "tcp port 80" matches the first fragments of the
// fragmented response (libpcap's rule); ReadFrames also keeps their later fragments.
func TestFilterKeepsLaterFragments(t *testing.T) {
	f, err := filter.Parse("tcp port 80")
	if err != nil {
		t.Fatal(err)
	}
	count := func(cfg *Config) (kept, frags int) {
		src, err := capture.Open("../../testdata/pcaps/fragmented.pcap")
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		err = ReadFrames(context.Background(), src, cfg, func(fr *capture.Frame, n uint64) bool {
			kept++
			if _, _, isFrag := filter.Fragment(filter.LinkType(fr.LinkType), fr.Data); isFrag {
				frags++
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	cfg := &Config{Filter: f}
	kept, frags := count(cfg)
	// 12 frames match as tcpdump says (2 of them first fragments); the 8 later fragments
	// of those two datagrams are kept too
	if kept != 20 || frags != 10 || cfg.rejected != 36 {
		t.Errorf("kept %d frames (%d fragments), rejected %d; want 20 (10), 36", kept, frags, cfg.rejected)
	}
}
