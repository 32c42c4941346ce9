package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
)

// Test captures are built from these field structs rather than stored as opaque bytes.

type pcapRec struct {
	sec, frac uint32
	data      []byte
	caplen    int // 0: len(data)
	orig      int // 0: len(data)
}

type pcapFile struct {
	big      bool
	nano     bool
	modified bool // Kuznetzov format: 8 more bytes per record header
	snaplen  uint32
	link     uint32
	recs     []pcapRec
}

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func order(big bool) byteOrder {
	if big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (p pcapFile) bytes() []byte {
	o := order(p.big)
	magic := uint32(0xa1b2c3d4)
	if p.nano {
		magic = 0xa1b23c4d
	}
	if p.modified {
		magic = 0xa1b2cd34
	}
	var b []byte
	b = o.AppendUint32(b, magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = o.AppendUint32(b, 0)
	b = o.AppendUint32(b, 0)
	b = o.AppendUint32(b, p.snaplen)
	b = o.AppendUint32(b, p.link)
	for _, r := range p.recs {
		c, l := r.caplen, r.orig
		if c == 0 {
			c = len(r.data)
		}
		if l == 0 {
			l = len(r.data)
		}
		b = o.AppendUint32(b, r.sec)
		b = o.AppendUint32(b, r.frac)
		b = o.AppendUint32(b, uint32(c))
		b = o.AppendUint32(b, uint32(l))
		if p.modified {
			b = append(b, 1, 0, 0, 0, 0, 0, 0, 0) // ifindex, protocol, pkt_type, pad
		}
		b = append(b, r.data...)
	}
	return b
}

// pcapng blocks

type ngSection struct {
	big    bool
	blocks []ngBlock
}

type ngBlock interface {
	body(o byteOrder) (uint32, []byte)
}

type idb struct {
	link     uint16
	snaplen  uint32
	tsresol  int // -1: absent; else the raw option byte
	tsoffset int64
	name     string
}

type epb struct {
	iface uint32
	ts    uint64
	data  []byte
	orig  int // 0: len(data)
}

type opb struct {
	iface uint16
	ts    uint64
	data  []byte
	orig  int
}

type spb struct {
	orig int
	data []byte // what the block stores (snaplen-limited by the writer)
}

type rawBlock struct {
	typ  uint32
	data []byte
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func opt(o byteOrder, b []byte, code uint16, val []byte) []byte {
	b = o.AppendUint16(b, code)
	b = o.AppendUint16(b, uint16(len(val)))
	b = append(b, val...)
	return pad4(b)
}

func (i idb) body(o byteOrder) (uint32, []byte) {
	var b []byte
	b = o.AppendUint16(b, i.link)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint32(b, i.snaplen)
	if i.name != "" {
		b = opt(o, b, 2, []byte(i.name))
	}
	if i.tsresol >= 0 {
		b = opt(o, b, 9, []byte{byte(i.tsresol)})
	}
	if i.tsoffset != 0 {
		b = opt(o, b, 14, o.AppendUint64(nil, uint64(i.tsoffset)))
	}
	if len(b) > 8 {
		b = opt(o, b, 0, nil)
	}
	return blockIDB, b
}

func (e epb) body(o byteOrder) (uint32, []byte) {
	orig := e.orig
	if orig == 0 {
		orig = len(e.data)
	}
	var b []byte
	b = o.AppendUint32(b, e.iface)
	b = o.AppendUint32(b, uint32(e.ts>>32))
	b = o.AppendUint32(b, uint32(e.ts))
	b = o.AppendUint32(b, uint32(len(e.data)))
	b = o.AppendUint32(b, uint32(orig))
	b = pad4(append(b, e.data...))
	b = opt(o, b, 1, []byte("a comment")) // opt_comment, to be skipped
	b = opt(o, b, 0, nil)
	return blockEPB, b
}

func (e opb) body(o byteOrder) (uint32, []byte) {
	orig := e.orig
	if orig == 0 {
		orig = len(e.data)
	}
	var b []byte
	b = o.AppendUint16(b, e.iface)
	b = o.AppendUint16(b, 0) // drops
	b = o.AppendUint32(b, uint32(e.ts>>32))
	b = o.AppendUint32(b, uint32(e.ts))
	b = o.AppendUint32(b, uint32(len(e.data)))
	b = o.AppendUint32(b, uint32(orig))
	b = pad4(append(b, e.data...))
	return blockOPB, b
}

func (s spb) body(o byteOrder) (uint32, []byte) {
	b := o.AppendUint32(nil, uint32(s.orig))
	return blockSPB, pad4(append(b, s.data...))
}

func (r rawBlock) body(o byteOrder) (uint32, []byte) { return r.typ, pad4(r.data) }

func appendBlock(o byteOrder, b []byte, typ uint32, body []byte) []byte {
	n := uint32(12 + len(body))
	b = o.AppendUint32(b, typ)
	b = o.AppendUint32(b, n)
	b = append(b, body...)
	return o.AppendUint32(b, n)
}

func pcapngBytes(sections ...ngSection) []byte {
	var b []byte
	for _, s := range sections {
		o := order(s.big)
		var shb []byte
		shb = o.AppendUint32(shb, 0x1A2B3C4D)
		shb = o.AppendUint16(shb, 1)
		shb = o.AppendUint16(shb, 0)
		shb = o.AppendUint64(shb, ^uint64(0))
		b = appendBlock(o, b, blockSHB, shb)
		for _, blk := range s.blocks {
			t, body := blk.body(o)
			b = appendBlock(o, b, t, body)
		}
	}
	return b
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// frameData returns n bytes that identify frame i.
func frameData(i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	return b
}
