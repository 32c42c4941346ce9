package reassembly

import (
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
)

func synOpts(s *decode.Segment, mss uint16, ws int) *decode.Segment {
	s.Opts.HasMSS, s.Opts.MSS = true, mss
	if ws >= 0 {
		s.Opts.HasWScale, s.Opts.WScale = true, uint8(ws)
	}
	s.Opts.SACKPermitted = true
	s.Opts.HasTS = true
	return s
}

func wantEq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

var moreCases = []stepCase{
	{
		name: "handshake_fields_options_and_relative_numbers",
		segs: func(v *conv) []*decode.Segment {
			v.step = 10 * ms
			return []*decode.Segment{
				synOpts(v.c(S, 0, 0, ""), 1460, 7),
				synOpts(v.s(SA, 0, 1, ""), 1400, 2),
				v.c(A, 1, 1, ""),
				v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"),
				v.s(A, 1, 19, ""),
			}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "GET / HTTP/1.1\r\n\r\n" #4`,
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			c := r.conns[1]
			wantEq(t, "ACKTime-SYNTime", c.ACKTime-c.SYNTime, 20*ms)
			wantEq(t, "client MSS", c.Dir[flow.C2S].MSS, 1460)
			wantEq(t, "server WScale", c.Dir[flow.S2C].WScale, 2)
			wantEq(t, "SACKPerm", c.Dir[flow.S2C].SACKPerm, true)
			wantEq(t, "client State", c.Dir[flow.C2S].State, StateEstablished)
			wantEq(t, "client ISN", c.Dir[flow.C2S].ISN, 1000)
			i4 := r.infos[4]
			wantEq(t, "RelSeq #4", i4.RelSeq, 1)
			wantEq(t, "RelAck #4", i4.RelAck, 1)
			wantEq(t, "Off #4", i4.Off, 0)
			wantEq(t, "NewBytes #4", i4.NewBytes, 18)
			wantEq(t, "Window #4 (65535<<7)", i4.Window, 65535<<7)
			wantEq(t, "Window #5 (65535<<2)", r.infos[5].Window, 65535<<2)
			wantEq(t, "Window #1 (SYN, unscaled)", r.infos[1].Window, 65535)
			wantEq(t, "RelAck #5", r.infos[5].RelAck, 19)
		},
	},
	{
		name: "window_not_scaled_unless_both_syns_carry_ws",
		segs: func(v *conv) []*decode.Segment {
			return []*decode.Segment{
				synOpts(v.c(S, 0, 0, ""), 1460, 7),
				synOpts(v.s(SA, 0, 1, ""), 1400, -1),
				v.c(A, 1, 1, ""),
			}
		},
		want: []string{"open 1 10.0.0.1:40000>10.0.0.2:80"},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			wantEq(t, "Window #3", r.infos[3].Window, 65535)
		},
	},
	{
		name: "new_syn_after_rst_starts_new_connection",
		segs: func(v *conv) []*decode.Segment {
			first := cat(v.handshake(), []*decode.Segment{v.c(PA, 1, 1, "a"), v.s(RA, 1, 2, "")})
			v.cISN, v.sISN = 777777, 888888
			return cat(first, v.handshake(), []*decode.Segment{v.c(PA, 1, 1, "b")})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #4`,
			"close 1 rst",
			"open 2 10.0.0.1:40000>10.0.0.2:80",
			`data 2 c2s 0 "b" #9`,
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			c1, c2 := r.conns[1], r.conns[2]
			wantEq(t, "Closer", c1.Closer, int8(flow.S2C))
			wantEq(t, "server State", c1.Dir[flow.S2C].State, StateReset)
			wantEq(t, "c2.Index", c2.Index, 1)
			wantEq(t, "c2.ReusedTuple", c2.ReusedTuple, true)
			wantEq(t, "c1.ReusedTuple", c1.ReusedTuple, false)
			wantEq(t, "Reused", tr.Stats().Reused, 1)
		},
	},
	{
		name: "new_syn_on_open_connection_with_data_starts_new_connection",
		segs: func(v *conv) []*decode.Segment {
			first := cat(v.handshake(), []*decode.Segment{v.c(PA, 1, 1, "a")})
			v.cISN = 424242
			return cat(first, []*decode.Segment{v.c(S, 0, 0, "")})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #4`,
			"close 1 open",
			"open 2 10.0.0.1:40000>10.0.0.2:80",
		},
	},
	{
		name:  "half_close_and_closer",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(FA, 1, 1, ""),
				v.s(A, 1, 2, ""),
				v.s(PA, 1, 2, "late"),
				v.c(A, 2, 5, ""),
				v.s(FA, 5, 2, ""),
				v.c(A, 2, 6, ""),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 s2c 0 "late" #6`,
			"close 1 fin",
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			c := r.conns[1]
			wantEq(t, "HalfClosed", c.HalfClosed, true)
			wantEq(t, "Closer", c.Closer, int8(flow.C2S))
			wantEq(t, "client State", c.Dir[flow.C2S].State, StateClosed)
			wantEq(t, "client FINFrame", c.Dir[flow.C2S].FINFrame, 4)
		},
	},
	{
		name: "close_wait_without_last_ack",
		cfg:  Config{CloseWait: 100 * ms},
		segs: func(v *conv) []*decode.Segment {
			first := cat(v.handshake(), []*decode.Segment{v.c(FA, 1, 1, ""), v.s(FA, 1, 2, "")})
			// Both FINs wait FinalACKWait (2 s) for the last ACK, not CloseWait.
			w := &conv{cli: netipPort(cliEP, 40009), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts + 2100*ms, frame: v.frame}
			return cat(first, []*decode.Segment{w.c(S, 0, 0, "")})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"close 1 fin",
			"open 2 10.0.0.1:40009>10.0.0.2:80",
		},
	},
	{
		name: "last_ack_200ms_after_the_fins",
		cfg:  Config{CloseWait: 100 * ms},
		segs: func(v *conv) []*decode.Segment {
			first := cat(v.handshake(), []*decode.Segment{v.c(FA, 1, 1, ""), v.s(FA, 1, 2, "")})
			v.ts += 200 * ms
			last := v.c(A, 2, 2, "")
			w := &conv{cli: netipPort(cliEP, 40009), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts + 150*ms, frame: v.frame}
			return cat(first, []*decode.Segment{last, w.c(S, 0, 0, "")})
		},
		want: []string{
			// The last ACK still belongs to conn 1 (LastFrame 6); CloseWait after it.
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"close 1 fin",
			"open 2 10.0.0.1:40009>10.0.0.2:80",
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			c := r.conns[1]
			wantEq(t, "client State", c.Dir[flow.C2S].State, StateClosed)
			wantEq(t, "server State", c.Dir[flow.S2C].State, StateClosed)
			wantEq(t, "LastFrame", c.LastFrame, 6)
		},
	},
	{
		name: "flush_in_connection_id_order",
		segs: func(v *conv) []*decode.Segment {
			var out []*decode.Segment
			for i := range 5 {
				w := &conv{cli: netipPort(cliEP, uint16(40100-i)), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts, frame: uint64(i)}
				out = append(out, w.c(PA, 1, 1, "x"))
			}
			return out
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40100>10.0.0.2:80",
			`data 1 c2s 0 "x" #1`,
			"open 2 10.0.0.1:40099>10.0.0.2:80",
			`data 2 c2s 0 "x" #2`,
			"open 3 10.0.0.1:40098>10.0.0.2:80",
			`data 3 c2s 0 "x" #3`,
			"open 4 10.0.0.1:40097>10.0.0.2:80",
			`data 4 c2s 0 "x" #4`,
			"open 5 10.0.0.1:40096>10.0.0.2:80",
			`data 5 c2s 0 "x" #5`,
			"close 1 open",
			"close 2 open",
			"close 3 open",
			"close 4 open",
			"close 5 open",
		},
	},
	{
		name: "total_buffer_limit_gives_up_least_recent_connection",
		cfg:  Config{MaxBufferedTotal: 6},
		segs: func(v *conv) []*decode.Segment {
			w := &conv{cli: netipPort(cliEP, 40001), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts, frame: 10}
			return []*decode.Segment{
				v.c(PA, 1, 1, "a"),
				v.c(PA, 5, 1, "eeee"),
				w.c(PA, 1, 1, "A"),
				w.c(PA, 5, 1, "EEEE"),
			}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #1`,
			"seg 1 #2 c2s previous_segment_not_captured",
			"open 2 10.0.0.1:40001>10.0.0.2:80",
			`data 2 c2s 0 "A" #11`,
			"seg 2 #12 c2s previous_segment_not_captured",
			"gap 2 c2s 1 3",
			`data 2 c2s 4 "EEEE" #12`,
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			wantEq(t, "TotalLimitHits", tr.Stats().TotalLimitHits, 1)
		},
	},
	{
		name: "total_buffer_limit_other_connection",
		cfg:  Config{MaxBufferedTotal: 6},
		segs: func(v *conv) []*decode.Segment {
			w := &conv{cli: netipPort(cliEP, 40001), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts, frame: 10}
			return []*decode.Segment{
				v.c(PA, 1, 1, "a"),
				v.c(PA, 5, 1, "eeee"),
				w.c(PA, 1, 1, "A"),
				w.c(PA, 3, 1, "C"),
				w.c(PA, 2, 1, "B"),
				v.c(PA, 20, 1, "zzz"), // 7 held: the other connection is the victim... but this one holds bytes
			}
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #1`,
			"seg 1 #2 c2s previous_segment_not_captured",
			"open 2 10.0.0.1:40001>10.0.0.2:80",
			`data 2 c2s 0 "A" #11`,
			"seg 2 #12 c2s previous_segment_not_captured",
			"seg 2 #13 c2s out_of_order",
			`data 2 c2s 1 "B" #13`,
			`data 2 c2s 2 "C" #12`,
			"seg 1 #3 c2s previous_segment_not_captured",
			"gap 1 c2s 1 3",
			`data 1 c2s 4 "eeee" #2`,
			"gap 1 c2s 8 11",
			`data 1 c2s 19 "zzz" #3`,
			"close 1 open",
			"close 2 open",
		},
	},
	{
		name: "retransmitted_syn_same_isn_stays",
		segs: func(v *conv) []*decode.Segment {
			v.step = sec
			return []*decode.Segment{v.c(S, 0, 0, ""), v.c(S, 0, 0, ""), v.s(SA, 0, 1, ""), v.c(A, 1, 1, "")}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #2 c2s retransmission",
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			wantEq(t, "conns", tr.Stats().Conns, 1)
			wantEq(t, "SYNTime is the first SYN", r.conns[1].SYNTime, r.conns[1].FirstTS)
		},
	},
	{
		name: "late_syn_ack_does_not_invert_direction",
		segs: func(v *conv) []*decode.Segment {
			return []*decode.Segment{v.c(PA, 1, 1, "GET / HTTP/1.0\r\n\r\n"), v.s(SA, 0, 1, "")}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "GET / HTTP/1.0\r\n\r\n" #1`,
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			wantEq(t, "Client", r.conns[1].Client, cliEP)
		},
	},
	{
		name:  "truncated_out_of_order_segment_leaves_hole",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			hs := v.handshake()
			s := v.c(PA, 5, 1, "efgh")
			s.Payload = s.Payload[:2]
			s.Truncated = true
			return cat(hs, []*decode.Segment{s, v.c(PA, 1, 1, "abcd"), v.s(A, 1, 9, "")})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 c2s out_of_order",
			`data 1 c2s 0 "abcd" #5`,
			`data 1 c2s 4 "ef" #4`,
			"gap 1 c2s 6 2",
			"close 1 open",
		},
	},
}

var moreCases2 = []stepCase{
	{
		name: "late_packets_after_close_wait_stay_with_tombstone",
		cfg:  Config{CloseWait: 50 * ms},
		segs: func(v *conv) []*decode.Segment {
			v.step = 10 * ms
			out := cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "a"),
				v.s(RA, 1, 2, ""),
			})
			v.step = 100 * ms
			return append(out, v.s(RA, 1, 2, ""), v.c(PA, 2, 1, "b"))
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #4`,
			"close 1 rst", // #6 and #7 come after CloseWait: OnSegment only
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			wantEq(t, "conns", tr.Stats().Conns, 1)
			wantEq(t, "tombstones", tr.Stats().Tombstones, 1)
			// The Conn of OnClose counts what came before OnClose; #6 and #7 were
			// reported on a Conn rebuilt from the tombstone (TestTombLate).
			wantEq(t, "server packets at OnClose", r.conns[1].Dir[flow.S2C].Packets, 2)
		},
	},
	{
		name: "late_syn_of_reordered_capture_stays",
		segs: func(v *conv) []*decode.Segment {
			syn := v.c(S, 0, 0, "")
			synAck := v.s(SA, 0, 1, "")
			data := v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n")
			return []*decode.Segment{data, synAck, syn}
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "GET / HTTP/1.1\r\n\r\n" #3`,
			"seg 1 #1 c2s out_of_order",
			"close 1 open",
		},
	},
	{
		name:  "data_after_rst_not_delivered",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "a"),
				v.s(RA, 1, 2, ""),
				v.c(PA, 2, 1, "b"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #4`,
			"close 1 rst",
		},
	},
	{
		name:  "rst_in_window_but_not_exact_accepted",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "abc"),
				v.c(R, 100, 0, ""),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "abc" #4`,
			"close 1 rst",
		},
	},
	{
		name: "bytes_before_first_seen_offset_are_dropped",
		segs: func(v *conv) []*decode.Segment {
			return []*decode.Segment{
				v.c(PA, 11, 1, "klm"),
				v.c(PA, 6, 1, "fghijklm"),
			}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "klm" #1`,
			"seg 1 #2 c2s retransmission", // ends where #1 ended: tshark's retransmission

		},
	},
	{
		name: "ack_before_data_in_capture_order_does_not_gap",
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.s(A, 1, 5, ""),
				v.c(PA, 1, 1, "abcd"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 s2c acked_unseen_segment",
			"seg 1 #5 c2s retransmission,spurious_retransmission", // already acknowledged, as tshark says
			`data 1 c2s 0 "abcd" #5`,
		},
	},
}

func TestAddDoesNotRetainPayload(t *testing.T) {
	v := newConv()
	r := newRecorder(t)
	tr := NewTracker(Config{}, r)
	for _, s := range v.handshake() {
		tr.Add(s)
	}
	buf := []byte("bbbb")
	late := v.c(PA, 5, 1, "")
	late.Payload, late.PayloadLen = buf, len(buf)
	tr.Add(late)
	copy(buf, "XXXX") // the caller reuses its buffer
	tr.Add(v.c(PA, 1, 1, "aaaa"))
	if got := string(r.data[1][flow.C2S]); got != "aaaabbbb" {
		t.Errorf("delivered %q, want %q", got, "aaaabbbb")
	}
}

var evasionCases = []stepCase{
	{
		// suricata bug-3286-02-linux-evasion: an injected RST (and FIN) before the
		// SYN-ACK, which the client's Linux rejects; the connection goes on.
		name: "rst_before_syn_ack_then_handshake_goes_on",
		segs: func(v *conv) []*decode.Segment {
			syn := v.c(S, 0, 0, "")
			v.sISN = 5000
			rst := v.s(RA, 1, 1, "") // bogus server sequence number
			fin := v.s(FA, 1, 1, "")
			crst := v.c(R, 1, 0, "")
			v.sISN = 90000 // the real server
			return []*decode.Segment{syn, rst, fin, crst,
				v.s(SA, 0, 1, ""), v.c(A, 1, 1, ""), v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"),
				v.s(A, 1, 19, ""), v.s(PA, 1, 19, "HTTP/1.1 200 OK\r\n\r\n")}
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #5 s2c previous_segment_not_captured", // measured from the injected segments, as tshark does
			"seg 1 #6 c2s acked_unseen_segment",
			`data 1 c2s 0 "GET / HTTP/1.1\r\n\r\n" #7`,
			`data 1 s2c 0 "HTTP/1.1 200 OK\r\n\r\n" #9`,
			"close 1 open",
		},
		check: func(t *testing.T, tr *Tracker, r *recorder) {
			wantEq(t, "Revived", tr.Stats().Revived, 1)
			wantEq(t, "server ISN", r.conns[1].Dir[flow.S2C].ISN, 90000)
		},
	},
}
