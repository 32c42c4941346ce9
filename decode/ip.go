package decode

import (
	"encoding/binary"
	"net/netip"
)

const (
	protoTCP      = 6
	protoUDP      = 17
	ip6HopByHop   = 0
	ip6Routing    = 43
	ip6Fragment   = 44
	ip6AH         = 51
	ip6NoNext     = 59
	ip6DestOpts   = 60
	maxIPv4Length = 65535
)

// ipv4ChecksumOK reports whether the one's-complement sum of an IPv4 header (20 to 60
// bytes, a multiple of 4) is 0xffff. It adds 32-bit words into 64 bits and folds once at
// the end: the one's-complement sum does not depend on the word size (RFC 1071), and no
// carry is lost (at most fifteen 32-bit words).
func ipv4ChecksumOK(h []byte) bool {
	if len(h) < 20 {
		return false
	}
	h20 := h[:20:20]
	sum := uint64(binary.BigEndian.Uint32(h20[0:])) + uint64(binary.BigEndian.Uint32(h20[4:])) +
		uint64(binary.BigEndian.Uint32(h20[8:])) + uint64(binary.BigEndian.Uint32(h20[12:])) +
		uint64(binary.BigEndian.Uint32(h20[16:]))
	for o := h[20:]; len(o) >= 4; o = o[4:] { // options
		sum += uint64(binary.BigEndian.Uint32(o))
	}
	sum = sum&0xffffffff + sum>>32 // < 2^33
	sum = sum&0xffffffff + sum>>32 // < 2^32
	sum = sum&0xffff + sum>>16     // < 2^17
	sum = sum&0xffff + sum>>16     // <= 0xffff
	return sum == 0xffff
}

// ipv4 decodes an IPv4 header. data runs from the header to the end of the capture; the
// IP total length trims link-layer trailer padding.
func (d *Decoder) ipv4(data []byte) Kind {
	d.layer = LayerIPv4
	if len(data) < 20 {
		return d.short()
	}
	if data[0]>>4 != 4 {
		return KindMalformed
	}
	hl := int(data[0]&15) * 4
	if hl < 20 {
		return KindMalformed
	}
	if len(data) < hl {
		return d.short()
	}
	ip := &d.seg.IP
	ip.Version = 4
	ip.HdrLen = hl
	ip.ID = uint32(binary.BigEndian.Uint16(data[4:]))
	ff := binary.BigEndian.Uint16(data[6:])
	ip.DF = ff&0x4000 != 0
	ip.MF = ff&0x2000 != 0
	ip.FragOff = (ff & 0x1fff) * 8
	ip.TTL = data[8]
	proto := data[9]
	if !ipv4ChecksumOK(data[:hl]) {
		ip.ChecksumBad = true
		d.st.BadIPv4Checksum++
	}
	src := netip.AddrFrom4([4]byte(data[12:16]))
	dst := netip.AddrFrom4([4]byte(data[16:20]))

	wire := len(data) + d.cut // this packet's bytes on the wire, link trailer included
	total := int(binary.BigEndian.Uint16(data[2:]))
	if total == 0 {
		// TSO/GSO: the capturing host saw the packet before the NIC split it.
		ip.TSOZeroLen = true
		total = wire
	}
	ip.TotalLen = total
	if total > wire {
		// The length claims bytes the frame never had on the wire: believe the frame
		// (as Wireshark does) and count the anomaly.
		d.st.BadLength++
		total = wire
	}
	if total < hl {
		return KindMalformed
	}
	data = data[:min(total, len(data))]
	payload := data[hl:]
	plen := total - hl

	if ip.MF || ip.FragOff != 0 {
		if len(payload) < plen {
			d.st.FragDropped++
			return d.short()
		}
		meta := fragMeta{ip: *ip}
		buf, n, m, ok := d.frags.add(&d.st, fragKey{src: src, dst: dst, id: ip.ID, proto: proto}, d.ts, d.frame, int(ip.FragOff), ip.MF, payload, &meta)
		if !ok {
			return KindFragment
		}
		*ip = m.ip
		ip.MF, ip.FragOff = false, 0
		ip.Fragments = n
		ip.TotalLen = hl + len(buf)
		ip.TSOZeroLen = false
		payload, plen = buf, len(buf)
	}
	return d.transport(proto, src, dst, payload, plen)
}

// ipv6 decodes an IPv6 header and its extension headers.
func (d *Decoder) ipv6(data []byte) Kind {
	d.layer = LayerIPv6
	if len(data) < 40 {
		return d.short()
	}
	if data[0]>>4 != 6 {
		return KindMalformed
	}
	ip := &d.seg.IP
	ip.Version = 6
	ip.TTL = data[7]
	nh := data[6]
	src := netip.AddrFrom16([16]byte(data[8:24]))
	dst := netip.AddrFrom16([16]byte(data[24:40]))
	wire := len(data) + d.cut
	total := 40 + int(binary.BigEndian.Uint16(data[4:]))
	if total == 40 && nh != ip6NoNext && wire > 40 {
		// Payload length 0 with a payload: TSO/GSO (or a jumbogram), use the frame.
		ip.TSOZeroLen = true
		total = wire
	}
	ip.TotalLen = total
	if total > wire {
		d.st.BadLength++ // believe the frame, as for IPv4
		total = wire
	}
	data = data[:min(total, len(data))]
	return d.ip6walk(nh, src, dst, data[40:], total-40, 40, false)
}

// ip6walk follows IPv6 extension headers. b is the captured rest of the packet, rem its
// length according to the IP header, hdr the header bytes consumed so far.
func (d *Decoder) ip6walk(nh uint8, src, dst netip.Addr, b []byte, rem, hdr int, reassembled bool) Kind {
	ip := &d.seg.IP
	for range 64 {
		var l int
		switch nh {
		case ip6HopByHop, ip6Routing, ip6DestOpts, ip6AH:
			if rem < 2 {
				return KindMalformed
			}
			if len(b) < 2 {
				return d.short()
			}
			if nh == ip6AH {
				l = (int(b[1]) + 2) * 4
			} else {
				l = (int(b[1]) + 1) * 8
			}
		case ip6Fragment:
			l = 8
			if rem < l {
				return KindMalformed
			}
			if len(b) < l {
				return d.short()
			}
			fo := binary.BigEndian.Uint16(b[2:])
			off, more := int(fo&^7), fo&1 != 0
			if reassembled {
				// Only the fragment ID reads as sane here; a second real
				// fragmentation inside a reassembled datagram is nonsense.
				if off != 0 || more {
					return KindMalformed
				}
				break
			}
			ip.ID = binary.BigEndian.Uint32(b[4:])
			ip.FragOff = uint16(off)
			ip.MF = more
			if off == 0 && !more {
				break // atomic fragment (RFC 6946): nothing to reassemble
			}
			frag := b[8:]
			if len(frag) < rem-8 {
				d.st.FragDropped++
				return d.short()
			}
			ip.HdrLen = hdr
			meta := fragMeta{ip: *ip, nh: b[0]}
			buf, n, m, ok := d.frags.add(&d.st, fragKey{src: src, dst: dst, id: ip.ID, v6: true}, d.ts, d.frame, off, more, frag, &meta)
			if !ok {
				return KindFragment
			}
			*ip = m.ip
			ip.MF, ip.FragOff = false, 0
			ip.Fragments = n
			ip.TotalLen = m.ip.HdrLen + len(buf)
			ip.TSOZeroLen = false
			nh, b, rem, hdr, reassembled = m.nh, buf, len(buf), m.ip.HdrLen, true
			continue
		default:
			ip.HdrLen = hdr
			return d.transport(nh, src, dst, b, rem)
		}
		if l > rem {
			return KindMalformed
		}
		if l > len(b) {
			return d.short()
		}
		nh = b[0]
		b, rem, hdr = b[l:], rem-l, hdr+l
	}
	return KindMalformed
}

// transport dispatches an IP payload: b is what was captured, plen what the IP header
// says.
func (d *Decoder) transport(proto uint8, src, dst netip.Addr, b []byte, plen int) Kind {
	if proto != protoTCP {
		d.otherIP[proto]++
		if proto == protoUDP && d.cfg.DNS {
			d.udpDNS(src, dst, b)
		}
		return KindOtherIP
	}
	return d.tcp(src, dst, b, plen)
}
