package decode

import (
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// DNS over UDP: a summary of each message to or from port 53, for the lesson "DNS
// before the connection" (the name a client looked up, the addresses it got, when). It is
// decoded only when Config.DNS is set, with gopacket's layers.DNS (not on the TCP path;
// names are copied, so a DNS message allocates). DNS over TCP is not decoded.

// maxDNSAnswers bounds the addresses kept of one response.
const maxDNSAnswers = 16

// DNSMessage is one DNS message over UDP. Client is the side that sent the query (the
// port that is not 53), Server the resolver. The value is valid until the next Decode.
type DNSMessage struct {
	Frame    uint64
	TS       int64
	Client   netip.AddrPort
	Server   netip.AddrPort
	ID       uint16
	Response bool
	RCode    uint8
	Name     string // the first question's name, without the final dot
	QType    uint16 // the first question's type (1 A, 28 AAAA)
	// Answers are the A and AAAA addresses of a response (at most 16).
	Answers []netip.Addr
}

const dnsPort = 53

// dnsDecoder is the Decoder's DNS state: gopacket's layer, reused, and the last message.
type dnsDecoder struct {
	layer layers.DNS
	msg   DNSMessage
	ok    bool
}

// udpDNS decodes b (a UDP datagram as captured) when one of its ports is 53.
func (d *Decoder) udpDNS(src, dst netip.Addr, b []byte) {
	if len(b) < 8 {
		return
	}
	sp := uint16(b[0])<<8 | uint16(b[1])
	dp := uint16(b[2])<<8 | uint16(b[3])
	if sp != dnsPort && dp != dnsPort {
		return
	}
	ul := int(uint16(b[4])<<8 | uint16(b[5]))
	if ul < 8 || ul > len(b) {
		return // truncated by the snaplen, or malformed: not decoded
	}
	x := &d.dns
	if err := x.layer.DecodeFromBytes(b[8:ul], gopacket.NilDecodeFeedback); err != nil {
		return
	}
	m := &x.msg
	m.Frame, m.TS = d.frame, d.ts
	m.ID, m.Response, m.RCode = x.layer.ID, x.layer.QR, uint8(x.layer.ResponseCode)
	a, b2 := netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp)
	if m.Response {
		m.Client, m.Server = b2, a
	} else {
		m.Client, m.Server = a, b2
	}
	m.Name, m.QType = "", 0
	if len(x.layer.Questions) > 0 {
		q := &x.layer.Questions[0]
		m.Name, m.QType = string(q.Name), uint16(q.Type)
	}
	m.Answers = m.Answers[:0]
	for i := range x.layer.Answers {
		rr := &x.layer.Answers[i]
		if len(m.Answers) >= maxDNSAnswers {
			break
		}
		if rr.Type != layers.DNSTypeA && rr.Type != layers.DNSTypeAAAA {
			continue
		}
		if ip, ok := netip.AddrFromSlice(rr.IP); ok {
			m.Answers = append(m.Answers, ip.Unmap())
		}
	}
	x.ok = true
}

// DNS returns the DNS message the last Decode found (a UDP datagram to or from port 53,
// with Config.DNS set), valid until the next Decode.
func (d *Decoder) DNS() (*DNSMessage, bool) {
	if !d.dns.ok {
		return nil, false
	}
	return &d.dns.msg, true
}
