package decode

import (
	"net/netip"
	"testing"

	"github.com/segscope/segscope/capture"
)

// TestDNSCapture decodes the DNS exchange before curl in dns-curl.pcap (made by
// make-teach-captures.sh; tools/teachpeer logged what it answered, in dns-curl.dns.tsv).
func TestDNSCapture(t *testing.T) {
	const file = "../testdata/pcaps/dns-curl.pcap"
	src, err := capture.Open(file)
	if err != nil {
		t.Skipf("%s: not present: %v", file, err)
	}
	defer src.(interface{ Close() error }).Close()
	d := NewDecoder(Config{DNS: true})
	var seg Segment
	var got []DNSMessage
	for {
		f, err := src.Next()
		if err != nil {
			break
		}
		if d.Decode(f.Data, LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg) == KindOtherIP {
			if m, ok := d.DNS(); ok {
				c := *m
				c.Answers = append([]netip.Addr(nil), m.Answers...)
				got = append(got, c)
			}
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d DNS messages, want query and response: %+v", len(got), got)
	}
	q, r := got[0], got[1]
	want := netip.MustParseAddr("10.81.0.2")
	if q.Response || !r.Response || q.ID != r.ID || q.Name != "www.segscope.test" || q.QType != 1 || r.RCode != 0 ||
		len(r.Answers) != 1 || r.Answers[0] != want || q.Client != r.Client || q.Server.Port() != 53 || r.TS <= q.TS {
		t.Errorf("query %+v\nresponse %+v", q, r)
	}
	// Without Config.DNS nothing is decoded.
	d2 := NewDecoder(Config{})
	src2, _ := capture.Open(file)
	defer src2.(interface{ Close() error }).Close()
	f, _ := src2.Next()
	d2.Decode(f.Data, LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg)
	if _, ok := d2.DNS(); ok {
		t.Error("DNS decoded without Config.DNS")
	}
}

// FuzzDNS: any datagram to port 53 decodes without panic, and a message found names at
// most maxDNSAnswers addresses.
func FuzzDNS(f *testing.F) {
	f.Add([]byte{0xea, 0x0e, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'w', 'w', 'w', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2})
	src, dst := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1")
	f.Fuzz(func(t *testing.T, payload []byte) {
		d := NewDecoder(Config{DNS: true})
		udp := make([]byte, 8+len(payload))
		udp[1], udp[3] = 53, 0x99
		udp[4], udp[5] = byte((8+len(payload))>>8), byte(8+len(payload))
		copy(udp[8:], payload)
		d.udpDNS(src, dst, udp)
		if m, ok := d.DNS(); ok && len(m.Answers) > maxDNSAnswers {
			t.Fatalf("%d answers", len(m.Answers))
		}
	})
}
