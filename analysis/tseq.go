package analysis

import (
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// Picture returns what the pictures of a connection need besides its ladder: where it was
// captured (VantageOf) and its time-sequence graph in each direction (TimeSeq).
func Picture(ci *ConnInfo, segs []SegRecord) report.ConnPicture {
	return report.ConnPicture{
		Conn:    ci.ID,
		Vantage: VantageOf(ci, segs),
		TSeq:    [2]report.TSeq{TimeSeq(ci, segs, dirC2S), TimeSeq(ci, segs, dirS2C)},
	}
}

// VantageOf tells where the capture point sat between client and server (see
// report.Vantage), from the round trips the capture point sees to each side: to the
// server, from a client segment to the server's reply that acknowledges it (the SYN to
// the SYN-ACK, a request to the ACK or response that covers it); to the client, from a
// server segment to the client's acknowledgement (the SYN-ACK to the handshake's ACK).
// Each side's round trip is the smallest such sample (a delayed ACK or a busy server
// only makes samples larger; retransmitted segments give none, as in Karn's rule), and
// half of it is the one-way delay to that side. So no arrow of the ladder leaves its
// sender before what it answers arrived. The capture point is "client" (or "server")
// when the round trip to that side is under a quarter of the other's, "middle" otherwise,
// "unknown" when a side has no sample.
func VantageOf(ci *ConnInfo, segs []SegRecord) report.Vantage {
	rt := [2]int64{-1, -1} // round trip to the server (0) and to the client (1)
	sample := func(side uint8, d int64) {
		if d >= 0 && (rt[side] < 0 || d < rt[side]) {
			rt[side] = d
		}
	}
	if ci.SYNTime != 0 && ci.SYNACKTime >= ci.SYNTime {
		sample(0, ci.SYNACKTime-ci.SYNTime)
		if ci.ACKTime >= ci.SYNACKTime {
			sample(1, ci.ACKTime-ci.SYNACKTime)
		}
	}
	// Data segments of each direction not yet acknowledged, oldest first.
	type sent struct{ ts, end int64 }
	var queue [2][]sent
	var maxEnd [2]int64
	for i := range segs {
		s := &segs[i]
		d, peer := s.Dir&1, (s.Dir&1)^1
		if s.Flags.Has(tcp.ACK) && !s.Flags.Has(tcp.SYN) && len(queue[peer]) > 0 {
			ao := ackOff(s.Ack, maxEnd[peer])
			q := queue[peer]
			for len(q) > 0 && q[0].end <= ao {
				sample(peer, s.TS-q[0].ts)
				q = q[1:]
			}
			queue[peer] = q
		}
		if s.Len > 0 && s.Off >= 0 && !s.isRetrans() {
			queue[d] = append(queue[d], sent{s.TS, s.end()})
		}
		if s.Len > 0 {
			maxEnd[d] = max(maxEnd[d], s.end())
		}
	}
	if rt[0] < 0 || rt[1] < 0 {
		return report.Vantage{Where: "unknown"}
	}
	toServer, toClient := rt[0]/2, rt[1]/2
	v := report.Vantage{Known: true, ToClient: report.Duration(toClient), ToServer: report.Duration(toServer), Where: "middle"}
	switch {
	case 4*toClient < toServer:
		v.Where = "client"
	case 4*toServer < toClient:
		v.Where = "server"
	}
	return v
}

// TimeSeq returns direction dir of the connection as a Stevens time-sequence graph: every
// segment of dir that carries payload, SYN or FIN, with its relative, unwrapped sequence
// range; and every ACK the other direction sent, with the acknowledged sequence number,
// the right edge of the receive window it announced (ack + scaled window) and its SACK
// blocks, in the same sequence space. Times are since the connection's first packet.
func TimeSeq(ci *ConnInfo, segs []SegRecord, dir uint8) report.TSeq {
	peer := dir ^ 1
	ts := report.TSeq{Conn: ci.ID, Dir: dirName(dir), Truncated: ci.Truncated}
	ts.Sender, ts.Receiver = ci.Client, ci.Server
	if dir == dirS2C {
		ts.Sender, ts.Receiver = ci.Server, ci.Client
	}
	// ref is the newest stream offset of dir seen so far: the reference that unwraps the
	// 32-bit acknowledgement numbers of the peer into dir's stream offsets.
	var ref int64
	for i := range segs {
		s := &segs[i]
		if s.Dir&1 == dir {
			if s.Len == 0 && !s.Flags.Any(tcp.SYN|tcp.FIN) {
				continue
			}
			d := report.TSeqData{
				Frame:   s.Frame,
				Rel:     report.Duration(s.TS - ci.FirstTS),
				Seq:     s.Off + 1,
				Len:     s.Len,
				SYN:     s.Flags.Has(tcp.SYN),
				FIN:     s.Flags.Has(tcp.FIN),
				Retrans: s.isRetrans(),
				Class:   s.Class,
			}
			if d.SYN {
				d.Seq = 0
			}
			ts.Data = append(ts.Data, d)
			ref = max(ref, s.end())
			continue
		}
		if s.Dir&1 != peer || !s.Flags.Has(tcp.ACK) {
			continue
		}
		a := report.TSeqAck{
			Frame:  s.Frame,
			Rel:    report.Duration(s.TS - ci.FirstTS),
			Ack:    unwrapRel(s.Ack, ref),
			Win:    int64(s.Win),
			DupAck: s.Class.Has(tcp.ClassDupAck),
		}
		if s.Flags.Has(tcp.SYN) {
			a.Ack = 1 // the SYN-ACK acknowledges the SYN
		}
		for _, b := range s.SACK {
			a.SACK = append(a.SACK, [2]int64{unwrapRel(b[0], ref), unwrapRel(b[1], ref)})
		}
		ts.Acks = append(ts.Acks, a)
	}
	return ts
}

// unwrapRel turns a 32-bit sequence number relative to the sender's ISN into the
// unwrapped relative number nearest to stream offset ref (whose relative number is
// ref+1).
func unwrapRel(rel uint32, ref int64) int64 {
	return ref + 1 + int64(tcpseq.Seq(rel).Diff(tcpseq.Seq(uint32(ref+1))))
}
