package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// The optimiser: a small version of libpcap's. It knows, for every edge of the block
// graph, what A and X hold (as symbolic expressions over the immutable packet bytes)
// and which comparisons are known to have succeeded or failed on every path to it. With
// that it
//   - threads jumps: an edge into a block whose comparison is already decided on that
//     edge goes straight to the decided successor (so "host" after "tcp port 80" does
//     not test the EtherType again, and an IPv6 path skips the IPv4 tests);
//   - drops statements that recompute what a register already holds.
// It never moves a load before a test: a load past the captured bytes rejects the
// packet, so changing which loads run could change the result.

// regs is what the registers and scratch memory hold, symbolically ("" is unknown).
type regs struct {
	a, x string
	mem  [16]string
}

type fact struct {
	val  string
	cond bpf.JumpTest
	k    uint32
	res  bool
}

// state is what holds on entry to a block (or along an edge).
type state struct {
	regs
	facts []fact
}

var aluSym = map[bpf.ALUOp]string{bpf.ALUOpAdd: "+", bpf.ALUOpSub: "-", bpf.ALUOpMul: "*", bpf.ALUOpDiv: "/",
	bpf.ALUOpMod: "%", bpf.ALUOpAnd: "&", bpf.ALUOpOr: "|", bpf.ALUOpXor: "^", bpf.ALUOpShiftLeft: "<<", bpf.ALUOpShiftRight: ">>"}

// step applies one statement to the symbolic registers. pure is false for a statement
// with an effect other than setting A or X (a store).
func step(r *regs, in bpf.Instruction) (pure bool) {
	switch in := in.(type) {
	case bpf.LoadAbsolute:
		r.a = fmt.Sprintf("[%d:%d]", in.Off, in.Size)
	case bpf.LoadIndirect:
		r.a = ""
		if r.x != "" {
			r.a = fmt.Sprintf("[%s+%d:%d]", r.x, in.Off, in.Size)
		}
	case bpf.LoadMemShift:
		r.x = fmt.Sprintf("msh[%d]", in.Off)
	case bpf.LoadConstant:
		if in.Dst == bpf.RegA {
			r.a = fmt.Sprintf("#%d", in.Val)
		} else {
			r.x = fmt.Sprintf("#%d", in.Val)
		}
	case bpf.LoadExtension:
		r.a = ""
		if in.Num == bpf.ExtLen {
			r.a = "len"
		}
	case bpf.ALUOpConstant:
		if r.a != "" {
			r.a = fmt.Sprintf("(%s%s%d)", r.a, aluSym[in.Op], in.Val)
		}
	case bpf.ALUOpX:
		if r.a != "" && r.x != "" {
			r.a = fmt.Sprintf("(%s%s%s)", r.a, aluSym[in.Op], r.x)
		} else {
			r.a = ""
		}
	case bpf.NegateA:
		if r.a != "" {
			r.a = "-" + r.a
		}
	case bpf.TAX:
		r.x = r.a
	case bpf.TXA:
		r.a = r.x
	case bpf.LoadScratch:
		if in.Dst == bpf.RegA {
			r.a = r.mem[in.N]
		} else {
			r.x = r.mem[in.N]
		}
	case bpf.StoreScratch:
		if in.Src == bpf.RegA {
			r.mem[in.N] = r.a
		} else {
			r.mem[in.N] = r.x
		}
		return false
	default:
		r.a, r.x = "", ""
		return false
	}
	return true
}

// uses returns which registers a statement reads and writes.
func uses(in bpf.Instruction) (readA, readX, writeA, writeX bool) {
	switch in := in.(type) {
	case bpf.LoadAbsolute, bpf.LoadExtension:
		return false, false, true, false
	case bpf.LoadIndirect:
		return false, true, true, false
	case bpf.LoadMemShift:
		return false, false, false, true
	case bpf.LoadConstant:
		return false, false, in.Dst == bpf.RegA, in.Dst == bpf.RegX
	case bpf.LoadScratch:
		return false, false, in.Dst == bpf.RegA, in.Dst == bpf.RegX
	case bpf.StoreScratch:
		return in.Src == bpf.RegA, in.Src == bpf.RegX, false, false
	case bpf.ALUOpConstant, bpf.NegateA:
		return true, false, true, false
	case bpf.ALUOpX:
		return true, true, true, false
	case bpf.TAX:
		return true, false, false, true
	case bpf.TXA:
		return false, true, true, false
	}
	return true, true, true, true
}

func decide(f []fact, val string, cond bpf.JumpTest, k uint32) (res, ok bool) {
	eval := func(v uint32) bool {
		switch cond {
		case bpf.JumpEqual:
			return v == k
		case bpf.JumpGreaterThan:
			return v > k
		case bpf.JumpGreaterOrEqual:
			return v >= k
		case bpf.JumpBitsSet:
			return v&k != 0
		}
		return false
	}
	var c uint32
	if n, _ := fmt.Sscanf(val, "#%d", &c); n == 1 && val == fmt.Sprintf("#%d", c) {
		return eval(c), true
	}
	for _, x := range f {
		if x.val != val {
			continue
		}
		if x.cond == cond && x.k == k {
			return x.res, true
		}
		if x.cond == bpf.JumpEqual && x.res {
			return eval(x.k), true
		}
	}
	return false, false
}

type graph struct {
	blocks []*blk // topological order
	preds  map[*blk][]*blk
}

func buildGraph(root *blk) *graph {
	g := &graph{preds: map[*blk][]*blk{}}
	seen := map[*blk]bool{}
	var post []*blk
	var visit func(b *blk)
	visit = func(b *blk) {
		if seen[b] {
			return
		}
		seen[b] = true
		if !b.ret {
			visit(b.jt)
			visit(b.jf)
			g.preds[b.jt] = append(g.preds[b.jt], b)
			if b.jf != b.jt {
				g.preds[b.jf] = append(g.preds[b.jf], b)
			}
		}
		post = append(post, b)
	}
	visit(root)
	for i := len(post) - 1; i >= 0; i-- {
		g.blocks = append(g.blocks, post[i])
	}
	return g
}

// maxFacts bounds the facts kept per edge (the most recent ones), so that optimising a
// long expression stays linear in its size.
const maxFacts = 48

// edgeState is the state along the edge from b (whose exit state is out) on side res.
func edgeState(b *blk, out regs, in []fact, res bool) state {
	s := state{regs: out}
	if len(in) >= maxFacts {
		in = in[len(in)-maxFacts+1:]
	}
	s.facts = make([]fact, 0, len(in)+1)
	s.facts = append(s.facts, in...)
	if !b.useX && out.a != "" {
		s.facts = append(s.facts, fact{out.a, b.cond, b.k, res})
	}
	return s
}

func meet(a, b state) state {
	r := state{}
	if a.a == b.a {
		r.a = a.a
	}
	if a.x == b.x {
		r.x = a.x
	}
	for i := range r.mem {
		if a.mem[i] == b.mem[i] {
			r.mem[i] = a.mem[i]
		}
	}
	if len(a.facts)*len(b.facts) <= 256 {
		for _, f := range a.facts {
			for _, g := range b.facts {
				if f == g {
					r.facts = append(r.facts, f)
					break
				}
			}
		}
		return r
	}
	in := make(map[fact]bool, len(b.facts))
	for _, g := range b.facts {
		in[g] = true
	}
	for _, f := range a.facts {
		if in[f] {
			r.facts = append(r.facts, f)
		}
	}
	return r
}

// optimize simplifies the block graph rooted at root in place.
// A long expression (hundreds of hosts) gets fewer rounds: each costs time linear in the
// program, and the first rounds find most of what there is to find.
func optimize(root *blk) {
	rounds := 50
	for round := 0; round < rounds; round++ {
		if !optimizeOnce(root) {
			return
		}
		if round == 0 && len(buildGraph(root).blocks) > 400 {
			rounds = 6
		}
	}
}

func optimizeOnce(root *blk) bool {
	g := buildGraph(root)
	in := map[*blk]state{}
	out := map[*blk]regs{}
	// forward: entry states
	for _, b := range g.blocks {
		var s state
		if b == root {
			s = state{}
		} else {
			first := true
			for _, p := range g.preds[b] {
				for _, side := range []bool{true, false} {
					if side && p.jt != b || !side && p.jf != b {
						continue
					}
					e := edgeState(p, out[p], in[p].facts, side)
					if first {
						s, first = e, false
					} else {
						s = meet(s, e)
					}
				}
			}
		}
		in[b] = s
		r := s.regs
		for _, st := range b.stmts {
			step(&r, st)
		}
		out[b] = r
	}
	changed := false
	// drop statements that recompute what a register holds
	for _, b := range g.blocks {
		r := in[b].regs
		var keep []bpf.Instruction
		for _, st := range b.stmts {
			before := r
			pure := step(&r, st)
			if pure && r == before {
				changed = true
				continue // nothing changes
			}
			keep = append(keep, st)
		}
		b.stmts = keep
	}
	if changed {
		return true
	}
	// backward: registers live on entry
	type live struct{ a, x bool }
	liveIn := map[*blk]live{}
	for i := len(g.blocks) - 1; i >= 0; i-- {
		b := g.blocks[i]
		if b.ret {
			liveIn[b] = live{}
			continue
		}
		l := live{true, liveIn[b.jt].x || liveIn[b.jf].x || b.useX} // a jump reads A
		for j := len(b.stmts) - 1; j >= 0; j-- {
			ra, rx, wa, wx := uses(b.stmts[j])
			if wa {
				l.a = false
			}
			if wx {
				l.x = false
			}
			l.a = l.a || ra
			l.x = l.x || rx
		}
		liveIn[b] = l
	}
	// thread jumps
	for _, p := range g.blocks {
		if p.ret {
			continue
		}
		for _, side := range []bool{true, false} {
			e := &p.jf
			if side {
				e = &p.jt
			}
			es := edgeState(p, out[p], in[p].facts, side)
			for hops := 0; hops < 64; hops++ {
				t := *e
				if t.ret {
					break
				}
				r := es.regs
				pure := true
				for _, st := range t.stmts {
					pure = step(&r, st) && pure
				}
				if !pure {
					break
				}
				var res, ok bool
				if t.jt == t.jf {
					ok = true
				} else if !t.useX {
					res, ok = decide(es.facts, r.a, t.cond, t.k)
				}
				if !ok {
					break
				}
				s := t.jf
				if res {
					s = t.jt
				}
				// skipping t leaves A and X as on the edge: fine if s does not read what
				// t would have changed
				if r.a != es.a && liveIn[s].a || r.x != es.x && liveIn[s].x || r.a == "" && liveIn[s].a && len(t.stmts) > 0 || r.x == "" && liveIn[s].x && len(t.stmts) > 0 {
					break
				}
				*e = s
				changed = true
				// facts learned from t's decided comparison still hold along the new edge
				if !t.useX && r.a != "" && t.jt != t.jf && r.a == es.a {
					es.facts = append(es.facts, fact{r.a, t.cond, t.k, res})
				}
			}
		}
	}
	return changed
}
