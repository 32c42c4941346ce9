package analysis

import (
	"strings"
	"testing"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

func findingsString(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Kind + "[" + f.Severity + "] " + f.Text + "\n")
	}
	return b.String()
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name  string
		build func() *conn
		want  map[Kind]string // kind -> substring of its text
		not   []Kind          // kinds that must not appear
	}{
		{
			name:  "one exchange, client closes",
			build: func() *conn { c := simpleConn(); c.xs[0].KeepAlive = false; return c },
			want: map[Kind]string{
				KindHandshake:   "took 1.05 ms from SYN to ACK",
				KindNoKeepAlive: "Connection: close",
				KindDelayedAck:  "1 ACK-only segment from the server (frame 5) came 41.0 ms after",
				KindTimeWait:    "the client sent the first FIN (frame 10): an active close",
			},
			not: []Kind{KindKeepAlive, KindPipelining, KindRetransmission, KindReset, KindHalfClose, KindNagle},
		},
		{
			name: "keep-alive with pipelining",
			build: func() *conn {
				c := newConn()
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)    // 4 request 1
				c.add(ms/10, dirC2S, tcp.ACK|tcp.PSH, 38) // 5 request 2, before response 1
				c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 100)   // 6 response 1
				c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 100)   // 7 response 2
				c.exchange(1, "GET", "/a", 200, 0, 38, 0, 100)
				c.exchange(2, "GET", "/b", 200, 38, 76, 100, 200)
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{
				KindKeepAlive:  "2 requests on one connection",
				KindPipelining: "depth 2: request 2 was sent while 1 earlier response was still incomplete",
				KindTimeWait:   "still open",
			},
			not: []Kind{KindNoKeepAlive},
		},
		{
			name: "Nagle and delayed ACK",
			build: func() *conn {
				c := newConn()
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 200)    // 4 headers
				c.add(40*ms, dirS2C, tcp.ACK, 0)           // 5 delayed ACK
				c.add(ms/20, dirC2S, tcp.ACK|tcp.PSH, 100) // 6 body, held by Nagle
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{
				KindNagle:      "frame 6 (100 bytes) was sent 50.0 µs after the ACK (frame 5) of the previous small segment (frame 4), 40.0 ms after that segment: this suggests Nagle",
				KindDelayedAck: "suggests delayed ACK",
			},
		},
		{
			name: "a request sent right after the response is not Nagle",
			build: func() *conn {
				c := newConn()
				c.handshake(60 * ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 200)    // 4 request 1
				c.add(60*ms, dirS2C, tcp.ACK, 0)           // 5 ACK after one RTT
				c.add(ms/2, dirS2C, tcp.ACK|tcp.PSH, 300)  // 6 response 1
				c.add(ms/50, dirC2S, tcp.ACK, 0)           // 7
				c.add(ms/10, dirC2S, tcp.ACK|tcp.PSH, 150) // 8 request 2
				c.exchange(1, "GET", "/a", 200, 0, 200, 0, 300)
				c.exchange(2, "GET", "/b", 200, 200, 350, 300, 300)
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{KindKeepAlive: "2 requests"},
			not:  []Kind{KindNagle, KindDelayedAck},
		},
		{
			name: "retransmission timeout and fast retransmit",
			build: func() *conn {
				c := newConn()
				c.handshake(ms)
				c.add(ms, dirS2C, tcp.ACK, 1000)                               // 4
				c.retrans(300*ms, dirS2C, 0, 1000)                             // 5 RTO
				c.add(ms, dirS2C, tcp.ACK, 1000)                               // 6
				c.add(ms, dirS2C, tcp.ACK, 1000)                               // 7
				c.add(ms, dirC2S, tcp.ACK, 0, tcp.ClassDupAck)                 // 8
				c.add(ms, dirC2S, tcp.ACK, 0, tcp.ClassDupAck)                 // 9
				c.add(ms, dirC2S, tcp.ACK, 0, tcp.ClassDupAck)                 // 10
				c.retrans(ms, dirS2C, 1000, 1000, tcp.ClassFastRetransmission) // 11
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{
				KindRetransmission: "a fast retransmit",
			},
		},
		{
			name: "zero window and capture gap",
			build: func() *conn {
				c := newConn()
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
				c.add(ms, dirS2C, tcp.ACK, 1448)
				zw := c.add(ms, dirC2S, tcp.ACK, 0, tcp.ClassZeroWindow)
				zw.Win = 0
				c.add(35*ms, dirC2S, tcp.ACK, 0, tcp.ClassWindowUpdate)
				c.skip(dirS2C, 1448)
				c.add(ms, dirS2C, tcp.ACK, 1448, tcp.ClassPreviousSegmentNotCaptured)
				c.add(ms, dirC2S, tcp.ACK, 0, tcp.ClassAckedUnseenSegment)
				c.exchange(1, "GET", "/", 200, 0, 38, 0, 4344)
				c.xs[0].HTTP.Verdict = "gap"
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{
				KindZeroWindow: "frame 6: the client advertised a zero window: its receive buffer was full (the application was not reading fast enough), so the server had to stop sending until frame 7 reopened it 35.0 ms later",
				KindGap:        "bytes of exchange 1 are missing from the capture; 1 segment follows a hole",
			},
		},
		{
			name: "server reset",
			build: func() *conn {
				c := newConn()
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
				c.add(ms, dirS2C, tcp.RST|tcp.ACK, 0)
				c.ci.Close = "rst"
				return c
			},
			want: map[Kind]string{KindReset: "the server reset the connection (RST): an abortive close"},
			not:  []Kind{KindTimeWait},
		},
		{
			name: "half-close",
			build: func() *conn {
				c := newConn()
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
				c.add(ms, dirC2S, tcp.ACK|tcp.FIN, 0)
				c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 500)
				c.add(ms, dirS2C, tcp.ACK|tcp.FIN, 0)
				c.add(ms, dirC2S, tcp.ACK, 0)
				return c
			},
			want: map[Kind]string{
				KindHalfClose: "after the client's FIN (frame 5) the server still sent 500 bytes",
				KindTimeWait:  "the client sent the first FIN",
			},
		},
		{
			name: "slow start flights",
			build: func() *conn {
				c := newConn()
				c.handshake(20 * ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
				var n uint64
				for _, flight := range []int{10, 20, 40, 5} {
					for i := range flight {
						dt := ms / 100
						if i == 0 {
							dt = 20 * ms
						}
						c.add(dt, dirS2C, tcp.ACK, 1448)
						n += 1448
					}
				}
				c.exchange(1, "GET", "/big", 200, 0, 38, 0, n)
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{
				KindSlowStart: "75 data segments in 4 flights (bursts separated by at least half a round trip): 10, 20, 40, 5 segments; growing about twice per round trip suggests slow start (initial window about 10 segments)",
			},
		},
		{
			name: "no handshake seen",
			build: func() *conn {
				c := newConn()
				c.add(0, dirC2S, tcp.ACK|tcp.PSH, 38)
				c.ci.Close = "open"
				return c
			},
			want: map[Kind]string{KindHandshake: "not captured"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.build()
			fs := Diagnose(&c.ci, c.segs, c.xs)
			all := findingsString(fs)
			t.Log("\n" + all)
			for kind, sub := range tt.want {
				found := false
				for _, f := range fs {
					if f.Kind == string(kind) && strings.Contains(f.Text, sub) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s finding with %q in:\n%s", kind, sub, all)
				}
			}
			for _, kind := range tt.not {
				for _, f := range fs {
					if f.Kind == string(kind) {
						t.Errorf("unexpected finding %s: %s", kind, f.Text)
					}
				}
			}
			for _, f := range fs {
				if f.Conn != 1 || (f.Severity != string(SevInfo) && f.Severity != string(SevWarn)) {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
