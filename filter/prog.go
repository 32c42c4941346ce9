package filter

import (
	"fmt"
	"strings"

	"golang.org/x/net/bpf"
)

// DefaultSnaplen is what an accepting program returns, as tcpdump's: the number of bytes
// a socket filter keeps of a matching packet.
const DefaultSnaplen = 262144

// Program is an expression compiled for one link type.
type Program struct {
	link  LinkType
	ins   []bpf.Instruction
	raw   []bpf.RawInstruction
	fast  []fastIns
	reach bool // false when the program rejects every packet without looking at it
}

// Compile parses expr and compiles it for link. The empty expression accepts every
// packet. Errors are *SyntaxError (with a column) or *LinkError.
func Compile(expr string, link LinkType, snaplen int) (*Program, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return compileNode(n, link, snaplen)
}

func compileNode(n node, link LinkType, snaplen int) (*Program, error) {
	if snaplen <= 0 {
		snaplen = DefaultSnaplen
	}
	g, err := newGen(link)
	if err != nil {
		return nil, err
	}
	f := fTrue
	if n != nil {
		if f, err = g.node(n); err != nil {
			return nil, err
		}
	}
	accept := &blk{ret: true, retVal: uint32(snaplen)}
	reject := &blk{ret: true}
	var root *blk
	switch f.konst {
	case 1:
		root = accept
	case -1:
		root = reject
	default:
		patch(f.t, accept)
		patch(f.f, reject)
		root = f.head
		optimize(root)
	}
	ins := layout(root)
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return nil, fmt.Errorf("filter: internal error: %v", err)
	}
	p := &Program{link: link, ins: ins, raw: raw}
	p.fast = compileFast(raw)
	return p, nil
}

// LinkType returns the link type the program was compiled for.
func (p *Program) LinkType() LinkType { return p.link }

// Instructions returns the program as golang.org/x/net/bpf instructions (for its VM or
// for a socket filter). The caller must not modify it.
func (p *Program) Instructions() []bpf.Instruction { return p.ins }

// Raw returns the program in the kernel's encoding. The caller must not modify it.
func (p *Program) Raw() []bpf.RawInstruction { return p.raw }

// layout orders the blocks (every jump goes forward), inserts unconditional jumps where
// a conditional one would skip more than 255 instructions, and emits the program.
func layout(root *blk) []bpf.Instruction {
	var order []*blk
	seen := map[*blk]bool{}
	var rets []*blk
	var visit func(b *blk)
	visit = func(b *blk) {
		if b == nil || seen[b] {
			return
		}
		seen[b] = true
		if b.ret {
			rets = append(rets, b)
			return
		}
		if b.ja != nil {
			visit(b.ja)
		} else {
			visit(b.jf)
			visit(b.jt)
		}
		order = append(order, b)
	}
	visit(root)
	// reverse postorder, returns last (accepting first, as tcpdump prints them)
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	if len(rets) == 2 && rets[0].retVal == 0 {
		rets[0], rets[1] = rets[1], rets[0]
	}
	order = append(order, rets...)
	for {
		pos := 0
		for _, b := range order {
			b.pos = pos
			pos += len(b.stmts) + 1
		}
		fixed := true
		for i := 0; i < len(order) && fixed; i++ {
			b := order[i]
			if b.ret || b.ja != nil {
				continue
			}
			at := b.pos + len(b.stmts) + 1
			for _, e := range []**blk{&b.jt, &b.jf} {
				if (*e).pos-at > 255 {
					tr := &blk{ja: *e}
					*e = tr
					order = append(order[:i+1], append([]*blk{tr}, order[i+1:]...)...)
					fixed = false
					break
				}
			}
		}
		if fixed {
			break
		}
	}
	var ins []bpf.Instruction
	for _, b := range order {
		ins = append(ins, b.stmts...)
		at := b.pos + len(b.stmts) + 1
		switch {
		case b.ret:
			ins = append(ins, bpf.RetConstant{Val: b.retVal})
		case b.ja != nil:
			ins = append(ins, bpf.Jump{Skip: uint32(b.ja.pos - at)})
		case b.useX:
			ins = append(ins, bpf.JumpIfX{Cond: b.cond, SkipTrue: uint8(b.jt.pos - at), SkipFalse: uint8(b.jf.pos - at)})
		default:
			ins = append(ins, bpf.JumpIf{Cond: b.cond, Val: b.k, SkipTrue: uint8(b.jt.pos - at), SkipFalse: uint8(b.jf.pos - at)})
		}
	}
	return ins
}

// String returns the program as 'tcpdump -d' prints it.
func (p *Program) String() string { return Image(p.raw) }

// image formats one instruction as libpcap's bpf_image.
func image(r bpf.RawInstruction, n int) string {
	var op, operand string
	k := r.K
	cond := false
	switch r.Op {
	case 0x06: // ret k
		op, operand = "ret", fmt.Sprintf("#%d", k)
	case 0x16:
		op, operand = "ret", ""
	case 0x20:
		op, operand = "ld", fmt.Sprintf("[%d]", k)
	case 0x28:
		op, operand = "ldh", fmt.Sprintf("[%d]", k)
	case 0x30:
		op, operand = "ldb", fmt.Sprintf("[%d]", k)
	case 0x80:
		op, operand = "ld", "#pktlen"
	case 0x40:
		op, operand = "ld", fmt.Sprintf("[x + %d]", k)
	case 0x48:
		op, operand = "ldh", fmt.Sprintf("[x + %d]", k)
	case 0x50:
		op, operand = "ldb", fmt.Sprintf("[x + %d]", k)
	case 0x00:
		op, operand = "ld", fmt.Sprintf("#0x%x", k)
	case 0x01:
		op, operand = "ldx", fmt.Sprintf("#0x%x", k)
	case 0x81:
		op, operand = "ldx", "#pktlen"
	case 0x60:
		op, operand = "ld", fmt.Sprintf("M[%d]", k)
	case 0x61:
		op, operand = "ldx", fmt.Sprintf("M[%d]", k)
	case 0xb1:
		op, operand = "ldxb", fmt.Sprintf("4*([%d]&0xf)", k)
	case 0x02:
		op, operand = "st", fmt.Sprintf("M[%d]", k)
	case 0x03:
		op, operand = "stx", fmt.Sprintf("M[%d]", k)
	case 0x05:
		op, operand = "ja", fmt.Sprintf("%d", n+1+int(k))
	case 0x15, 0x25, 0x35, 0x45:
		op, operand, cond = map[uint16]string{0x15: "jeq", 0x25: "jgt", 0x35: "jge", 0x45: "jset"}[r.Op], fmt.Sprintf("#0x%x", k), true
	case 0x1d, 0x2d, 0x3d, 0x4d:
		op, operand, cond = map[uint16]string{0x1d: "jeq", 0x2d: "jgt", 0x3d: "jge", 0x4d: "jset"}[r.Op], "x", true
	case 0x87:
		op = "txa"
	case 0x07:
		op = "tax"
	case 0x84:
		op = "neg"
	default:
		if r.Op&0x07 == 0x04 { // ALU
			name := map[uint16]string{0x00: "add", 0x10: "sub", 0x20: "mul", 0x30: "div", 0x40: "or", 0x50: "and", 0x60: "lsh", 0x70: "rsh", 0x90: "mod", 0xa0: "xor"}[r.Op&0xf0]
			op = name
			if r.Op&0x08 != 0 {
				operand = "x"
			} else if name == "and" || name == "or" || name == "xor" {
				operand = fmt.Sprintf("#0x%x", k)
			} else {
				operand = fmt.Sprintf("#%d", k)
			}
		} else {
			op, operand = "unimp", fmt.Sprintf("0x%x", r.Op)
		}
	}
	if cond {
		return fmt.Sprintf("(%03d) %-8s %-16s jt %d\tjf %d", n, op, operand, n+1+int(r.Jt), n+1+int(r.Jf))
	}
	return fmt.Sprintf("(%03d) %-8s %s", n, op, operand)
}

// Image formats a raw program as 'tcpdump -d' prints it.
func Image(raw []bpf.RawInstruction) string {
	var sb strings.Builder
	for i, r := range raw {
		sb.WriteString(image(r, i))
		sb.WriteByte('\n')
	}
	return sb.String()
}
