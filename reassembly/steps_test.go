package reassembly

import (
	"strings"
	"testing"

	"github.com/segscope/segscope/decode"
)

type stepCase struct {
	name  string
	cfg   Config
	segs  func(v *conv) []*decode.Segment
	flush bool
	want  []string
	check func(t *testing.T, tr *Tracker, r *recorder)
}

var stepCases = []stepCase{
	{
		name:  "handshake_request_response_fin",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"),
				v.s(A, 1, 19, ""),
				v.s(PA, 1, 19, "HTTP/1.1 200 OK\r\n\r\n"),
				v.c(FA, 19, 20, ""),
				v.s(FA, 20, 20, ""),
				v.c(A, 20, 21, ""),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "GET / HTTP/1.1\r\n\r\n" #4`,
			`data 1 s2c 0 "HTTP/1.1 200 OK\r\n\r\n" #6`,
			"close 1 fin",
		},
	},
	{
		name: "out_of_order_delivered_in_order",
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 5, 1, "bbbb"),
				v.c(PA, 1, 1, "aaaa"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 c2s out_of_order",
			`data 1 c2s 0 "aaaa" #5`,
			`data 1 c2s 4 "bbbb" #4`,
		},
	},
	{
		name: "retransmission_delivered_once",
		segs: func(v *conv) []*decode.Segment {
			v.step = 100 * ms
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "aaaa"),
				v.c(PA, 1, 1, "aaaa"),
				v.c(PA, 1, 1, "aaaabb"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "aaaa" #4`,
			"seg 1 #5 c2s retransmission",
			"seg 1 #6 c2s retransmission",
			`data 1 c2s 4 "bb" #6`,
		},
	},
	{
		name: "conflict_with_delivered_bytes",
		segs: func(v *conv) []*decode.Segment {
			v.step = 100 * ms
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "aaaa"),
				v.c(PA, 3, 1, "XXcc"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "aaaa" #4`,
			"seg 1 #5 c2s out_of_order,overlap_conflict won=#4", // within the handshake RTT: tshark's out_of_order
			`data 1 c2s 4 "cc" #5`,
		},
	},
	{
		name: "conflict_with_buffered_bytes",
		segs: func(v *conv) []*decode.Segment {
			v.step = 100 * ms
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 5, 1, "bbbb"),
				v.c(PA, 5, 1, "bXbb"),
				v.c(PA, 1, 1, "aaaaBBBB"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 c2s retransmission,overlap_conflict won=#4",
			"seg 1 #6 c2s retransmission,overlap_conflict won=#4",
			`data 1 c2s 0 "aaaa" #6`,
			`data 1 c2s 4 "bbbb" #4`,
		},
	},
	{
		name: "ack_beyond_hole_reports_gap_after_ack_gap_delay",
		segs: func(v *conv) []*decode.Segment {
			out := cat(v.handshake(), []*decode.Segment{
				v.c(PA, 5, 1, "bbbb"),
				v.s(A, 1, 9, ""),
			})
			for range ackGapDelay - 1 {
				out = append(out, v.s(A, 1, 9, ""))
			}
			return out
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 s2c acked_unseen_segment",
			"seg 1 #6 s2c dup_ack dup#1",
			"seg 1 #7 s2c dup_ack dup#2",
			"seg 1 #8 s2c dup_ack dup#3",
			"seg 1 #9 s2c dup_ack dup#4",
			"seg 1 #10 s2c dup_ack dup#5",
			"seg 1 #11 s2c dup_ack dup#6",
			"seg 1 #12 s2c dup_ack dup#7",
			"gap 1 c2s 0 4",
			`data 1 c2s 4 "bbbb" #4`,
		},
	},
	{
		name: "ack_before_data_then_data_fills_hole",
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 5, 1, "bbbb"),
				v.s(A, 1, 9, ""),
				v.s(A, 1, 9, ""),
				v.c(PA, 1, 1, "aaaa"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 s2c acked_unseen_segment",
			"seg 1 #6 s2c dup_ack dup#1",
			"seg 1 #7 c2s retransmission,spurious_retransmission",
			`data 1 c2s 0 "aaaa" #7`,
			`data 1 c2s 4 "bbbb" #4`,
		},
	},
	{
		name:  "fin_before_last_data",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(FA|P, 5, 1, "bbbb"),
				v.s(FA, 1, 1, ""),
				v.c(PA, 1, 2, "aaaa"),
				v.s(A, 2, 10, ""),
				v.c(A, 10, 2, ""),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #6 c2s retransmission", // later than the 2 ms handshake RTT after #4
			`data 1 c2s 0 "aaaa" #6`,
			`data 1 c2s 4 "bbbb" #4`,
			"seg 1 #8 c2s dup_ack dup#1", // the last ACK, as tshark sees it, still before OnClose
			"close 1 fin",
		},
	},
	{
		name:  "rst_in_window_closes",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "aaaa"),
				v.s(R, 1, 0, ""),
				v.c(A, 5, 1, ""),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "aaaa" #4`,
			"seg 1 #6 c2s dup_ack dup#1",
			"close 1 rst",
		},
	},
	{
		name: "rst_out_of_window_ignored",
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.s(R, 1_000_000, 0, ""),
				v.c(PA, 1, 1, "aaaa"),
			})
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 s2c rst_out_of_window",
			`data 1 c2s 0 "aaaa" #5`,
			"close 1 open",
		},
	},
	{
		name: "truncated_segment_gap_for_missing_part",
		segs: func(v *conv) []*decode.Segment {
			hs := v.handshake()
			s := v.c(PA, 1, 1, "abcdef")
			s.Payload = s.Payload[:2]
			s.Truncated = true
			return cat(hs, []*decode.Segment{s, v.c(PA, 7, 1, "gh")})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "ab" #4`,
			"gap 1 c2s 2 4",
			`data 1 c2s 6 "gh" #5`,
		},
	},
	{
		name: "mid_stream_request_line_decides_client",
		segs: func(v *conv) []*decode.Segment {
			v.cli, v.srv = srvEP, cliEP // the client uses port 80 here; the request line wins
			return []*decode.Segment{
				v.c(PA, 1, 1, "GET / HTTP/1.1\r\n\r\n"),
				v.s(PA, 1, 19, "HTTP/1.1 204 No Content\r\n\r\n"),
			}
		},
		want: []string{
			"open 1 10.0.0.2:80>10.0.0.1:40000",
			`data 1 c2s 0 "GET / HTTP/1.1\r\n\r\n" #1`,
			`data 1 s2c 0 "HTTP/1.1 204 No Content\r\n\r\n" #2`,
		},
	},
	{
		name: "mid_stream_status_line_decides_server",
		segs: func(v *conv) []*decode.Segment {
			return []*decode.Segment{v.s(PA, 1, 1, "HTTP/1.1 200 OK\r\n")}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 s2c 0 "HTTP/1.1 200 OK\r\n" #1`,
		},
	},
	{
		name: "syn_ack_first_decides_server",
		segs: func(v *conv) []*decode.Segment {
			v.cli, v.srv = srvEP, cliEP
			return []*decode.Segment{v.s(SA, 0, 1, ""), v.c(A, 1, 1, ""), v.c(PA, 1, 1, "x")}
		},
		want: []string{
			"open 1 10.0.0.2:80>10.0.0.1:40000",
			`data 1 c2s 0 "x" #3`,
		},
	},
	{
		name: "port_decides_without_syn_or_http",
		segs: func(v *conv) []*decode.Segment {
			return []*decode.Segment{v.s(PA, 1, 1, "\x16\x03\x01")}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 s2c 0 "\x16\x03\x01" #1`,
		},
	},
	{
		name:  "late_ack_stays_with_closed_conn_and_new_syn_reuses_tuple",
		flush: true,
		segs: func(v *conv) []*decode.Segment {
			first := cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "a"),
				v.c(FA, 2, 1, ""),
				v.s(FA, 1, 3, ""),
				v.c(A, 3, 2, ""),
				v.c(A, 3, 2, ""),  // late duplicate of the last ACK
				v.s(FA, 1, 3, ""), // retransmitted FIN
			})
			v.cISN = 90000
			v.sISN = 70000
			second := cat(v.handshake(), []*decode.Segment{v.c(S, 0, 0, ""), v.c(PA, 1, 1, "b")})
			return cat(first, second)
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #4`,
			"seg 1 #8 c2s dup_ack dup#1",
			"seg 1 #9 s2c retransmission",
			"close 1 fin",
			"open 2 10.0.0.1:40000>10.0.0.2:80",
			"seg 2 #13 c2s retransmission",
			`data 2 c2s 0 "b" #14`,
			"close 2 open",
		},
	},
	{
		name: "keep_alive_is_not_data",
		segs: func(v *conv) []*decode.Segment {
			v.step = sec
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "abc"),
				v.s(A, 1, 4, ""),
				v.c(A, 3, 1, "Z"),
				v.s(A, 1, 4, ""),
				v.c(PA, 4, 1, "d"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "abc" #4`,
			"seg 1 #6 c2s keep_alive",
			"seg 1 #7 s2c keep_alive_ack",
			`data 1 c2s 3 "d" #8`,
		},
	},
	{
		name: "sequence_wraparound",
		segs: func(v *conv) []*decode.Segment {
			v.cISN = 0xfffffffa
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "0123"),
				v.c(PA, 9, 1, "89"),
				v.c(PA, 5, 1, "4567"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "0123" #4`,
			"seg 1 #5 c2s previous_segment_not_captured",
			"seg 1 #6 c2s out_of_order",
			`data 1 c2s 4 "4567" #6`,
			`data 1 c2s 8 "89" #5`,
		},
	},
	{
		name: "syn_with_data_tfo",
		segs: func(v *conv) []*decode.Segment {
			return []*decode.Segment{v.c(S, 0, 0, "GET"), v.s(SA, 0, 4, ""), v.c(PA, 4, 1, " /")}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "GET" #1`,
			`data 1 c2s 3 " /" #3`,
		},
	},
	{
		name: "flush_reports_holes_then_data",
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{v.c(PA, 5, 1, "bbbb"), v.c(PA, 11, 1, "dd")})
		},
		flush: true,
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 c2s previous_segment_not_captured",
			"gap 1 c2s 0 4",
			`data 1 c2s 4 "bbbb" #4`,
			"gap 1 c2s 8 2",
			`data 1 c2s 10 "dd" #5`,
			"close 1 open",
		},
	},
	{
		name: "per_conn_buffer_limit_gives_up_oldest_hole",
		cfg:  Config{MaxBufferedPerConn: 6},
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 3, 1, "cccc"),
				v.c(PA, 9, 1, "eeee"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"seg 1 #4 c2s previous_segment_not_captured",
			"seg 1 #5 c2s previous_segment_not_captured",
			"gap 1 c2s 0 2",
			`data 1 c2s 2 "cccc" #4`,
		},
	},
	{
		name: "dup_acks_and_fast_retransmission",
		segs: func(v *conv) []*decode.Segment {
			return cat(v.handshake(), []*decode.Segment{
				v.c(PA, 1, 1, "aaaa"),
				v.c(PA, 9, 1, "cccc"),
				v.s(A, 1, 5, ""),
				v.s(A, 1, 5, ""),
				v.s(A, 1, 5, ""),
				v.s(A, 1, 5, ""),
				v.c(PA, 5, 1, "bbbb"),
			})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "aaaa" #4`,
			"seg 1 #5 c2s previous_segment_not_captured",
			"seg 1 #7 s2c dup_ack dup#1",
			"seg 1 #8 s2c dup_ack dup#2",
			"seg 1 #9 s2c dup_ack dup#3",
			"seg 1 #10 c2s retransmission,fast_retransmission",
			`data 1 c2s 4 "bbbb" #10`,
			`data 1 c2s 8 "cccc" #5`,
		},
	},
	{
		name: "zero_window_probe_and_update",
		segs: func(v *conv) []*decode.Segment {
			v.step = 200 * ms
			hs := v.handshake()
			data := v.c(PA, 1, 1, "aaaa")
			zw := v.s(A, 1, 5, "")
			zw.Window = 0
			probe := v.c(PA, 5, 1, "b")
			probeAck := v.s(A, 1, 5, "")
			probeAck.Window = 0
			upd := v.s(A, 1, 6, "")
			return cat(hs, []*decode.Segment{data, zw, probe, probeAck, upd, v.c(PA, 6, 1, "c")})
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "aaaa" #4`,
			"seg 1 #5 s2c zero_window",
			"seg 1 #6 c2s zero_window_probe",
			`data 1 c2s 4 "b" #6`,
			"seg 1 #7 s2c zero_window,zero_window_probe_ack",
			`data 1 c2s 5 "c" #9`,
		},
	},
	{
		name: "idle_timeout_by_packet_time",
		cfg:  Config{IdleTimeout: 10 * sec},
		segs: func(v *conv) []*decode.Segment {
			first := v.c(PA, 1, 1, "a")
			v.ts += 11 * sec
			// Another connection (another client port) moves packet time on.
			other := &conv{cli: netipPort(cliEP, 40001), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts, frame: v.frame}
			return []*decode.Segment{first, other.c(PA, 1, 1, "b")}
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			`data 1 c2s 0 "a" #1`,
			"close 1 timeout",
			"open 2 10.0.0.1:40001>10.0.0.2:80",
			`data 2 c2s 0 "b" #2`,
		},
	},
	{
		name: "max_conns_evicts_least_recently_active",
		cfg:  Config{MaxConns: 2},
		segs: func(v *conv) []*decode.Segment {
			var out []*decode.Segment
			for i := range 3 {
				w := &conv{cli: netipPort(cliEP, uint16(40000+i)), srv: srvEP, cISN: 1, sISN: 1, ts: v.ts + int64(i)*ms, frame: uint64(i)}
				out = append(out, w.c(S, 0, 0, ""))
			}
			return out
		},
		want: []string{
			"open 1 10.0.0.1:40000>10.0.0.2:80",
			"open 2 10.0.0.1:40001>10.0.0.2:80",
			"close 1 evicted",
			"open 3 10.0.0.1:40002>10.0.0.2:80",
		},
	},
}

func TestSteps(t *testing.T) {
	for _, tc := range append(append(append(stepCases, moreCases...), moreCases2...), evasionCases...) {
		t.Run(tc.name, func(t *testing.T) {
			v := newConv()
			segs := tc.segs(v)
			tr, r := run(t, tc.cfg, segs...)
			if tc.flush {
				tr.Flush(v.ts)
			}
			got := r.String()
			want := strings.Join(tc.want, "\n")
			if got != want {
				t.Errorf("events:\n%s\nwant:\n%s", got, want)
			}
			if tc.check != nil {
				tc.check(t, tr, r)
			}
		})
	}
}
