package analysis

import (
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcpseq"
)

// Picture returns what the pictures of a connection need besides its ladder: where it was
// captured (VantageOf) and its time-sequence graph in each direction (TimeSeq).
func Picture(ci *ConnInfo, segs []SegRecord) report.ConnPicture {
	return report.ConnPicture{
		Conn:    ci.ID,
		Vantage: VantageOf(ci),
		TSeq:    [2]report.TSeq{TimeSeq(ci, segs, dirC2S), TimeSeq(ci, segs, dirS2C)},
	}
}

// VantageOf tells from the handshake where the capture point sat between client and
// server (see report.Vantage): SYN to SYN-ACK is the round trip from the capture point to
// the server, SYN-ACK to ACK the round trip to the client. The capture point is "client"
// (or "server") when the round trip to that side is under a quarter of the other,
// "middle" otherwise.
func VantageOf(ci *ConnInfo) report.Vantage {
	if ci.SYNTime == 0 || ci.SYNACKTime < ci.SYNTime || ci.ACKTime < ci.SYNACKTime || ci.SYNACKTime == 0 {
		return report.Vantage{Where: "unknown"}
	}
	toServer := (ci.SYNACKTime - ci.SYNTime) / 2
	toClient := (ci.ACKTime - ci.SYNACKTime) / 2
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
			if s.Len == 0 && !s.has(flagSYN|flagFIN) {
				continue
			}
			d := report.TSeqData{
				Frame:   s.Frame,
				Rel:     report.Duration(s.TS - ci.FirstTS),
				Seq:     s.Off + 1,
				Len:     s.Len,
				SYN:     s.has(flagSYN),
				FIN:     s.has(flagFIN),
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
		if s.Dir&1 != peer || !s.has(flagACK) {
			continue
		}
		a := report.TSeqAck{
			Frame:  s.Frame,
			Rel:    report.Duration(s.TS - ci.FirstTS),
			Ack:    unwrapRel(s.Ack, ref),
			Win:    int64(s.Win),
			DupAck: s.hasClass("dup_ack"),
		}
		if s.has(flagSYN) {
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
