package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// TCP option kinds (IANA "TCP Option Kind Numbers").
const (
	optEOL       = 0
	optNOP       = 1
	optMSS       = 2
	optWS        = 3
	optSACKPerm  = 4
	optSACK      = 5
	optTS        = 8
	optMPTCP     = 30
	optTFO       = 34
	optExp       = 254
	tfoExpMagic  = 0xf989
	tcpMinHdrLen = 20
)

// tcp decodes a TCP header. b is the captured segment, plen its length from the IP
// header.
func (d *Decoder) tcp(src, dst netip.Addr, b []byte, plen int) Kind {
	d.layer = LayerTCP
	if plen < tcpMinHdrLen {
		return KindMalformed
	}
	if len(b) < tcpMinHdrLen {
		return d.short()
	}
	hl := int(b[12]>>4) * 4
	if hl < tcpMinHdrLen || hl > plen {
		return KindMalformed
	}
	optsCut := false
	if hl > len(b) {
		if d.short() != KindTruncated {
			return KindMalformed
		}
		// The snaplen cut the options: the fixed header and every option that fits are
		// decoded, and the segment is kept as truncated (a SYN's MSS and its time count).
		optsCut = true
	}
	s := d.seg
	s.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(b[0:]))
	s.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:]))
	s.Seq = tcpseq.Seq(binary.BigEndian.Uint32(b[4:]))
	s.Ack = tcpseq.Seq(binary.BigEndian.Uint32(b[8:]))
	s.Flags = tcp.Flags(b[13]) | tcp.Flags(b[12]&1)<<8
	s.Window = binary.BigEndian.Uint16(b[14:])
	s.Checksum = binary.BigEndian.Uint16(b[16:])
	s.Urgent = binary.BigEndian.Uint16(b[18:])
	s.TCPHdrLen = hl
	if hl > tcpMinHdrLen {
		parseOptions(&s.Opts, b[tcpMinHdrLen:min(hl, len(b))], optsCut)
		if s.Opts.Malformed {
			d.st.TCPOptMalformed++
		}
		d.st.TCPOptUnknown += uint64(s.Opts.Unknown)
	}
	if optsCut {
		s.Opts.Cut = true
		s.Payload = b[len(b):]
		s.PayloadLen = plen - hl
		s.Truncated = true
		return KindTCP
	}
	p := b[hl:]
	if len(p) > plen-hl {
		p = p[:plen-hl]
	}
	s.Payload = p
	s.PayloadLen = plen - hl
	s.Truncated = len(p) < s.PayloadLen
	return KindTCP
}

// parseOptions decodes the option bytes of a TCP header into o. A malformed option sets
// o.Malformed and ends the walk; what was decoded before it stays. cut says the snaplen
// cut b short of the header's end: an option running past the cut ends the walk, and is
// not malformed.
func parseOptions(o *Options, b []byte, cut bool) {
	o.Raw = b
	if len(b) == 12 && binary.BigEndian.Uint32(b) == 0x0101080a {
		// NOP, NOP, timestamps: what Linux and most stacks put on every segment after the
		// handshake. The same result as the walk below.
		o.TSVal, o.TSEcr, o.HasTS = binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), true
		return
	}
	for len(b) > 0 {
		kind := b[0]
		if kind == optEOL {
			return
		}
		if kind == optNOP {
			b = b[1:]
			continue
		}
		if len(b) < 2 {
			o.Malformed = !cut
			return
		}
		n := int(b[1])
		if n < 2 || n > len(b) {
			o.Malformed = n < 2 || !cut
			return
		}
		v := b[2:n]
		switch kind {
		case optMSS:
			if n != 4 {
				o.Malformed = true
				break
			}
			o.MSS, o.HasMSS = binary.BigEndian.Uint16(v), true
		case optWS:
			if n != 3 {
				o.Malformed = true
				break
			}
			o.WScale, o.HasWScale = v[0], true
		case optSACKPerm:
			if n != 2 {
				o.Malformed = true
				break
			}
			o.SACKPermitted = true
		case optSACK:
			if (n-2)%8 != 0 || n == 2 {
				o.Malformed = true
				break
			}
			for i := 0; i+8 <= len(v) && o.NSACK < len(o.SACK); i += 8 {
				o.SACK[o.NSACK] = SACKBlock{
					Left:  tcpseq.Seq(binary.BigEndian.Uint32(v[i:])),
					Right: tcpseq.Seq(binary.BigEndian.Uint32(v[i+4:])),
				}
				o.NSACK++
			}
		case optTS:
			if n != 10 {
				o.Malformed = true
				break
			}
			o.TSVal, o.TSEcr, o.HasTS = binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:]), true
		case optMPTCP:
			if n < 3 {
				o.Malformed = true
				break
			}
			o.HasMPTCP = true
		case optTFO:
			o.HasTFO = true
		case optExp:
			if n >= 4 && binary.BigEndian.Uint16(v) == tfoExpMagic {
				o.HasTFO = true
			} else {
				o.Unknown++
			}
		default:
			o.Unknown++
		}
		b = b[n:]
	}
}
