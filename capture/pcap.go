package capture

// Classic pcap (libpcap's format): the file header and the packet records, with a
// fast path for records that lie whole in the read buffer.

import (
	"encoding/binary"
	"fmt"
	"io"
)

func (r *Reader) pcapHeader(in *input, le uint32) error {
	h, err := in.peek(24)
	if err != nil {
		return in.readErr(err, len(h), 0, "")
	}
	in.recHdr = 16
	in.tsScale = 1000
	switch le {
	case 0xa1b2c3d4, 0xa1b2cd34, 0xa1b23c4d:
		in.order = binary.LittleEndian
	default:
		in.order = binary.BigEndian
		in.big = true
	}
	if le == 0xa1b23c4d || le == 0x4d3cb2a1 {
		in.tsScale = 1
	}
	if le == 0xa1b2cd34 || le == 0x34cdb2a1 {
		in.recHdr = 24
	}
	snaplen := in.order.Uint32(h[16:20])
	link := LinkType(in.order.Uint32(h[20:24]) & 0xffff)
	in.pending = 24
	in.off = 24
	r.ifaces = append(r.ifaces, InterfaceInfo{File: in.name, LinkType: link, Snaplen: int(min(snaplen, 1<<31-1))})
	return nil
}

// nextPcapFast is nextPcap for a record whole in the mapping or the read buffer: no
// read, no copy, no interface call. It reports false, having changed nothing, for
// anything else (a record not yet read or cut short, the end of the data, an absurd
// length), which nextPcap then reads and reports as before.
func (r *Reader) nextPcapFast(in *input, f *Frame) bool {
	b := in.ready()
	p := in.pending
	hl := in.recHdr
	if len(b)-p < hl {
		return false
	}
	h := b[p : p+16 : p+16]
	caplen, orig := in.u32(h[8:12]), in.u32(h[12:16])
	if caplen > MaxCapLen || int(caplen) > len(b)-p-hl {
		return false
	}
	n := hl + int(caplen)
	in.consume(p)
	in.pending = n
	in.off += int64(n)
	r.pcapFrame(f, in, in.u32(h[0:4]), in.u32(h[4:8]), caplen, orig, b[p+hl:p+n:p+n])
	return true
}

// pcapFrame counts a pcap record and fills in its frame.
func (r *Reader) pcapFrame(f *Frame, in *input, sec, frac, caplen, orig uint32, data []byte) {
	r.frame++
	ifc := &r.ifaces[in.ifBase]
	ifc.Frames++
	*f = Frame{
		Data: data,
		Info: Info{
			Frame:    r.frame,
			TS:       int64(sec)*1e9 + int64(frac)*in.tsScale,
			CapLen:   int(caplen),
			OrigLen:  int(orig),
			LinkType: ifc.LinkType,
		},
	}
}

func (r *Reader) nextPcap(in *input) (Frame, error) {
	if err := in.discard(); err != nil {
		// only the 24-byte header can be pending across a short read here
		return Frame{}, in.readErr(err, 0, r.frame+1, "")
	}
	hl := in.recHdr
	h, err := in.peek(hl)
	if err != nil {
		if err == io.EOF && len(h) == 0 {
			return Frame{}, io.EOF
		}
		return Frame{}, in.readErr(err, len(h), r.frame+1, "")
	}
	caplen := in.order.Uint32(h[8:12])
	if caplen > MaxCapLen {
		return Frame{}, &CorruptError{Name: in.name, Offset: in.off, Frame: r.frame + 1,
			Msg: fmt.Sprintf("record %d at offset %d claims %d bytes", r.frame+1, in.off, caplen)}
	}
	n := hl + int(caplen)
	rec, err := in.peek(n)
	if err != nil {
		return Frame{}, in.readErr(err, len(rec), r.frame+1, "")
	}
	in.pending = n
	in.off += int64(n)
	r.frame++
	ifc := &r.ifaces[in.ifBase]
	ifc.Frames++
	sec := int64(in.order.Uint32(rec[0:4]))
	frac := int64(in.order.Uint32(rec[4:8]))
	return Frame{
		Data: rec[hl:n:n],
		Info: Info{
			Frame:    r.frame,
			TS:       sec*1e9 + frac*in.tsScale,
			CapLen:   int(caplen),
			OrigLen:  int(in.order.Uint32(rec[12:16])),
			LinkType: ifc.LinkType,
		},
	}, nil
}
