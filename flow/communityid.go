package flow

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
)

// protoTCP is the IP protocol number of TCP, the only transport segscope tracks.
const protoTCP = 6

// CommunityIDLen is the length of a version 1 Community ID text: "1:" and 28 base64
// characters of a SHA-1 digest.
const CommunityIDLen = 2 + 28

// AppendCommunityID appends the Community ID (version 1, base64) of the TCP connection
// t belongs to, with the given seed, to dst: the flow hash that Zeek, Suricata,
// Wireshark and Arkime share (github.com/corelight/community-id-spec). Both directions
// of a connection give the same ID. Version 1 hashes, with SHA-1,
//
//	seed (2 bytes, big endian) · lesser address · greater address · protocol (1 byte) ·
//	0 (1 byte) · lesser endpoint's port · greater endpoint's port (2 bytes each)
//
// where the lesser endpoint is the one whose address bytes compare lower (the ports
// decide between equal addresses); IPv4 addresses are 4 bytes (an IPv4-mapped IPv6
// address counts as IPv4), IPv6 addresses 16. The default seed is 0. It allocates
// nothing when dst has room.
func AppendCommunityID(dst []byte, t Tuple, seed uint16) []byte {
	var buf [2 + 16 + 16 + 2 + 2 + 2]byte
	binary.BigEndian.PutUint16(buf[0:], seed)
	sa, da := t.Src.Addr().Unmap(), t.Dst.Addr().Unmap()
	sp, dp := t.Src.Port(), t.Dst.Port()
	var s, d [16]byte
	n := 16
	if sa.Is4() && da.Is4() {
		n = 4
		a4, b4 := sa.As4(), da.As4()
		copy(s[:], a4[:])
		copy(d[:], b4[:])
	} else {
		s, d = sa.As16(), da.As16()
	}
	if c := compareBytes(s[:n], d[:n]); c > 0 || (c == 0 && sp > dp) {
		s, d = d, s
		sp, dp = dp, sp
	}
	i := 2
	i += copy(buf[i:], s[:n])
	i += copy(buf[i:], d[:n])
	buf[i], buf[i+1] = protoTCP, 0
	i += 2
	binary.BigEndian.PutUint16(buf[i:], sp)
	binary.BigEndian.PutUint16(buf[i+2:], dp)
	i += 4
	sum := sha1.Sum(buf[:i])
	dst = append(dst, '1', ':')
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// CommunityID returns the Community ID text of t's connection (see AppendCommunityID).
func (t Tuple) CommunityID(seed uint16) string {
	var b [CommunityIDLen]byte
	return string(AppendCommunityID(b[:0], t, seed))
}

func compareBytes(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
