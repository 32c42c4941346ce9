package reassembly

import (
	"math/rand/v2"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/tcp"
)

// chaosExchange is a bidirectional exchange with random losses before the capture
// point, retransmissions (some already acknowledged), reordering, dup ACKs, window
// changes, zero windows, keep-alives, and sometimes no handshake or an RST at the end.
func chaosExchange(rng *rand.Rand) []*decode.Segment {
	v := newConv()
	v.step = 0
	var out []*decode.Segment
	tick := func() {
		switch rng.IntN(5) {
		case 0:
			v.ts += int64(rng.IntN(1000)) * 1000
		case 1:
			v.ts += int64(rng.IntN(40)) * ms
		default:
			v.ts += int64(1+rng.IntN(4)) * ms
		}
	}
	add := func(s *decode.Segment) {
		tick()
		s.TS = v.ts
		out = append(out, s)
	}
	type side struct {
		nxt  int      // next new offset to send
		sent [][2]int // pieces sent: off, len
		got  []bool   // bytes of the peer received
		cum  int      // cumulative ack of the peer's bytes
		win  uint16
	}
	var sd [2]side
	sd[0].win, sd[1].win = 65535, 65535
	mk := func(i int, flags tcp.Flags, rseq, rack uint32, data string) *decode.Segment {
		if i == 0 {
			return v.c(flags, rseq, rack, data)
		}
		return v.s(flags, rseq, rack, data)
	}
	if rng.IntN(4) != 0 {
		add(synOpts(v.c(S, 0, 0, ""), 1460, rng.IntN(3)*4-1))
		if rng.IntN(8) == 0 {
			add(synOpts(v.c(S, 0, 0, ""), 1460, -1))
		}
		add(synOpts(v.s(SA, 0, 1, ""), 1460, rng.IntN(3)*4-1))
		add(v.c(A, 1, 1, ""))
	}
	mark := func(i, off, n int) {
		p := &sd[1-i]
		for len(p.got) < off+n {
			p.got = append(p.got, false)
		}
		for k := off; k < off+n; k++ {
			p.got[k] = true
		}
		for p.cum < len(p.got) && p.got[p.cum] {
			p.cum++
		}
	}
	steps := 10 + rng.IntN(80)
	for range steps {
		i := rng.IntN(2)
		me := &sd[i]
		peer := &sd[1-i]
		switch r := rng.IntN(16); {
		case r < 6: // new data, maybe lost before the capture
			n := 1 + rng.IntN(1460)
			if rng.IntN(4) == 0 {
				n = 1 + rng.IntN(3)
			}
			off := me.nxt
			me.nxt += n
			me.sent = append(me.sent, [2]int{off, n})
			if rng.IntN(10) == 0 {
				continue // lost
			}
			add(mk(i, PA, uint32(off)+1, uint32(me.cum)+1, string(make([]byte, n))))
			mark(i, off, n)
		case r < 8 && len(me.sent) > 0: // retransmission of an earlier piece, maybe partial
			p := me.sent[rng.IntN(len(me.sent))]
			off, n := p[0], p[1]
			if rng.IntN(3) == 0 && n > 1 {
				k := rng.IntN(n)
				off, n = off+k, n-k
			}
			add(mk(i, PA, uint32(off)+1, uint32(me.cum)+1, string(make([]byte, n))))
			mark(i, off, n)
		case r < 12: // pure ACK, sometimes with a new window
			w := me.win
			switch rng.IntN(6) {
			case 0:
				w = 0
			case 1:
				w = uint16(1 + rng.IntN(65535))
			}
			me.win = w
			s := mk(i, A, uint32(me.nxt)+1, uint32(me.cum)+1, "")
			s.Window = w
			add(s)
		case r == 12 && me.nxt > 0: // keep-alive
			data := ""
			if rng.IntN(2) == 0 {
				data = "\x00"
			}
			add(mk(i, A, uint32(me.nxt), uint32(me.cum)+1, data))
		case r == 13 && len(out) > 2: // swap the last two captured segments
			a, b := out[len(out)-2], out[len(out)-1]
			a.TS, b.TS = b.TS, a.TS
			out[len(out)-2], out[len(out)-1] = b, a
		case r == 14: // dup ACK burst
			for range 1 + rng.IntN(3) {
				s := mk(i, A, uint32(me.nxt)+1, uint32(me.cum)+1, "")
				s.Window = me.win
				add(s)
			}
		default:
			_ = peer
		}
	}
	switch rng.IntN(3) {
	case 0:
		add(mk(0, FA, uint32(sd[0].nxt)+1, uint32(sd[0].cum)+1, ""))
		add(mk(1, FA, uint32(sd[1].nxt)+1, uint32(sd[1].cum)+2, ""))
		add(mk(0, A, uint32(sd[0].nxt)+2, uint32(sd[1].nxt)+2, ""))
	case 1:
		add(mk(1, RA, uint32(sd[1].nxt)+1, uint32(sd[1].cum)+1, ""))
	}
	for i, s := range out {
		s.Frame = uint64(i + 1)
	}
	return out
}
