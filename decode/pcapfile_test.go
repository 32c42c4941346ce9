package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// testFrame is one record of a capture file, numbered as Wireshark numbers them.
type testFrame struct {
	num     uint64
	data    []byte
	origLen int
	ts      int64
	link    LinkType
}

// readCapture reads a whole pcap or pcapng file (optionally gzipped). It is a small
// test helper, independent of package capture.
func readCapture(path string) ([]testFrame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	if len(b) < 24 {
		return nil, errors.New("short file")
	}
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1:
		return readPcap(b)
	case 0x0a0d0d0a:
		return readPcapng(b)
	}
	return nil, fmt.Errorf("unknown magic % x", b[:4])
}

func readPcap(b []byte) ([]testFrame, error) {
	var o binary.ByteOrder = binary.LittleEndian
	magic := o.Uint32(b)
	if magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1 {
		o = binary.BigEndian
		magic = o.Uint32(b)
	}
	nano := magic == 0xa1b23c4d
	link := LinkType(o.Uint32(b[20:]) & 0xffff)
	var out []testFrame
	b = b[24:]
	for n := uint64(1); len(b) >= 16; n++ {
		sec, frac := int64(o.Uint32(b)), int64(o.Uint32(b[4:]))
		capLen, origLen := int(o.Uint32(b[8:])), int(o.Uint32(b[12:]))
		if capLen > len(b)-16 {
			return out, errors.New("truncated record")
		}
		if !nano {
			frac *= 1000
		}
		out = append(out, testFrame{num: n, data: b[16 : 16+capLen], origLen: origLen, ts: sec*1e9 + frac, link: link})
		b = b[16+capLen:]
	}
	return out, nil
}

func readPcapng(b []byte) ([]testFrame, error) {
	var o binary.ByteOrder = binary.LittleEndian
	var links []LinkType
	var out []testFrame
	n := uint64(0)
	for len(b) >= 12 {
		typ := o.Uint32(b)
		if typ == 0x0a0d0d0a {
			if binary.LittleEndian.Uint32(b[8:]) == 0x1a2b3c4d {
				o = binary.LittleEndian
			} else {
				o = binary.BigEndian
			}
			links = links[:0]
		}
		bl := int(o.Uint32(b[4:]))
		if bl < 12 || bl > len(b) {
			return out, errors.New("bad block length")
		}
		body := b[8 : bl-4]
		switch typ {
		case 1: // IDB
			links = append(links, LinkType(o.Uint16(body)))
		case 6, 2: // EPB, obsolete PB
			if len(body) < 20 {
				return out, errors.New("short EPB")
			}
			var ifc int
			if typ == 6 {
				ifc = int(o.Uint32(body))
			} else {
				ifc = int(o.Uint16(body))
			}
			ts := int64(uint64(o.Uint32(body[4:]))<<32 | uint64(o.Uint32(body[8:])))
			capLen, origLen := int(o.Uint32(body[12:])), int(o.Uint32(body[16:]))
			if capLen > len(body)-20 || ifc >= len(links) {
				return out, errors.New("bad EPB")
			}
			n++
			out = append(out, testFrame{num: n, data: body[20 : 20+capLen], origLen: origLen, ts: ts * 1000, link: links[ifc]})
		case 3: // SPB
			origLen := int(o.Uint32(body))
			capLen := min(origLen, len(body)-4)
			n++
			out = append(out, testFrame{num: n, data: body[4 : 4+capLen], origLen: origLen, link: links[0]})
		}
		b = b[bl:]
	}
	return out, nil
}
