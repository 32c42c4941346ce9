package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"
)

// pcapng block types.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockOPB = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006

	// Blocks that are not packets but that Wireshark shows as frames.
	blockSystemdJournal     = 0x00000009
	blockCustom             = 0x00000BAD
	blockCustomNoCopy       = 0x40000BAD
	blockSysdigEvent        = 0x00000204
	blockSysdigEventV2      = 0x00000216
	blockSysdigEventV2Large = 0x00000217
)

func blockName(t uint32) string {
	switch t {
	case blockSHB:
		return "a section header"
	case blockIDB:
		return "an interface description"
	case 4:
		return "a name resolution"
	case 5:
		return "an interface statistics"
	case 0x0A:
		return "a decryption secrets"
	case blockCustom, blockCustomNoCopy:
		return "a custom"
	}
	return fmt.Sprintf("a type 0x%08x", t)
}

func isPacketBlock(t uint32) bool { return t == blockEPB || t == blockSPB || t == blockOPB }

func (r *Reader) corrupt(in *input, frame uint64, format string, args ...any) error {
	return &CorruptError{Name: in.name, Offset: in.off, Frame: frame, Msg: fmt.Sprintf(format, args...)}
}

func (r *Reader) nextPcapng(in *input) (Frame, error) {
	for {
		if err := in.discard(); err != nil {
			// the rest of a block longer than the read buffer is missing
			return Frame{}, in.readErr(err, 0, r.frame+1, "")
		}
		h, err := in.peek(8)
		if err != nil {
			if err == io.EOF && len(h) == 0 {
				return Frame{}, io.EOF
			}
			return Frame{}, in.readErr(err, len(h), r.frame+1, "")
		}
		order := in.order
		btype := uint32(0)
		if order != nil {
			btype = order.Uint32(h[0:4])
		} else {
			btype = binary.LittleEndian.Uint32(h[0:4])
		}
		if btype != blockSHB && order == nil {
			return Frame{}, r.corrupt(in, 0, "block at offset %d is not a section header", in.off)
		}
		block := ""
		if !isPacketBlock(btype) {
			block = blockName(btype)
		}
		big := in.big
		if btype == blockSHB {
			b, err := in.peek(12)
			if err != nil {
				return Frame{}, in.readErr(err, len(b), r.frame+1, block)
			}
			switch binary.LittleEndian.Uint32(b[8:12]) {
			case 0x1A2B3C4D:
				order = binary.LittleEndian
				big = false
			case 0x4D3C2B1A:
				order = binary.BigEndian
				big = true
			default:
				return Frame{}, r.corrupt(in, 0, "section header at offset %d has a bad byte-order magic", in.off)
			}
		}
		blen := order.Uint32(h[4:8])
		if blen < 12 || blen%4 != 0 || blen > maxBlockLen {
			return Frame{}, r.corrupt(in, 0, "block at offset %d claims %d bytes", in.off, blen)
		}
		n := int(blen)
		whole := n <= in.bufSize
		if !whole {
			n = in.bufSize
		}
		b, err := in.peek(n)
		if err != nil {
			return Frame{}, in.readErr(err, len(b), r.frame+1, block)
		}
		if whole && order.Uint32(b[n-4:]) != blen {
			return Frame{}, r.corrupt(in, 0, "block at offset %d: trailing length %d does not match %d", in.off, order.Uint32(b[n-4:]), blen)
		}
		if !whole {
			b = b[:n:n]
		} else {
			b = b[: n-4 : n-4] // drop the trailing length
		}
		start := in.off
		in.pending = int(blen)
		in.off += int64(blen)
		switch btype {
		case blockSHB:
			if len(b) < 24 {
				return Frame{}, &CorruptError{Name: in.name, Offset: start, Msg: fmt.Sprintf("section header at offset %d is too short", start)}
			}
			if major := order.Uint16(b[12:14]); major != 1 {
				return Frame{}, &CorruptError{Name: in.name, Offset: start, Msg: fmt.Sprintf("section header at offset %d: unsupported pcapng version %d", start, major)}
			}
			in.order = order
			in.big = big
			in.section = in.section[:0]
			in.sections++
		case blockIDB:
			if err := r.readIDB(in, b, start); err != nil {
				return Frame{}, err
			}
		case blockEPB, blockOPB:
			f, err := r.packet(in, b, btype, start)
			return f, err
		case blockSPB:
			f, err := r.simplePacket(in, b, start)
			return f, err
		case blockCustom, blockCustomNoCopy, blockSystemdJournal, blockSysdigEvent, blockSysdigEventV2, blockSysdigEventV2Large:
			// Not a packet, but Wireshark lists it as a frame: keep the numbering equal.
			r.frame++
		}
	}
}

// nextEPBFast is nextPcapng for an enhanced packet block whole in the mapping or the read
// buffer, well formed and within the limits: no read, no copy, no interface call. It
// reports false, having changed nothing, for anything else (another block, a block not
// yet read or cut short, any error), which nextPcapng then reads and reports as before.
func (r *Reader) nextEPBFast(in *input, f *Frame) bool {
	if in.order == nil {
		return false // before the first section header
	}
	b := in.ready()
	p := in.pending
	if len(b)-p < 32 {
		return false
	}
	h := b[p:]
	if in.u32(h[0:4]) != blockEPB {
		return false
	}
	blen := in.u32(h[4:8])
	if blen < 32 || blen%4 != 0 || blen > uint32(in.bufSize) || int(blen) > len(h) {
		return false
	}
	n := int(blen)
	h = h[:n:n]
	if in.u32(h[n-4:]) != blen {
		return false
	}
	id := in.u32(h[8:12])
	caplen := in.u32(h[20:24])
	if id >= uint32(len(in.section)) || caplen > MaxCapLen || caplen > blen-32 {
		return false
	}
	ifc := &in.section[id]
	ts := uint64(in.u32(h[12:16]))<<32 | uint64(in.u32(h[16:20]))
	in.consume(p)
	in.pending = n
	in.off += int64(n)
	r.frame++
	r.ifaces[ifc.global].Frames++
	end := 28 + int(caplen)
	*f = Frame{
		Data: h[28:end:end],
		Info: Info{
			Frame:     r.frame,
			TS:        ifc.ns(ts),
			CapLen:    int(caplen),
			OrigLen:   int(in.u32(h[24:28])),
			LinkType:  ifc.link,
			Interface: ifc.local,
		},
	}
	return true
}

func (r *Reader) readIDB(in *input, b []byte, start int64) error {
	if len(b) < 16 {
		return &CorruptError{Name: in.name, Offset: start, Msg: fmt.Sprintf("interface description at offset %d is too short", start)}
	}
	if len(r.ifaces)-in.ifBase >= maxInterfaces {
		return &CorruptError{Name: in.name, Offset: start, Msg: fmt.Sprintf("interface description at offset %d: more than %d interfaces", start, maxInterfaces)}
	}
	o := in.order
	ifc := ngIface{
		link:    LinkType(o.Uint16(b[8:10])),
		snaplen: o.Uint32(b[12:16]),
		exp:     6,
		mul:     1000,
		global:  len(r.ifaces),
		local:   len(in.section),
	}
	info := InterfaceInfo{File: in.name, Section: in.sections - 1, Index: ifc.local, LinkType: ifc.link, Snaplen: int(min(ifc.snaplen, 1<<31-1))}
	opts := b[16:]
	for len(opts) >= 4 {
		code := o.Uint16(opts[0:2])
		olen := int(o.Uint16(opts[2:4]))
		if code == 0 {
			break
		}
		if 4+olen > len(opts) {
			break // a bad option list ends the options, as in Wireshark
		}
		val := opts[4 : 4+olen]
		switch {
		case code == 2: // if_name
			r.names -= len(info.Name)
			info.Name, info.NameCut = "", false
			if len(val) > MaxIfName {
				cut := MaxIfName
				for cut > MaxIfName-3 && !utf8.RuneStart(val[cut]) { // not inside a character
					cut--
				}
				val, info.NameCut = val[:cut], true
			}
			if r.names+len(val) > MaxIfNamesTotal {
				info.NameCut = true
			} else {
				info.Name = string(val)
				r.names += len(val)
			}
		case code == 9 && olen >= 1: // if_tsresol
			v := val[0]
			ifc.pow2 = v&0x80 != 0
			ifc.exp = v & 0x7f
			if ifc.pow2 {
				if ifc.exp > 63 {
					return &CorruptError{Name: in.name, Offset: start, Msg: fmt.Sprintf("interface description at offset %d: unsupported if_tsresol 2^-%d", start, ifc.exp)}
				}
			} else {
				if ifc.exp > 19 {
					return &CorruptError{Name: in.name, Offset: start, Msg: fmt.Sprintf("interface description at offset %d: unsupported if_tsresol 10^-%d", start, ifc.exp)}
				}
				ifc.mul, ifc.div = 1, 1
				if ifc.exp <= 9 {
					for i := ifc.exp; i < 9; i++ {
						ifc.mul *= 10
					}
				} else {
					for i := uint8(9); i < ifc.exp; i++ {
						ifc.div *= 10
					}
				}
			}
		case code == 14 && olen >= 8: // if_tsoffset, seconds
			ifc.offset = int64(o.Uint64(val)) * 1e9
		}
		opts = opts[4+(olen+3)&^3:]
	}
	in.section = append(in.section, ifc)
	r.ifaces = append(r.ifaces, info)
	return nil
}

// ns converts a pcapng timestamp of interface ifc to nanoseconds since the epoch.
func (ifc *ngIface) ns(ts uint64) int64 {
	var v int64
	switch {
	case ifc.pow2:
		n := uint(ifc.exp)
		if n == 0 {
			v = int64(ts) * 1e9
			break
		}
		sec := ts >> n
		frac := ts & (1<<n - 1)
		hi, lo := bits.Mul64(frac, 1e9)
		v = int64(sec)*1e9 + int64(hi<<(64-n)|lo>>n)
	case ifc.div > 1:
		v = int64(ts / ifc.div)
	default:
		v = int64(ts) * ifc.mul
	}
	return v + ifc.offset
}

func (r *Reader) iface(in *input, id uint32, start int64) (*ngIface, error) {
	if id >= uint32(len(in.section)) {
		return nil, &CorruptError{Name: in.name, Offset: start, Frame: r.frame + 1,
			Msg: fmt.Sprintf("packet %d at offset %d refers to interface %d, but the section has %d", r.frame+1, start, id, len(in.section))}
	}
	return &in.section[id], nil
}

// packet decodes an Enhanced Packet Block or an obsolete Packet Block; b is the block
// without its trailing length (or its first bufSize bytes).
func (r *Reader) packet(in *input, b []byte, btype uint32, start int64) (Frame, error) {
	if len(b) < 28 {
		return Frame{}, r.tooShort(in, start)
	}
	o := in.order
	var id uint32
	if btype == blockEPB {
		id = o.Uint32(b[8:12])
	} else {
		id = uint32(o.Uint16(b[8:10]))
	}
	ifc, err := r.iface(in, id, start)
	if err != nil {
		return Frame{}, err
	}
	ts := uint64(o.Uint32(b[12:16]))<<32 | uint64(o.Uint32(b[16:20]))
	caplen := o.Uint32(b[20:24])
	if caplen > MaxCapLen {
		return Frame{}, &CorruptError{Name: in.name, Offset: start, Frame: r.frame + 1,
			Msg: fmt.Sprintf("record %d at offset %d claims %d bytes", r.frame+1, start, caplen)}
	}
	if uint32(len(b)-28) < caplen {
		return Frame{}, r.tooShort(in, start)
	}
	end := 28 + int(caplen)
	r.frame++
	r.ifaces[ifc.global].Frames++
	return Frame{
		Data: b[28:end:end],
		Info: Info{
			Frame:     r.frame,
			TS:        ifc.ns(ts),
			CapLen:    int(caplen),
			OrigLen:   int(o.Uint32(b[24:28])),
			LinkType:  ifc.link,
			Interface: ifc.local,
		},
	}, nil
}

func (r *Reader) tooShort(in *input, start int64) error {
	return &CorruptError{Name: in.name, Offset: start, Frame: r.frame + 1,
		Msg: fmt.Sprintf("packet %d at offset %d: block too short for its contents", r.frame+1, start)}
}

// simplePacket decodes a Simple Packet Block: interface 0, no timestamp, captured length
// min(original length, interface 0 snaplen).
func (r *Reader) simplePacket(in *input, b []byte, start int64) (Frame, error) {
	if len(b) < 12 {
		return Frame{}, r.tooShort(in, start)
	}
	ifc, err := r.iface(in, 0, start)
	if err != nil {
		return Frame{}, err
	}
	orig := in.order.Uint32(b[8:12])
	caplen := orig
	if ifc.snaplen != 0 && caplen > ifc.snaplen {
		caplen = ifc.snaplen
	}
	if caplen > MaxCapLen {
		return Frame{}, &CorruptError{Name: in.name, Offset: start, Frame: r.frame + 1,
			Msg: fmt.Sprintf("record %d at offset %d claims %d bytes", r.frame+1, start, caplen)}
	}
	if uint32(len(b)-12) < caplen {
		return Frame{}, r.tooShort(in, start)
	}
	end := 12 + int(caplen)
	r.frame++
	r.ifaces[ifc.global].Frames++
	return Frame{
		Data: b[12:end:end],
		Info: Info{
			Frame:     r.frame,
			CapLen:    int(caplen),
			OrigLen:   int(orig),
			LinkType:  ifc.link,
			Interface: ifc.local,
		},
	}, nil
}
