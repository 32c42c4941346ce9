package reassembly

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
)

// lifeLog is a Handler and Dropper that logs every call, and for OnSegment what a
// handler may read of the connection: its identity and TCP state, and the SegInfo.
type lifeLog struct {
	lines []string
}

func (l *lifeLog) add(format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *lifeLog) OnOpen(c *Conn) {
	l.add("open %d %s>%s index=%d reused=%v", c.ID, c.Client, c.Server, c.Index, c.ReusedTuple)
}

func (l *lifeLog) OnSegment(c *Conn, d flow.Dir, seg *decode.Segment, info *SegInfo) {
	s := fmt.Sprintf("seg %d #%d %s", c.ID, seg.Frame, d)
	if c.Closed() {
		s += fmt.Sprintf(" closed(%s>%s index=%d reused=%v close=%s closer=%d)",
			c.Client, c.Server, c.Index, c.ReusedTuple, c.Close, c.Closer)
	}
	if info.Class != 0 {
		s += " " + info.Class.String()
	}
	if info.Class.Has(tcp.ClassDupAck) {
		s += fmt.Sprintf(" dup#%d/#%d", info.DupAckCount, info.DupAckFrame)
	}
	s += fmt.Sprintf(" seq=%d ack=%d off=%d win=%d", info.RelSeq, info.RelAck, info.Off, info.Window)
	for i := range c.Dir {
		ds := &c.Dir[i]
		s += fmt.Sprintf(" %s:isn=%d,syn=%v,ws=%d,%s", flow.Dir(i), ds.ISN, ds.SawSYN, ds.WScale, ds.State)
	}
	l.add("%s", s)
}

func (l *lifeLog) OnData(c *Conn, d flow.Dir, off uint64, data []byte, frame uint64, ts int64) {
	l.add("data %d %s %d %q #%d", c.ID, d, off, data, frame)
}

func (l *lifeLog) OnGap(c *Conn, d flow.Dir, off, n uint64, ts int64) {
	l.add("gap %d %s %d %d", c.ID, d, off, n)
}

func (l *lifeLog) OnClose(c *Conn)  { l.add("close %d %s", c.ID, c.Close) }
func (l *lifeLog) OnDrop(id uint64) { l.add("drop %d", id) }

// wscale sets the window scale option on a SYN.
func wscale(s *decode.Segment, shift uint8) *decode.Segment {
	s.Opts.HasWScale, s.Opts.WScale = true, shift
	return s
}

// tombCases run segments of connections that close and then get late segments, new
// SYNs, or expire. Their logs were taken with tombstones that were whole Conns (commit
// 6ed658c), so they show that a compact tombstone classifies late segments, recognises a
// reused tuple and reports drops exactly as before.
var tombCases = []struct {
	name  string
	cfg   Config
	segs  func(v *conv) []*decode.Segment
	flush bool
	want  []string
	check func(t *testing.T, tr *Tracker)
}{
	{
		name: "late_ack_fin_and_data_after_close",
		segs: func(v *conv) []*decode.Segment {
			out := []*decode.Segment{
				wscale(v.c(S, 0, 0, ""), 2), wscale(v.s(SA, 0, 1, ""), 3), v.c(A, 1, 1, ""),
				v.c(PA, 1, 1, "abc"),
				v.s(PA, 1, 4, "xy"),
				v.c(FA, 4, 3, ""),
				v.s(FA, 3, 5, ""),
				v.c(A, 5, 4, ""),
			}
			v.step = 300 * ms // past CloseWait: OnClose before the next segment
			return append(out,
				v.c(A, 5, 4, ""),      // late duplicate of the last ACK
				v.s(FA, 3, 5, ""),     // retransmitted FIN
				v.c(A, 5, 4, ""),      // its ACK
				v.c(PA, 1, 1, "abc"),  // retransmitted data
				v.s(A, 3, 5, ""),      // keep-alive-like
				v.c(RA, 5, 4, ""),     // a late RST
				v.s(PA, 10, 5, "zzz"), // bytes beyond the FIN
			)
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=2,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=2,syn_sent s2c:isn=5000,syn=true,ws=3,syn_sent",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=262140 c2s:isn=1000,syn=true,ws=2,established s2c:isn=5000,syn=true,ws=3,syn_sent",
			"seg 1 #4 c2s seq=1 ack=1 off=0 win=262140 c2s:isn=1000,syn=true,ws=2,established s2c:isn=5000,syn=true,ws=3,syn_sent",
			"data 1 c2s 0 \"abc\" #4",
			"seg 1 #5 s2c seq=1 ack=4 off=0 win=524280 c2s:isn=1000,syn=true,ws=2,established s2c:isn=5000,syn=true,ws=3,established",
			"data 1 s2c 0 \"xy\" #5",
			"seg 1 #6 c2s seq=4 ack=3 off=3 win=262140 c2s:isn=1000,syn=true,ws=2,fin_sent s2c:isn=5000,syn=true,ws=3,established",
			"seg 1 #7 s2c seq=3 ack=5 off=2 win=524280 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,fin_sent",
			"seg 1 #8 c2s seq=5 ack=4 off=4 win=262140 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"close 1 fin",
			"seg 1 #9 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#1/#8 seq=5 ack=4 off=4 win=262140 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"seg 1 #10 s2c closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) retransmission seq=3 ack=5 off=2 win=524280 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"seg 1 #11 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#2/#8 seq=5 ack=4 off=4 win=262140 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"seg 1 #12 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) retransmission,spurious_retransmission seq=1 ack=1 off=0 win=262140 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"seg 1 #13 s2c closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) keep_alive seq=3 ack=5 off=2 win=524280 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"seg 1 #14 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) seq=5 ack=4 off=4 win=262140 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"seg 1 #15 s2c closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) previous_segment_not_captured seq=10 ack=5 off=9 win=524280 c2s:isn=1000,syn=true,ws=2,closed s2c:isn=5000,syn=true,ws=3,closed",
			"drop 1",
		},
	},
	{
		name: "dup_acks_and_zero_window_after_close",
		segs: func(v *conv) []*decode.Segment {
			out := cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "hello"),
				v.s(RA, 1, 6, ""),
			})
			v.step = 300 * ms
			s1 := v.c(A, 6, 1, "")
			s1.Window = 0
			s2 := v.c(A, 6, 1, "")
			s2.Window = 0
			return append(out, s1, s2, v.c(A, 6, 1, ""), v.c(A, 6, 1, ""), v.c(A, 6, 1, ""), v.c(PA, 6, 1, "w"))
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #4 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"data 1 c2s 0 \"hello\" #4",
			"seg 1 #5 s2c seq=1 ack=6 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"close 1 rst",
			"seg 1 #6 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=1) zero_window seq=6 ack=1 off=5 win=0 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"seg 1 #7 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=1) zero_window seq=6 ack=1 off=5 win=0 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"seg 1 #8 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=1) window_update seq=6 ack=1 off=5 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"seg 1 #9 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=1) dup_ack dup#1/#3 seq=6 ack=1 off=5 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"seg 1 #10 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=1) dup_ack dup#2/#3 seq=6 ack=1 off=5 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"seg 1 #11 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=1) seq=6 ack=1 off=5 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,reset",
			"drop 1",
		},
	},
	{
		name: "syn_retransmission_of_old_isn_stays",
		segs: func(v *conv) []*decode.Segment {
			out := cat(v.handshake(), []*decode.Segment{
				v.c(FA, 1, 1, ""),
				v.s(FA, 1, 2, ""),
				v.c(A, 2, 2, ""),
			})
			v.step = 300 * ms
			return append(out, v.c(S, 0, 0, ""), v.s(SA, 0, 1, ""), v.c(A, 2, 2, ""))
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #4 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,fin_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #5 s2c seq=1 ack=2 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,fin_sent",
			"seg 1 #6 c2s seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"close 1 fin",
			"seg 1 #7 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) retransmission seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"seg 1 #8 s2c closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) retransmission seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"seg 1 #9 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"drop 1",
		},
		check: func(t *testing.T, tr *Tracker) {
			wantEq(t, "conns", tr.Stats().Conns, 1)
		},
	},
	{
		name: "syn_with_new_isn_reuses_tuple",
		segs: func(v *conv) []*decode.Segment {
			out := cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "a"),
				v.c(FA, 2, 1, ""),
				v.s(FA, 1, 3, ""),
				v.c(A, 3, 2, ""),
			})
			v.step = 300 * ms
			out = append(out, v.c(A, 3, 2, ""))
			v.cISN, v.sISN = 90000, 70000
			out = append(out, v.handshake()...)
			out = append(out, v.c(PA, 1, 1, "b"), v.c(RA, 2, 1, ""))
			v.step = 300 * ms
			out = append(out, v.c(A, 2, 1, ""))
			v.cISN, v.sISN = 190000, 170000
			return append(out, v.handshake()...)
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #4 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"data 1 c2s 0 \"a\" #4",
			"seg 1 #5 c2s seq=2 ack=1 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,fin_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #6 s2c seq=1 ack=3 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,fin_sent",
			"seg 1 #7 c2s seq=3 ack=2 off=2 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"close 1 fin",
			"seg 1 #8 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#1/#7 seq=3 ack=2 off=2 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"drop 1",
			"open 2 10.0.0.1:40000>10.0.0.2:80 index=1 reused=true",
			"seg 2 #9 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=90000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 2 #10 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=90000,syn=true,ws=-1,syn_sent s2c:isn=70000,syn=true,ws=-1,syn_sent",
			"seg 2 #11 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=90000,syn=true,ws=-1,established s2c:isn=70000,syn=true,ws=-1,syn_sent",
			"seg 2 #12 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=90000,syn=true,ws=-1,established s2c:isn=70000,syn=true,ws=-1,syn_sent",
			"data 2 c2s 0 \"b\" #12",
			"seg 2 #13 c2s seq=2 ack=1 off=1 win=65535 c2s:isn=90000,syn=true,ws=-1,reset s2c:isn=70000,syn=true,ws=-1,syn_sent",
			"close 2 rst",
			"seg 2 #14 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=1 reused=true close=rst closer=0) dup_ack dup#1/#11 seq=2 ack=1 off=1 win=65535 c2s:isn=90000,syn=true,ws=-1,reset s2c:isn=70000,syn=true,ws=-1,syn_sent",
			"drop 2",
			"open 3 10.0.0.1:40000>10.0.0.2:80 index=2 reused=true",
			"seg 3 #15 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=190000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 3 #16 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=190000,syn=true,ws=-1,syn_sent s2c:isn=170000,syn=true,ws=-1,syn_sent",
			"seg 3 #17 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=190000,syn=true,ws=-1,established s2c:isn=170000,syn=true,ws=-1,syn_sent",
			"close 3 open",
			"drop 3",
		},
		check: func(t *testing.T, tr *Tracker) {
			wantEq(t, "conns", tr.Stats().Conns, 3)
			wantEq(t, "reused", tr.Stats().Reused, 2)
		},
	},
	{
		name: "late_syn_ack_on_tombstone_without_server_syn",
		segs: func(v *conv) []*decode.Segment {
			out := []*decode.Segment{
				v.c(S, 0, 0, ""),
				v.c(A, 1, 1, ""),
				v.c(PA, 1, 1, "q"),
				v.s(A, 1, 2, ""),
				v.c(RA, 2, 1, ""),
			}
			v.step = 300 * ms
			synack := v.s(SA, 0, 1, "") // reordered: after the connection closed
			return append(out, synack, v.s(PA, 1, 2, "r"))
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=false,ws=-1,none",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=false,ws=-1,none",
			"data 1 c2s 0 \"q\" #3",
			"seg 1 #4 s2c seq=1 ack=2 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=false,ws=-1,established",
			"seg 1 #5 c2s seq=2 ack=1 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,reset s2c:isn=5000,syn=false,ws=-1,established",
			"close 1 rst",
			"seg 1 #6 s2c closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=0) retransmission seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,reset s2c:isn=5000,syn=true,ws=-1,established",
			"seg 1 #7 s2c closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=rst closer=0) seq=1 ack=2 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,reset s2c:isn=5000,syn=true,ws=-1,established",
			"drop 1",
		},
	},
	{
		name: "tombstone_expires_after_linger",
		cfg:  Config{ClosedLinger: sec},
		segs: func(v *conv) []*decode.Segment {
			out := cat(v.handshake(), []*decode.Segment{
				v.c(FA, 1, 1, ""),
				v.s(FA, 1, 2, ""),
				v.c(A, 2, 2, ""),
			})
			v.step = 700 * ms
			out = append(out, v.c(A, 2, 2, ""), v.c(A, 2, 2, "")) // refreshes the tombstone
			v.step = 1100 * ms
			return append(out, v.c(PA, 2, 2, "late"))
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #4 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,fin_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #5 s2c seq=1 ack=2 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,fin_sent",
			"seg 1 #6 c2s seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"close 1 fin",
			"seg 1 #7 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#1/#6 seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"seg 1 #8 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#2/#6 seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"drop 1",
			"open 2 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 2 #9 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1001,syn=false,ws=-1,established s2c:isn=5001,syn=false,ws=-1,none",
			"data 2 c2s 0 \"late\" #9",
			"close 2 open",
			"drop 2",
		},
	},
	{
		name: "max_conns_drops_the_oldest_tombstone_first",
		cfg:  Config{MaxConns: 3},
		segs: func(v *conv) []*decode.Segment {
			var out []*decode.Segment
			for i := range 5 {
				v.cli = netipPort(cliEP, uint16(40000+i))
				out = append(out, v.handshake()...)
				if i < 2 {
					out = append(out, v.c(FA, 1, 1, ""), v.s(FA, 1, 2, ""), v.c(A, 2, 2, ""))
					v.step = 300 * ms
					out = append(out, v.c(A, 2, 2, ""))
					v.step = ms
				}
			}
			return out
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80 index=0 reused=false",
			"seg 1 #1 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 1 #2 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #3 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #4 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,fin_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 1 #5 s2c seq=1 ack=2 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,fin_sent",
			"seg 1 #6 c2s seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"close 1 fin",
			"seg 1 #7 c2s closed(10.0.0.1:40000>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#1/#6 seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"open 2 10.0.0.1:40001>10.0.0.2:80 index=0 reused=false",
			"seg 2 #8 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 2 #9 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 2 #10 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 2 #11 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,fin_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 2 #12 s2c seq=1 ack=2 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,fin_sent",
			"seg 2 #13 c2s seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"close 2 fin",
			"seg 2 #14 c2s closed(10.0.0.1:40001>10.0.0.2:80 index=0 reused=false close=fin closer=0) dup_ack dup#1/#13 seq=2 ack=2 off=1 win=65535 c2s:isn=1000,syn=true,ws=-1,closed s2c:isn=5000,syn=true,ws=-1,closed",
			"open 3 10.0.0.1:40002>10.0.0.2:80 index=0 reused=false",
			"seg 3 #15 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 3 #16 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 3 #17 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"drop 1",
			"open 4 10.0.0.1:40003>10.0.0.2:80 index=0 reused=false",
			"seg 4 #18 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 4 #19 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 4 #20 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"drop 2",
			"open 5 10.0.0.1:40004>10.0.0.2:80 index=0 reused=false",
			"seg 5 #21 c2s seq=0 ack=0 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=0,syn=false,ws=-1,none",
			"seg 5 #22 s2c seq=0 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,syn_sent s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"seg 5 #23 c2s seq=1 ack=1 off=0 win=65535 c2s:isn=1000,syn=true,ws=-1,established s2c:isn=5000,syn=true,ws=-1,syn_sent",
			"close 3 open",
			"drop 3",
			"close 4 open",
			"drop 4",
			"close 5 open",
			"drop 5",
		},
		check: func(t *testing.T, tr *Tracker) {
			st := tr.Stats()
			wantEq(t, "tomb evictions", st.TombEvictions, 2)
			wantEq(t, "evictions", st.Evictions, 0)
			wantEq(t, "peak", st.PeakConns, 3)
		},
	},
}

func TestTombstones(t *testing.T) {
	for _, tc := range tombCases {
		t.Run(tc.name, func(t *testing.T) {
			l := &lifeLog{}
			tr := NewTracker(tc.cfg, l)
			v := newConv()
			segs := tc.segs(v)
			for _, s := range segs {
				tr.Add(s)
			}
			if tc.check != nil {
				tc.check(t, tr)
			}
			if tc.flush {
				tr.Flush(v.ts)
				wantEq(t, "Len after Flush", tr.Len(), 0)
			}
			got := strings.Join(l.lines, "\n")
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("log:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// closedConns records a copy of every connection at OnClose.
type closedConns struct {
	lifeLog
	conns []Conn
}

func (h *closedConns) OnClose(c *Conn) { h.conns = append(h.conns, *c) }

// TestTombRoundTrip checks that a tombstone classifies late segments exactly as the full
// Conn it replaced: connections of random exchanges (chaosExchange) are taken at OnClose,
// then random late segments go both to a copy of the full Conn and, through bury, unbury
// and rebury, to its tomb; the SegInfo, the Conn's identity and TCP state, the analysis
// state and startsNew must agree on every segment.
func TestTombRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	h := &closedConns{}
	for range 400 {
		tr := NewTracker(Config{}, h)
		segs := chaosExchange(rng)
		for _, s := range segs {
			tr.Add(s)
		}
		tr.Flush(segs[len(segs)-1].TS + sec)
	}
	if len(h.conns) < 400 {
		t.Fatalf("%d connections closed, want >= 400", len(h.conns))
	}
	flagSets := []tcp.Flags{A, A, A, PA, FA, RA, R, S, SA, F}
	full := NewTracker(Config{}, &lifeLog{})
	burd := NewTracker(Config{}, &lifeLog{})
	var tb tomb
	segs := 0
	for i := range h.conns {
		c := h.conns[i] // the full Conn, as after OnClose
		if !c.closed || !c.finished || c.list != nil {
			t.Fatalf("conn %d at OnClose: closed %v, finished %v, on a list %v", c.ID, c.closed, c.finished, c.list != nil)
		}
		tb.bury(&c)
		ts := c.LastTS
		for range 12 {
			d := flow.Dir(rng.IntN(2))
			src, dst := c.Client, c.Server
			if d == flow.S2C {
				src, dst = dst, src
			}
			ds, ps := &c.Dir[d], &c.Dir[d.Other()]
			n := 0
			if rng.IntN(3) == 0 {
				n = 1 + rng.IntN(3)
			}
			ts += int64(rng.IntN(3)) * int64(rng.IntN(30)) * ms
			seg := &decode.Segment{
				Frame:      uint64(1e6 + segs),
				TS:         ts,
				Src:        src,
				Dst:        dst,
				Flags:      flagSets[rng.IntN(len(flagSets))],
				Seq:        ds.ISN.Add(uint32(int64(ds.st.nxt) + int64(rng.IntN(12)) - 6)),
				Ack:        ps.ISN.Add(uint32(int64(ps.st.nxt) + int64(rng.IntN(12)) - 6)),
				Window:     []uint16{0, 1, 512, 65535, 65535}[rng.IntN(5)],
				Payload:    make([]byte, n),
				PayloadLen: n,
			}
			if seg.Flags.Has(tcp.SYN) && rng.IntN(2) == 0 {
				seg.Opts.HasWScale, seg.Opts.WScale = true, uint8(rng.IntN(15))
			}
			segs++

			burd.scratch = Conn{}
			tb.unbury(&burd.scratch)
			sc := &burd.scratch
			if got, want := burd.startsNew(sc, seg), full.startsNew(&c, seg); got != want {
				t.Fatalf("conn %d #%d: startsNew = %v on the tomb, %v on the Conn", c.ID, seg.Frame, got, want)
			}
			full.process(&c, seg)
			want := full.info
			burd.process(sc, seg)
			got := burd.info
			if got != want {
				t.Fatalf("conn %d #%d %s %s: SegInfo on the tomb\n%+v\nwant (full Conn)\n%+v", c.ID, seg.Frame, d, seg.Flags, got, want)
			}
			if err := sameTombState(sc, &c); err != "" {
				t.Fatalf("conn %d #%d %s %s: %s", c.ID, seg.Frame, d, seg.Flags, err)
			}
			tb.rebury(sc)
		}
	}
}

// sameTombState compares what a tomb keeps of a closed connection: "" when equal.
func sameTombState(got, want *Conn) string {
	type ident struct {
		ID             uint64
		Key            flow.Key
		Client, Server flow.Endpoint
		Index          int
		Reused         bool
		Close          CloseReason
		Closer         int8
		HalfClosed     bool
		closed, fin    bool
		wsOK           bool
		irtt           int64
		lastSeen       int64
	}
	id := func(c *Conn) ident {
		return ident{c.ID, c.Key, c.Client, c.Server, c.Index, c.ReusedTuple, c.Close, c.Closer, c.HalfClosed,
			c.closed, c.finished, c.wsOK, c.irtt, c.lastSeen}
	}
	if g, w := id(got), id(want); g != w {
		return fmt.Sprintf("connection %+v, want %+v", g, w)
	}
	if got.irtt == 0 && got.mruSYN != want.mruSYN {
		return fmt.Sprintf("mruSYN %d, want %d", got.mruSYN, want.mruSYN)
	}
	for i := range got.Dir {
		g, w := &got.Dir[i], &want.Dir[i]
		if g.ISN != w.ISN || g.SawSYN != w.SawSYN || g.WScale != w.WScale || g.State != w.State {
			return fmt.Sprintf("%s: ISN %d SawSYN %v WScale %d State %s, want %d %v %d %s",
				flow.Dir(i), g.ISN, g.SawSYN, g.WScale, g.State, w.ISN, w.SawSYN, w.WScale, w.State)
		}
		if g.an != w.an {
			return fmt.Sprintf("%s: analysis %+v, want %+v", flow.Dir(i), g.an, w.an)
		}
		gs, ws := &g.st, &w.st
		if gs.isnSet != ws.isnSet || gs.isnSet && gs.base != ws.base || gs.nxt != ws.nxt || (gs.high > 0) != (ws.high > 0) {
			return fmt.Sprintf("%s: stream isnSet %v base %d nxt %d high %d, want %v %d %d %d",
				flow.Dir(i), gs.isnSet, gs.base, gs.nxt, gs.high, ws.isnSet, ws.base, ws.nxt, ws.high)
		}
	}
	return ""
}

// TestConnReuse checks that a steady stream of short connections allocates nothing per
// connection once warm: closed Conns are reused for new ones, expired tombs for new
// tombs, and the tables stop growing.
func TestConnReuse(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("allocation counts are not meaningful with -cover")
	}
	trk := NewTracker(Config{CloseWait: ms, ClosedLinger: 20 * ms}, nopHandler{})
	v := newConv()
	v.step = 100e3 // 0.1 ms a segment: about 30 connections in the table at once
	port := 0
	segs := make([]*decode.Segment, 0, 16)
	one := func() {
		port++
		v.cli = netip.AddrPortFrom(cliEP.Addr(), uint16(20000+port%20000))
		segs = append(segs[:0], v.handshake()...)
		segs = append(segs, v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"), v.s(PA, 1, 19, "HTTP/1.1 204 No Content\r\n\r\n"),
			v.c(FA, 19, 28, ""), v.s(FA, 28, 20, ""), v.c(A, 20, 29, ""))
		for _, s := range segs {
			trk.Add(s)
		}
	}
	for range 500 {
		one()
	}
	// The segments themselves are built by the closure (allocations of the test, not the
	// tracker): measure them alone and subtract.
	build := testing.AllocsPerRun(200, func() {
		port++
		segs = append(segs[:0], v.handshake()...)
		segs = append(segs, v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"), v.s(PA, 1, 19, "HTTP/1.1 204 No Content\r\n\r\n"),
			v.c(FA, 19, 28, ""), v.s(FA, 28, 20, ""), v.c(A, 20, 29, ""))
	})
	all := testing.AllocsPerRun(500, one)
	if got := all - build; got > 0.05 {
		t.Errorf("%.2f allocations per connection in the tracker, want 0 (conns and tombs reused)", got)
	}
	if st := trk.Stats(); st.Conns < 1000 || st.Tombstones == 0 {
		t.Errorf("stats %+v: want over 1000 connections, some tombstones", st)
	}
}
