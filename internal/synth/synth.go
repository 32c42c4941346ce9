// Package synth builds synthetic inputs for tests and benchmarks: Ethernet/IPv4/TCP
// frames from field structs (Packet), a capture.Source over frames made one at a time
// in a reused buffer (Source), and a report.Sink that drops every record (Discard).
// segscope itself never imports it; the frames it makes are for measuring the pipeline
// (allocations, memory, speed), not for conformance, which uses real captures.
package synth

import (
	"encoding/binary"
	"io"
	"net/netip"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// Packet describes an Ethernet/IPv4/TCP frame by its fields.
type Packet struct {
	Src, Dst netip.AddrPort // IPv4
	Seq, Ack uint32
	Flags    tcp.Flags // the eight flags of the header's flag byte (NS is not written)
	Win      uint16
	ID       uint16 // IP identification
	MSS      uint16 // when non-zero, an MSS option (SYN segments)
	Payload  []byte
}

// AppendFrame appends the frame to b. The IPv4 header checksum is computed; the TCP
// checksum is left 0 (segscope does not verify it).
//
//	0x0000:  0200 0000 0002 0200 0000 0001 0800 4500  Ethernet, IPv4 (IHL 5)
//	0x0010:  LLLL IIII 4000 4006 CCCC SSSS SSSS DDDD  len, id, DF, TTL 64, TCP, checksum
//	0x0020:  DDDD sport dport seq.. .... ack. ....    TCP header (20 bytes, or 24 with MSS)
func (p *Packet) AppendFrame(b []byte) []byte {
	thl := 20
	if p.MSS != 0 {
		thl = 24
	}
	total := 20 + thl + len(p.Payload)
	b = append(b, 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00) // dst MAC, src MAC, IPv4
	ip := len(b)
	b = append(b, 0x45, 0, byte(total>>8), byte(total), byte(p.ID>>8), byte(p.ID), 0x40, 0, 64, 6, 0, 0)
	s, d := p.Src.Addr().As4(), p.Dst.Addr().As4()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	binary.BigEndian.PutUint16(b[ip+10:], ipSum(b[ip:ip+20]))
	b = binary.BigEndian.AppendUint16(b, p.Src.Port())
	b = binary.BigEndian.AppendUint16(b, p.Dst.Port())
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = binary.BigEndian.AppendUint32(b, p.Ack)
	b = append(b, byte(thl/4)<<4, byte(p.Flags))
	b = binary.BigEndian.AppendUint16(b, p.Win)
	b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	if p.MSS != 0 {
		b = append(b, 2, 4, byte(p.MSS>>8), byte(p.MSS))
	}
	return append(b, p.Payload...)
}

// ipSum is the IPv4 header checksum of h.
func ipSum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// Source is a capture.Source over frames produced by a function, one at a time, in a
// reused buffer: Frames appends frame number n (1-based) to b[:0] and returns it with its
// time, or ok=false at the end. A frame stays valid until the next call of Next.
type Source struct {
	Frames func(b []byte, n uint64) (frame []byte, ts int64, ok bool)
	Buf    []byte // the reused buffer (give it a capacity to start with)
	N      uint64 // frames returned so far
	Bytes  int64  // bytes of the frames returned so far
}

// Next implements capture.Source.
func (s *Source) Next() (capture.Frame, error) {
	s.N++
	b, ts, ok := s.Frames(s.Buf[:0], s.N)
	if !ok {
		s.N--
		return capture.Frame{}, io.EOF
	}
	s.Buf = b
	s.Bytes += int64(len(b))
	return capture.Frame{Data: b, Info: capture.Info{Frame: s.N, TS: ts, CapLen: len(b), OrigLen: len(b), LinkType: 1}}, nil
}

// Close implements capture.Source.
func (s *Source) Close() error { return nil }

// Discard is a report.Sink that drops every record.
type Discard struct{}

func (Discard) Segment(*report.Segment) error { return nil }
func (Discard) Conn(*report.Conn) error       { return nil }
func (Discard) HTTP(*report.HTTP) error       { return nil }
func (Discard) Anatomy(*report.Anatomy) error { return nil }
func (Discard) Event(*report.Event) error     { return nil }
func (Discard) Finding(*report.Finding) error { return nil }
func (Discard) Close() error                  { return nil }
