package filter

import "encoding/binary"

// FragKey identifies an IPv4 datagram for reassembly: source, destination, protocol and
// identification.
type FragKey struct {
	Src, Dst uint32
	ID       uint16
	Proto    uint8
}

// Fragment reports whether a frame of link type link is an IPv4 fragment and, if so,
// its datagram and whether it is the first one (offset 0, more fragments). libpcap's
// port tests and transport loads match first fragments only; a caller that wants a
// matching datagram whole keeps the later fragments of the datagrams whose first
// fragment matched. One 802.1Q/802.1ad tag is looked through on Ethernet.
func Fragment(link LinkType, data []byte) (key FragKey, first, isFrag bool) {
	off := -1
	et := func(o int) (uint16, bool) {
		if len(data) < o+2 {
			return 0, false
		}
		return binary.BigEndian.Uint16(data[o:]), true
	}
	switch link {
	case LinkEthernet:
		t, ok := et(12)
		off = 14
		if ok && (t == 0x8100 || t == 0x88a8) {
			t, ok = et(16)
			off = 18
		}
		if !ok || t != 0x0800 {
			return key, false, false
		}
	case LinkLinuxSLL:
		if t, ok := et(14); !ok || t != 0x0800 {
			return key, false, false
		}
		off = 16
	case LinkLinuxSLL2:
		if t, ok := et(0); !ok || t != 0x0800 {
			return key, false, false
		}
		off = 20
	case LinkNull, LinkLoop:
		if len(data) < 4 || data[0] != 2 && data[3] != 2 {
			return key, false, false
		}
		off = 4
	case LinkRaw, LinkRaw12, LinkRaw14, LinkIPv4:
		off = 0
	default:
		return key, false, false
	}
	ip := data[off:]
	if len(ip) < 20 || ip[0]>>4 != 4 {
		return key, false, false
	}
	fo := binary.BigEndian.Uint16(ip[6:])
	mf, foff := fo&0x2000 != 0, fo&0x1fff
	if !mf && foff == 0 {
		return key, false, false
	}
	key = FragKey{Src: binary.BigEndian.Uint32(ip[12:]), Dst: binary.BigEndian.Uint32(ip[16:]), ID: binary.BigEndian.Uint16(ip[4:]), Proto: ip[9]}
	return key, foff == 0, true
}
