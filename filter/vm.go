package filter

import (
	"encoding/binary"

	"golang.org/x/net/bpf"
)

// The fast interpreter. It runs the program the assembler produced (the same
// instructions golang.org/x/net/bpf's VM runs, which stays the reference: tests compare
// the two on every capture) with dense opcodes, so Go compiles its switch to a jump
// table, and with 'len' as the packet's length on the wire, as in libpcap and the kernel
// (x/net/bpf's VM only knows the captured bytes).

type fastOp uint8

const (
	fRetK fastOp = iota
	fRetA
	fLdW
	fLdH
	fLdB
	fLdIndW
	fLdIndH
	fLdIndB
	fLdImm
	fLdLen
	fLdMem
	fLdxImm
	fLdxLen
	fLdxMem
	fLdxMsh
	fSt
	fStx
	fJa
	fJeqK
	fJgtK
	fJgeK
	fJsetK
	fJeqX
	fJgtX
	fJgeX
	fJsetX
	fAddK
	fSubK
	fMulK
	fDivK
	fModK
	fAndK
	fOrK
	fXorK
	fLshK
	fRshK
	fAddX
	fSubX
	fMulX
	fDivX
	fModX
	fAndX
	fOrX
	fXorX
	fLshX
	fRshX
	fNeg
	fTax
	fTxa
	fBad
	// fused: a load and the conditional jump after it, in one dispatch (the jump stays
	// at the next index, for any jump that targets it)
	fLdBJ
	fLdHJ
	fLdWJ
	fLdIndBJ
	fLdIndHJ
	fLdIndWJ
	// the same with jeq, the most common test, without the test's switch
	fLdBJeq
	fLdHJeq
	fLdWJeq
	fLdIndHJeq
)

type fastIns struct {
	op     fastOp
	cond   fastOp // of a fused instruction: fJeqK, fJgtK, fJgeK or fJsetK
	jt, jf uint8
	k      uint32
	k2     uint32 // of a fused instruction: the jump's constant
}

var aluFast = map[uint16]fastOp{0x00: fAddK, 0x10: fSubK, 0x20: fMulK, 0x30: fDivK, 0x90: fModK,
	0x50: fAndK, 0x40: fOrK, 0xa0: fXorK, 0x60: fLshK, 0x70: fRshK}

func compileFast(raw []bpf.RawInstruction) []fastIns {
	out := make([]fastIns, len(raw))
	for i, r := range raw {
		o := fBad
		switch r.Op {
		case 0x06:
			o = fRetK
		case 0x16:
			o = fRetA
		case 0x20:
			o = fLdW
		case 0x28:
			o = fLdH
		case 0x30:
			o = fLdB
		case 0x40:
			o = fLdIndW
		case 0x48:
			o = fLdIndH
		case 0x50:
			o = fLdIndB
		case 0x00:
			o = fLdImm
		case 0x80:
			o = fLdLen
		case 0x60:
			o = fLdMem
		case 0x01:
			o = fLdxImm
		case 0x81:
			o = fLdxLen
		case 0x61:
			o = fLdxMem
		case 0xb1:
			o = fLdxMsh
		case 0x02:
			o = fSt
		case 0x03:
			o = fStx
		case 0x05:
			o = fJa
		case 0x15:
			o = fJeqK
		case 0x25:
			o = fJgtK
		case 0x35:
			o = fJgeK
		case 0x45:
			o = fJsetK
		case 0x1d:
			o = fJeqX
		case 0x2d:
			o = fJgtX
		case 0x3d:
			o = fJgeX
		case 0x4d:
			o = fJsetX
		case 0x84:
			o = fNeg
		case 0x07:
			o = fTax
		case 0x87:
			o = fTxa
		default:
			if r.Op&0x07 == 0x04 {
				if a, ok := aluFast[r.Op&0xf0]; ok {
					o = a
					if r.Op&0x08 != 0 {
						o += fAddX - fAddK
					}
				}
			}
		}
		out[i] = fastIns{op: o, jt: r.Jt, jf: r.Jf, k: r.K}
	}
	for i := 0; i+1 < len(out); i++ {
		j := out[i+1]
		if j.op < fJeqK || j.op > fJsetK {
			continue
		}
		var f fastOp
		switch out[i].op {
		case fLdB:
			f = fLdBJ
		case fLdH:
			f = fLdHJ
		case fLdW:
			f = fLdWJ
		case fLdIndB:
			f = fLdIndBJ
		case fLdIndH:
			f = fLdIndHJ
		case fLdIndW:
			f = fLdIndWJ
		default:
			continue
		}
		if j.op == fJeqK {
			switch f {
			case fLdBJ:
				f = fLdBJeq
			case fLdHJ:
				f = fLdHJeq
			case fLdWJ:
				f = fLdWJeq
			case fLdIndHJ:
				f = fLdIndHJeq
			}
		}
		out[i] = fastIns{op: f, cond: j.op, jt: j.jt, jf: j.jf, k: out[i].k, k2: j.k}
	}
	return out
}

// branch returns how far a fused instruction jumps past its own jump.
func branch(in *fastIns, a uint32) int {
	var ok bool
	switch in.cond {
	case fJeqK:
		ok = a == in.k2
	case fJgtK:
		ok = a > in.k2
	case fJgeK:
		ok = a >= in.k2
	default:
		ok = a&in.k2 != 0
	}
	if ok {
		return 1 + int(in.jt)
	}
	return 1 + int(in.jf)
}

// Run runs the program on a frame's captured bytes; wireLen is its length on the wire
// ('len' in expressions). It returns what the program returns: 0 rejects, anything else
// accepts (a socket keeps that many bytes). A load past the captured bytes rejects, as
// in every BPF implementation. It does not allocate.
func (p *Program) Run(data []byte, wireLen int) uint32 {
	var a, x uint32
	var mem [16]uint32
	ins := p.fast
	n := uint32(len(data))
	for pc := 0; pc < len(ins); pc++ {
		in := &ins[pc]
		switch in.op {
		case fLdHJeq:
			if in.k > n || n-in.k < 2 {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[in.k:]))
			if a == in.k2 {
				pc += 1 + int(in.jt)
			} else {
				pc += 1 + int(in.jf)
			}
		case fLdBJeq:
			if in.k >= n {
				return 0
			}
			a = uint32(data[in.k])
			if a == in.k2 {
				pc += 1 + int(in.jt)
			} else {
				pc += 1 + int(in.jf)
			}
		case fLdWJeq:
			if in.k > n || n-in.k < 4 {
				return 0
			}
			a = binary.BigEndian.Uint32(data[in.k:])
			if a == in.k2 {
				pc += 1 + int(in.jt)
			} else {
				pc += 1 + int(in.jf)
			}
		case fLdIndHJeq:
			o := uint64(x) + uint64(in.k)
			if o+2 > uint64(n) {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[o:]))
			if a == in.k2 {
				pc += 1 + int(in.jt)
			} else {
				pc += 1 + int(in.jf)
			}
		case fLdHJ:
			if in.k > n || n-in.k < 2 {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[in.k:]))
			pc += branch(in, a)
		case fLdBJ:
			if in.k >= n {
				return 0
			}
			a = uint32(data[in.k])
			pc += branch(in, a)
		case fLdWJ:
			if in.k > n || n-in.k < 4 {
				return 0
			}
			a = binary.BigEndian.Uint32(data[in.k:])
			pc += branch(in, a)
		case fLdIndHJ:
			o := uint64(x) + uint64(in.k)
			if o+2 > uint64(n) {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[o:]))
			pc += branch(in, a)
		case fLdIndBJ:
			o := uint64(x) + uint64(in.k)
			if o >= uint64(n) {
				return 0
			}
			a = uint32(data[o])
			pc += branch(in, a)
		case fLdIndWJ:
			o := uint64(x) + uint64(in.k)
			if o+4 > uint64(n) {
				return 0
			}
			a = binary.BigEndian.Uint32(data[o:])
			pc += branch(in, a)
		case fRetK:
			return in.k
		case fRetA:
			return a
		case fLdW:
			if in.k > n || n-in.k < 4 {
				return 0
			}
			a = binary.BigEndian.Uint32(data[in.k:])
		case fLdH:
			if in.k > n || n-in.k < 2 {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[in.k:]))
		case fLdB:
			if in.k >= n {
				return 0
			}
			a = uint32(data[in.k])
		case fLdIndW:
			o := uint64(x) + uint64(in.k)
			if o+4 > uint64(n) {
				return 0
			}
			a = binary.BigEndian.Uint32(data[o:])
		case fLdIndH:
			o := uint64(x) + uint64(in.k)
			if o+2 > uint64(n) {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(data[o:]))
		case fLdIndB:
			o := uint64(x) + uint64(in.k)
			if o >= uint64(n) {
				return 0
			}
			a = uint32(data[o])
		case fLdImm:
			a = in.k
		case fLdLen:
			a = uint32(wireLen)
		case fLdMem:
			a = mem[in.k&15]
		case fLdxImm:
			x = in.k
		case fLdxLen:
			x = uint32(wireLen)
		case fLdxMem:
			x = mem[in.k&15]
		case fLdxMsh:
			if in.k >= n {
				return 0
			}
			x = uint32(data[in.k]&0xf) << 2
		case fSt:
			mem[in.k&15] = a
		case fStx:
			mem[in.k&15] = x
		case fJa:
			pc += int(in.k)
		case fJeqK:
			if a == in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJgtK:
			if a > in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJgeK:
			if a >= in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJsetK:
			if a&in.k != 0 {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJeqX:
			if a == x {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJgtX:
			if a > x {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJgeX:
			if a >= x {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fJsetX:
			if a&x != 0 {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case fAddK:
			a += in.k
		case fSubK:
			a -= in.k
		case fMulK:
			a *= in.k
		case fDivK:
			if in.k == 0 {
				return 0
			}
			a /= in.k
		case fModK:
			if in.k == 0 {
				return 0
			}
			a %= in.k
		case fAndK:
			a &= in.k
		case fOrK:
			a |= in.k
		case fXorK:
			a ^= in.k
		case fLshK:
			a = shl(a, in.k)
		case fRshK:
			a = shr(a, in.k)
		case fAddX:
			a += x
		case fSubX:
			a -= x
		case fMulX:
			a *= x
		case fDivX:
			if x == 0 {
				return 0
			}
			a /= x
		case fModX:
			if x == 0 {
				return 0
			}
			a %= x
		case fAndX:
			a &= x
		case fOrX:
			a |= x
		case fXorX:
			a ^= x
		case fLshX:
			a = shl(a, x)
		case fRshX:
			a = shr(a, x)
		case fNeg:
			a = -a
		case fTax:
			x = a
		case fTxa:
			a = x
		default:
			return 0
		}
	}
	return 0
}

// shl and shr shift as Go (and x/net/bpf's VM) do: by 32 or more gives 0.
func shl(a, s uint32) uint32 {
	if s >= 32 {
		return 0
	}
	return a << s
}

func shr(a, s uint32) uint32 {
	if s >= 32 {
		return 0
	}
	return a >> s
}
