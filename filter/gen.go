package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// blk is a basic block of the program under construction: statements, then either a
// conditional jump (on A compared with k, or with X) or a return.
type blk struct {
	stmts  []bpf.Instruction
	cond   bpf.JumpTest // JumpEqual, JumpGreaterThan, JumpGreaterOrEqual or JumpBitsSet
	k      uint32
	useX   bool
	jt, jf *blk
	ret    bool
	retVal uint32
	ja     *blk // a trampoline: an unconditional jump (only made by layout)

	// layout and optimisation state
	pos   int
	order int
}

// frag is the code of a boolean expression: a head block whose true and false exits
// are still open (pointers to the successor fields to fill in), or a constant.
type frag struct {
	head  *blk
	konst int8 // 0: code; 1: always true; -1: always false
	t, f  []**blk
}

var (
	fTrue  = frag{konst: 1}
	fFalse = frag{konst: -1}
)

func patch(exits []**blk, to *blk) {
	for _, e := range exits {
		*e = to
	}
}

func leaf(stmts []bpf.Instruction, cond bpf.JumpTest, k uint32) frag {
	b := &blk{stmts: stmts, cond: cond, k: k}
	return frag{head: b, t: []**blk{&b.jt}, f: []**blk{&b.jf}}
}

func and(a, b frag) frag {
	switch {
	case a.konst < 0:
		return a
	case a.konst > 0:
		return b
	case b.konst > 0:
		return a
	case b.konst < 0:
		// the left side's loads still run (a load past the end rejects the packet), but
		// the result is false either way
		return fFalse
	}
	patch(a.t, b.head)
	return frag{head: a.head, t: b.t, f: append(a.f, b.f...)}
}

func or(a, b frag) frag {
	switch {
	case a.konst > 0:
		return a
	case a.konst < 0:
		return b
	case b.konst < 0:
		return a
	case b.konst > 0:
		return fTrue
	}
	patch(a.f, b.head)
	return frag{head: a.head, t: append(a.t, b.t...), f: b.f}
}

func not(a frag) frag {
	a.konst = -a.konst
	a.t, a.f = a.f, a.t
	return a
}

// gen generates code for one link type. Its offsets change as 'vlan' primitives are
// generated, as in libpcap.
type gen struct {
	link    LinkType
	kind    linkKind
	offLT   int // offset of the link-layer protocol field (Ethernet, SLL, SLL2)
	offNL   int // offset of the network-layer header
	scratch int // next free scratch memory word
	err     error
	col     int // column of the node being generated, for errors
}

func newGen(link LinkType) (*gen, error) {
	g := &gen{link: link}
	switch link {
	case LinkEthernet:
		g.kind, g.offLT, g.offNL = lkEther, 12, 14
	case LinkLinuxSLL:
		g.kind, g.offLT, g.offNL = lkSLL, 14, 16
	case LinkLinuxSLL2:
		g.kind, g.offLT, g.offNL = lkSLL, 0, 20
	case LinkNull:
		g.kind, g.offNL = lkNull, 4
	case LinkLoop:
		g.kind, g.offNL = lkLoop, 4
	case LinkRaw, LinkRaw12, LinkRaw14:
		g.kind = lkRaw
	case LinkIPv4:
		g.kind = lkIPv4
	case LinkIPv6:
		g.kind = lkIPv6
	case LinkNFLOG:
		g.kind = lkNFLOG
	default:
		return nil, &LinkError{Link: link}
	}
	return g, nil
}

// semErr is an error about what a valid expression means on a link type.
func semErr(col int, hint, format string, args ...any) error {
	return &SyntaxError{Col: col, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func ld(off int, size int) bpf.Instruction {
	return bpf.LoadAbsolute{Off: uint32(off), Size: size}
}

func (g *gen) cmp(off, size int, cond bpf.JumpTest, k uint32) frag {
	return leaf([]bpf.Instruction{ld(off, size)}, cond, k)
}

func (g *gen) mcmp(off, size int, cond bpf.JumpTest, k, mask uint32) frag {
	if mask == 0xffffffff {
		return g.cmp(off, size, cond, k)
	}
	return leaf([]bpf.Instruction{ld(off, size), bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask}}, cond, k)
}

const (
	etIP   = 0x0800
	etIP6  = 0x86dd
	etARP  = 0x0806
	etRARP = 0x8035
)

// linkProto tests the network protocol (an EtherType) of the frame.
func (g *gen) linkProto(et uint32) frag {
	switch g.kind {
	case lkNFLOG:
		if g.err == nil {
			g.err = semErr(g.col, "on NFLOG captures only len and link[...] tests work (as with tcpdump)", "NFLOG link-layer type filtering not implemented")
		}
		return fFalse
	case lkEther:
		if et > 1500 {
			return g.cmp(g.offLT, 2, bpf.JumpEqual, et)
		}
		// an 802.3 length field, then the LLC header's SAPs (libpcap's gen_llc_linktype)
		llc := not(g.cmp(g.offLT, 2, bpf.JumpGreaterThan, 1500))
		switch et {
		case 0x06, 0xfe, 0xf0:
			return and(llc, g.cmp(g.offNL, 2, bpf.JumpEqual, et<<8|et))
		}
		return and(llc, g.cmp(g.offNL, 1, bpf.JumpEqual, et))
	case lkSLL:
		return g.cmp(g.offLT, 2, bpf.JumpEqual, et)
	case lkNull, lkLoop:
		var fams []uint32
		switch et {
		case etIP:
			fams = []uint32{2}
		case etIP6:
			fams = []uint32{30, 24, 28} // Darwin, the BSDs, FreeBSD
		default:
			return fFalse
		}
		f := fFalse
		for _, fam := range fams {
			if g.kind == lkNull {
				// the address family is in the byte order of the capturing host; a
				// big-endian one and a little-endian one are both accepted
				f = or(f, g.cmp(0, 4, bpf.JumpEqual, fam<<24))
			}
			f = or(f, g.cmp(0, 4, bpf.JumpEqual, fam))
		}
		return f
	case lkRaw:
		switch et {
		case etIP:
			return g.mcmp(0, 1, bpf.JumpEqual, 0x40, 0xf0)
		case etIP6:
			return g.mcmp(0, 1, bpf.JumpEqual, 0x60, 0xf0)
		}
		return fFalse
	case lkIPv4:
		if et == etIP {
			return fTrue
		}
		return fFalse
	case lkIPv6:
		if et == etIP6 {
			return fTrue
		}
		return fFalse
	}
	return fFalse
}

func (g *gen) ipProto(v uint32) frag {
	return and(g.linkProto(etIP), g.cmp(g.offNL+9, 1, bpf.JumpEqual, v))
}

// ip6Proto tests the IPv6 next header, also behind one fragment header (as libpcap).
func (g *gen) ip6Proto(v uint32) frag {
	nh := or(g.cmp(g.offNL+6, 1, bpf.JumpEqual, v),
		and(g.cmp(g.offNL+6, 1, bpf.JumpEqual, 44), g.cmp(g.offNL+40, 1, bpf.JumpEqual, v)))
	return and(g.linkProto(etIP6), nh)
}

func (g *gen) anyProto(v uint32) frag { return or(g.ipProto(v), g.ip6Proto(v)) }

// notFrag is true for an unfragmented IPv4 packet or the first fragment.
func (g *gen) notFrag() frag {
	return not(g.cmp(g.offNL+6, 2, bpf.JumpBitsSet, 0x1fff))
}

func (g *gen) node(n node) (frag, error) {
	f, err := g.node1(n)
	if err == nil {
		err = g.err
	}
	return f, err
}

func (g *gen) node1(n node) (frag, error) {
	g.col = n.column()
	switch n := n.(type) {
	case *andOr:
		l, err := g.node1(n.l)
		if err != nil {
			return frag{}, err
		}
		r, err := g.node1(n.r)
		if err != nil {
			return frag{}, err
		}
		if n.and {
			return and(l, r), nil
		}
		return or(l, r), nil
	case *notNode:
		x, err := g.node1(n.x)
		return not(x), err
	case *relation:
		return g.relation(n)
	case *prim:
		return g.prim(n)
	}
	return frag{}, fmt.Errorf("filter: internal error: node %T", n)
}

var transport = map[qproto]uint32{qTCP: 6, qUDP: 17, qSCTP: 132, qICMP: 1, qIGMP: 2}

func (g *gen) prim(n *prim) (frag, error) {
	switch n.kind {
	case pProto:
		switch n.proto {
		case qIP:
			return g.linkProto(etIP), nil
		case qIP6:
			return g.linkProto(etIP6), nil
		case qARP:
			return g.linkProto(etARP), nil
		case qRARP:
			return g.linkProto(etRARP), nil
		case qTCP, qUDP, qSCTP:
			return g.anyProto(transport[n.proto]), nil
		case qICMP, qIGMP:
			return g.ipProto(transport[n.proto]), nil
		case qICMP6:
			return g.ip6Proto(58), nil
		}
	case pProtoNum:
		switch n.proto {
		case qLink:
			return g.linkProto(n.num), nil
		case qIP:
			return g.ipProto(n.num), nil
		case qIP6:
			return g.ip6Proto(n.num), nil
		}
		return g.anyProto(n.num), nil
	case pVlan:
		if g.kind != lkEther {
			return frag{}, semErr(n.col, "VLAN tags are in Ethernet frames only", "no VLAN support for %s", g.link)
		}
		tpid := or(or(g.cmp(g.offLT, 2, bpf.JumpEqual, 0x8100), g.cmp(g.offLT, 2, bpf.JumpEqual, 0x88a8)),
			g.cmp(g.offLT, 2, bpf.JumpEqual, 0x9100))
		if n.hasNum {
			tpid = and(tpid, g.mcmp(g.offLT+2, 2, bpf.JumpEqual, n.num, 0x0fff))
		}
		// what follows looks inside the tag, as in libpcap
		g.offLT += 4
		g.offNL += 4
		return tpid, nil
	case pEther:
		if g.kind != lkEther {
			return frag{}, semErr(n.col, "this capture's frames have no Ethernet header", "ethernet addresses supported only on ethernet, not %s", g.link)
		}
		return g.dir(n.dir, func(src bool) frag { return g.mac(n.mac, src) }), nil
	case pBroadcast, pMulticast:
		switch {
		case n.proto == qIP && n.kind == pBroadcast:
			return and(g.linkProto(etIP), or(g.cmp(g.offNL+16, 4, bpf.JumpEqual, 0), g.cmp(g.offNL+16, 4, bpf.JumpEqual, 0xffffffff))), nil
		case n.proto == qIP:
			return and(g.linkProto(etIP), g.cmp(g.offNL+16, 1, bpf.JumpGreaterOrEqual, 224)), nil
		case n.proto == qIP6:
			return and(g.linkProto(etIP6), g.cmp(g.offNL+24, 1, bpf.JumpEqual, 255)), nil
		}
		if g.kind != lkEther {
			return frag{}, semErr(n.col, "", "broadcast and multicast need an Ethernet header; %s has none", g.link)
		}
		if n.kind == pBroadcast {
			return g.mac([6]byte{255, 255, 255, 255, 255, 255}, false), nil
		}
		return g.cmp(0, 1, bpf.JumpBitsSet, 1), nil
	case pHost, pNet:
		return g.host(n)
	case pPort, pPortRange:
		return g.port(n)
	}
	return frag{}, fmt.Errorf("filter: internal error: primitive %d", n.kind)
}

// dir combines the source and destination tests of a direction qualifier, source first
// (libpcap's order, which decides which load runs first).
func (g *gen) dir(d qdir, test func(src bool) frag) frag {
	switch d {
	case dSrc:
		return test(true)
	case dDst:
		return test(false)
	case dAnd:
		return and(test(true), test(false))
	}
	return or(test(true), test(false))
}

func (g *gen) mac(m [6]byte, src bool) frag {
	off := 0
	if src {
		off = 6
	}
	lo := uint32(m[2])<<24 | uint32(m[3])<<16 | uint32(m[4])<<8 | uint32(m[5])
	return and(g.cmp(off+2, 4, bpf.JumpEqual, lo), g.cmp(off, 2, bpf.JumpEqual, uint32(m[0])<<8|uint32(m[1])))
}

func (g *gen) host(n *prim) (frag, error) {
	if n.addr.Addr().Is6() {
		a := n.addr.Addr().As16()
		bits := n.addr.Bits()
		test := func(src bool) frag {
			off := g.offNL + 24
			if src {
				off = g.offNL + 8
			}
			f := fTrue
			for w := 0; w < 4; w++ {
				mb := min(max(bits-32*w, 0), 32)
				if mb == 0 {
					break
				}
				mask := ^uint32(0) << (32 - mb)
				v := uint32(a[4*w])<<24 | uint32(a[4*w+1])<<16 | uint32(a[4*w+2])<<8 | uint32(a[4*w+3])
				f = and(f, g.mcmp(off+4*w, 4, bpf.JumpEqual, v&mask, mask))
			}
			return f
		}
		return and(g.linkProto(etIP6), g.dir(n.dir, test)), nil
	}
	v := be32(n.addr.Addr())
	mask := uint32(0)
	if n.addr.Bits() > 0 {
		mask = ^uint32(0) << (32 - n.addr.Bits())
	}
	hostop := func(srcOff, dstOff int) frag {
		return g.dir(n.dir, func(src bool) frag {
			if mask == 0 {
				return fTrue
			}
			off := dstOff
			if src {
				off = srcOff
			}
			return g.mcmp(off, 4, bpf.JumpEqual, v, mask)
		})
	}
	ip := func() frag { return and(g.linkProto(etIP), hostop(g.offNL+12, g.offNL+16)) }
	arp := func(et uint32) frag { return and(g.linkProto(et), hostop(g.offNL+14, g.offNL+24)) }
	switch n.proto {
	case qIP:
		return ip(), nil
	case qARP:
		return arp(etARP), nil
	case qRARP:
		return arp(etRARP), nil
	}
	return or(or(ip(), arp(etARP)), arp(etRARP)), nil
}

func (g *gen) port(n *prim) (frag, error) {
	var protos []uint32
	switch n.proto {
	case qTCP:
		protos = []uint32{6}
	case qUDP:
		protos = []uint32{17}
	case qSCTP:
		protos = []uint32{132}
	default:
		protos = []uint32{132, 6, 17}
	}
	if n.svc != 0 {
		var keep []uint32
		for _, p := range protos {
			if p == 6 && n.svc&psTCP != 0 || p == 17 && n.svc&psUDP != 0 || p == 132 && n.svc&psSCTP != 0 {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			return frag{}, semErr(n.idCol, "give the port number instead", "that service is not a %s service", n.proto)
		}
		protos = keep
	}
	val := func(load func() []bpf.Instruction) frag {
		if n.kind == pPort {
			return leaf(load(), bpf.JumpEqual, uint32(n.lo))
		}
		return and(leaf(load(), bpf.JumpGreaterOrEqual, uint32(n.lo)), not(leaf(load(), bpf.JumpGreaterThan, uint32(n.hi))))
	}
	protoIn := func(off int) frag {
		f := fFalse
		for _, p := range protos {
			f = or(f, g.cmp(off, 1, bpf.JumpEqual, p))
		}
		return f
	}
	nl := g.offNL
	v6 := and(and(g.linkProto(etIP6), protoIn(nl+6)), g.dir(n.dir, func(src bool) frag {
		off := nl + 40 + 2
		if src {
			off = nl + 40
		}
		return val(func() []bpf.Instruction { return []bpf.Instruction{ld(off, 2)} })
	}))
	v4 := and(and(and(g.linkProto(etIP), protoIn(nl+9)), g.notFrag()), g.dir(n.dir, func(src bool) frag {
		off := nl + 2
		if src {
			off = nl
		}
		return val(func() []bpf.Instruction {
			return []bpf.Instruction{bpf.LoadMemShift{Off: uint32(nl)}, bpf.LoadIndirect{Off: uint32(off), Size: 2}}
		})
	}))
	return or(v6, v4), nil
}

// arithmetic

var aluOps = map[string]bpf.ALUOp{"+": bpf.ALUOpAdd, "-": bpf.ALUOpSub, "*": bpf.ALUOpMul, "/": bpf.ALUOpDiv,
	"%": bpf.ALUOpMod, "&": bpf.ALUOpAnd, "|": bpf.ALUOpOr, "^": bpf.ALUOpXor, "<<": bpf.ALUOpShiftLeft, ">>": bpf.ALUOpShiftRight}

func fold(op string, a, b uint32) (uint32, bool) {
	switch op {
	case "+":
		return a + b, true
	case "-":
		return a - b, true
	case "*":
		return a * b, true
	case "/":
		if b == 0 {
			return 0, false
		}
		return a / b, true
	case "%":
		if b == 0 {
			return 0, false
		}
		return a % b, true
	case "&":
		return a & b, true
	case "|":
		return a | b, true
	case "^":
		return a ^ b, true
	case "<<":
		if b > 31 {
			return 0, true
		}
		return a << b, true
	case ">>":
		if b > 31 {
			return 0, true
		}
		return a >> b, true
	}
	return 0, false
}

// value is generated arithmetic: a constant, or statements leaving it in A, valid only
// when cond holds.
type value struct {
	konst bool
	k     uint32
	stmts []bpf.Instruction
	cond  frag
}

func (g *gen) arith(a arith) (value, error) {
	switch a := a.(type) {
	case *numA:
		return value{konst: true, k: a.v, cond: fTrue}, nil
	case *lenA:
		return value{stmts: []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtLen}}, cond: fTrue}, nil
	case *negA:
		x, err := g.arith(a.x)
		if err != nil {
			return x, err
		}
		if x.konst {
			x.k = -x.k
			return x, nil
		}
		// 0 - A rather than neg, which golang.org/x/net/bpf's VM (the reference) lacks
		x.stmts = append(x.stmts, bpf.TAX{}, bpf.LoadConstant{Dst: bpf.RegA}, bpf.ALUOpX{Op: bpf.ALUOpSub})
		return x, nil
	case *binA:
		l, err := g.arith(a.l)
		if err != nil {
			return l, err
		}
		m := g.scratch
		g.scratch++
		r, err := g.arith(a.r)
		g.scratch--
		if err != nil {
			return r, err
		}
		if g.scratch >= 16 {
			return value{}, semErr(a.col, "simplify the arithmetic", "expression too complicated (more than 16 intermediate values)")
		}
		// libpcap keeps only the left operand's conditions: in "ip[2:2] - tcp[12]" the
		// tcp[12] is loaded from any IPv4 packet (gen_arth drops a1->b)
		cond := l.cond
		op := aluOps[a.op]
		if r.konst {
			if (a.op == "/" || a.op == "%") && r.k == 0 {
				return value{}, semErr(a.col, "", "division by zero")
			}
			if (a.op == "<<" || a.op == ">>") && r.k > 31 {
				return value{}, semErr(a.col, "shift by 0 to 31 bits", "shift by more than 31 bits")
			}
			if l.konst {
				v, _ := fold(a.op, l.k, r.k)
				return value{konst: true, k: v, cond: cond}, nil
			}
			return value{stmts: append(l.stmts, bpf.ALUOpConstant{Op: op, Val: r.k}), cond: cond}, nil
		}
		s := append(g.materialize(l), bpf.StoreScratch{Src: bpf.RegA, N: m})
		s = append(s, r.stmts...)
		s = append(s, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: m}, bpf.ALUOpX{Op: op})
		return value{stmts: s, cond: cond}, nil
	case *loadA:
		return g.load(a)
	}
	return value{}, fmt.Errorf("filter: internal error: arith %T", a)
}

func (g *gen) materialize(v value) []bpf.Instruction {
	if v.konst {
		return []bpf.Instruction{bpf.LoadConstant{Dst: bpf.RegA, Val: v.k}}
	}
	return v.stmts
}

func (g *gen) load(a *loadA) (value, error) {
	off, err := g.arith(a.off)
	if err != nil {
		return off, err
	}
	nl := g.offNL
	var cond frag
	base := 0
	indirectIP := false
	switch a.proto {
	case qLink:
		cond = fTrue
	case qIP:
		cond, base = g.linkProto(etIP), nl
	case qIP6:
		cond, base = g.linkProto(etIP6), nl
	case qARP:
		cond, base = g.linkProto(etARP), nl
	case qRARP:
		cond, base = g.linkProto(etRARP), nl
	case qTCP, qUDP, qSCTP, qICMP, qIGMP:
		// IPv4 only (libpcap's rule), first fragment only
		cond = and(and(g.linkProto(etIP), off.cond), and(g.cmp(nl+9, 1, bpf.JumpEqual, transport[a.proto]), g.notFrag()))
		base, indirectIP = nl, true
	case qICMP6:
		cond, base = and(g.linkProto(etIP6), g.cmp(nl+6, 1, bpf.JumpEqual, 58)), nl+40
	default:
		return value{}, semErr(a.col, "", "'%s[...]' is not supported", a.proto)
	}
	if !indirectIP {
		cond = and(cond, off.cond)
	}
	var s []bpf.Instruction
	switch {
	case off.konst && indirectIP:
		s = []bpf.Instruction{bpf.LoadMemShift{Off: uint32(nl)}, bpf.LoadIndirect{Off: uint32(base) + off.k, Size: a.size}}
	case off.konst:
		s = []bpf.Instruction{bpf.LoadAbsolute{Off: uint32(base) + off.k, Size: a.size}}
	case indirectIP:
		s = append(append([]bpf.Instruction{}, off.stmts...), bpf.LoadMemShift{Off: uint32(nl)}, bpf.ALUOpX{Op: bpf.ALUOpAdd}, bpf.TAX{},
			bpf.LoadIndirect{Off: uint32(base), Size: a.size})
	default:
		s = append(append([]bpf.Instruction{}, off.stmts...), bpf.TAX{}, bpf.LoadIndirect{Off: uint32(base), Size: a.size})
	}
	return value{stmts: s, cond: cond}, nil
}

func (g *gen) relation(r *relation) (frag, error) {
	l, err := g.arith(r.l)
	if err != nil {
		return frag{}, err
	}
	m := g.scratch
	g.scratch++
	rv, err := g.arith(r.r)
	g.scratch--
	if err != nil {
		return frag{}, err
	}
	cond := and(l.cond, rv.cond)
	var jt bpf.JumpTest
	neg := false
	switch r.op {
	case "=", "==":
		jt = bpf.JumpEqual
	case "!=":
		jt, neg = bpf.JumpEqual, true
	case ">":
		jt = bpf.JumpGreaterThan
	case "<":
		jt, neg = bpf.JumpGreaterOrEqual, true
	case ">=":
		jt = bpf.JumpGreaterOrEqual
	case "<=":
		jt, neg = bpf.JumpGreaterThan, true
	}
	var c frag
	switch {
	case l.konst && rv.konst:
		ok := false
		switch jt {
		case bpf.JumpEqual:
			ok = l.k == rv.k
		case bpf.JumpGreaterThan:
			ok = l.k > rv.k
		case bpf.JumpGreaterOrEqual:
			ok = l.k >= rv.k
		}
		c = fFalse
		if ok {
			c = fTrue
		}
	case rv.konst:
		c = leaf(l.stmts, jt, rv.k)
	default:
		s := append(g.materialize(l), bpf.StoreScratch{Src: bpf.RegA, N: m})
		s = append(s, rv.stmts...)
		s = append(s, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: m})
		b := &blk{stmts: s, cond: jt, useX: true}
		c = frag{head: b, t: []**blk{&b.jt}, f: []**blk{&b.jf}}
	}
	if neg {
		c = not(c)
	}
	return and(cond, c), nil
}
