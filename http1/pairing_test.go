package http1

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Framing that real servers and evasive peers send, and pairing anchored in the
// acknowledgements (see pairing.go).
func TestHonestyScenarios(t *testing.T) {
	const (
		r1 = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
		r2 = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
		r3 = "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
		a1 = "HTTP/1.1 200 one\r\nContent-Length: 1\r\n\r\n1"
		a2 = "HTTP/1.1 201 two\r\nContent-Length: 2\r\n\r\n22"
		a3 = "HTTP/1.1 202 three\r\nContent-Length: 3\r\n\r\n333"
	)
	tests := []struct {
		name  string
		noAck bool
		ops   []op
		want  []want
	}{
		{
			name: "whitespace in target",
			ops:  []op{c2s("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), s2c(a1)},
			want: []want{{verdict: "complete", method: "GET", uri: "/a b", status: 200, respBody: 1, anomalies: []Anomaly{AnomWhitespaceInTarget}}},
		},
		{
			// The CONNECT so recognised opens its tunnel: the SMTP inside is not HTTP.
			name: "CONNECT with a space opens the tunnel",
			ops: []op{c2s("CONNECT mail.example:25 / HTTP/1.0\r\n\r\n"), s2c("HTTP/1.0 200 Connection established\r\n\r\n"),
				s2c("220 mail ESMTP\r\n"), c2s("EHLO x\r\n"), s2c("250 ok\r\n"), c2s("DATA\r\nGET / HTTP/1.1\r\n\r\n")},
			want: []want{{verdict: "complete", method: "CONNECT", uri: "mail.example:25 /", status: 200, anomalies: []Anomaly{AnomWhitespaceInTarget}}},
		},
		{
			name: "invalid Content-Length with close reads to the close",
			ops: []op{c2s(r1), s2c("HTTP/1.1 200 OK\r\nContent-Length: 34( 68)\r\nConnection: close\r\n\r\n"),
				s2c(strings.Repeat("x", 34)), s2c(strings.Repeat("y", 34)), fin(S2C)},
			want: []want{{verdict: "complete", status: 200, respBody: 68, anomalies: []Anomaly{AnomInvalidContentLength}}},
		},
		{
			name: "invalid Content-Length in HTTP/1.0 reads to the close",
			ops:  []op{c2s(r1), s2c("HTTP/1.0 200 OK\r\nContent-Length: 1x\r\n\r\nabc"), fin(S2C)},
			want: []want{{verdict: "complete", status: 200, respBody: 3, anomalies: []Anomaly{AnomInvalidContentLength}}},
		},
		{
			name: "invalid Content-Length on a keep-alive response stays invalid",
			ops:  []op{c2s(r1), s2c("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nabc"), fin(S2C)},
			want: []want{{verdict: "truncated", status: 200, anomalies: []Anomaly{AnomInvalidContentLength}}},
		},
		{
			name: "HTTP/0.9 response",
			ops:  []op{c2s("GET /old\r\n"), s2c("<html>hello</html>"), fin(S2C)},
			want: []want{{verdict: "complete", method: "GET", uri: "/old", status: 0, respBody: 18, anomalies: []Anomaly{AnomHTTP09}}},
		},
		{
			name: "keep-alive, response lost",
			ops:  []op{c2s(r1), s2c(a1), c2s(r2), gap(S2C, len(a2)), c2s(r3), s2c(a3)},
			want: []want{
				{verdict: "complete", uri: "/1", status: 200, respBody: 1},
				{verdict: "gap", uri: "/2", noResp: true, anomalies: []Anomaly{AnomResponseInGap}},
				{verdict: "complete", uri: "/3", status: 202, respBody: 3},
			},
		},
		{
			name: "keep-alive, two responses lost",
			ops:  []op{c2s(r1), gap(S2C, len(a1)), c2s(r2), gap(S2C, len(a2)), c2s(r3), s2c(a3)},
			want: []want{
				{verdict: "gap", uri: "/1", noResp: true},
				{verdict: "gap", uri: "/2", noResp: true},
				{verdict: "complete", uri: "/3", status: 202, respBody: 3},
			},
		},
		{
			name: "keep-alive, request lost",
			ops:  []op{c2s(r1), s2c(a1), gap(C2S, len(r2)), s2c(a2), c2s(r3), s2c(a3)},
			want: []want{
				{verdict: "complete", uri: "/1", status: 200, respBody: 1},
				{verdict: "gap", noReq: true, status: 201, respBody: 2, anomalies: []Anomaly{AnomRequestInGap}},
				{verdict: "complete", uri: "/3", status: 202, respBody: 3},
			},
		},
		{
			name: "pipelined, response lost",
			ops:  []op{c2s(r1 + r2 + r3), s2c(a1), gap(S2C, len(a2)), s2c(a3)},
			want: []want{
				{verdict: "complete", uri: "/1", status: 200, respBody: 1},
				{verdict: "gap", uri: "/2", noResp: true},
				{verdict: "complete", uri: "/3", status: 202, respBody: 3},
			},
		},
		{
			name: "pipelined, request lost",
			ops:  []op{c2s(r1), gap(C2S, len(r2)), c2s(r3), s2c(a1 + a2 + a3)},
			want: []want{
				{verdict: "complete", uri: "/1", status: 200, respBody: 1},
				{verdict: "gap", noReq: true, status: 201, respBody: 2},
				{verdict: "complete", uri: "/3", status: 202, respBody: 3},
			},
		},
		{
			// The server answered before the request came (a 408 on an idle connection):
			// the acknowledgement shows it, the request keeps its own response.
			name: "response before the request",
			ops:  []op{c2s(r1), s2c(a1), s2c("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"), c2s(r2), s2c(a2)},
			want: []want{
				{verdict: "complete", uri: "/1", status: 200, respBody: 1},
				{verdict: "no_request", noReq: true, status: 408, anomalies: []Anomaly{AnomResponseWithoutRequest}},
				{verdict: "complete", uri: "/2", status: 201, respBody: 2},
			},
		},
		{
			name:  "no acknowledgements: first-in first-out, inferred",
			noAck: true,
			ops:   []op{c2s(r1), s2c(a1), c2s(r2), s2c(a2)},
			want: []want{
				{verdict: "inferred", uri: "/1", status: 200, respBody: 1},
				{verdict: "inferred", uri: "/2", status: 201, respBody: 2},
			},
		},
		{
			name:  "no acknowledgements, response lost: skipped, inferred",
			noAck: true,
			ops:   []op{c2s(r1), s2c(a1), c2s(r2), gap(S2C, len(a2)), c2s(r3), s2c(a3)},
			want: []want{
				{verdict: "inferred", uri: "/1", status: 200, respBody: 1},
				{verdict: "gap", uri: "/2", noResp: true},
				{verdict: "inferred", uri: "/3", status: 202, respBody: 3},
			},
		},
		{
			name: "responses only",
			ops:  []op{s2c(a1 + a2)},
			want: []want{
				{verdict: "no_request", noReq: true, status: 200, respBody: 1},
				{verdict: "no_request", noReq: true, status: 201, respBody: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runOpsAck(!tt.noAck, Limits{}, tt.ops...)
			check(t, tt.name, r.xs, tt.want)
		})
	}
}

// TestPropertyDropOneMessage generates keep-alive and pipelined conversations, drops
// every segment of one message (a gap of its length), and checks that every other
// exchange keeps its own request and response and the verdict complete (inferred when
// the segments carry no acknowledgements), and that the exchange that lost a message
// says gap.
func TestPropertyDropOneMessage(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := 0; iter < 300; iter++ {
		n := 2 + rng.IntN(8)
		depth := 1 + rng.IntN(3) // requests sent before their responses (1: keep-alive)
		reqs, resps := make([]string, n), make([]string, n)
		for i := range n {
			reqs[i], resps[i] = genExchange(rng, i)
		}
		drop := rng.IntN(2 * n) // message index: 2i request i, 2i+1 response i
		if drop%2 == 0 && strings.HasPrefix(reqs[drop/2], "HEAD") {
			// A response to a lost HEAD request cannot be framed (its Content-Length
			// announces a body it does not have): a known limit, see the package doc.
			drop++
		}
		// Build the ops: requests go out in groups of depth, then their responses.
		var ops []op
		msg := func(d Dir, i int, s string) {
			if (d == C2S && drop == 2*i) || (d == S2C && drop == 2*i+1) {
				ops = append(ops, gap(d, len(s)))
				return
			}
			for len(s) > 0 { // in random segments
				k := 1 + rng.IntN(len(s))
				ops = append(ops, op{dir: d, data: s[:k]})
				s = s[k:]
			}
		}
		for g := 0; g < n; g += depth {
			for i := g; i < min(g+depth, n); i++ {
				msg(C2S, i, reqs[i])
			}
			for i := g; i < min(g+depth, n); i++ {
				msg(S2C, i, resps[i])
			}
		}
		ops = append(ops, fin(C2S), fin(S2C))
		name := fmt.Sprintf("iter %d: %d exchanges, pipeline %d, dropped %s %d", iter, n, depth, [2]string{"request", "response"}[drop%2], drop/2+1)
		ack := iter%4 != 3 // every fourth run without acknowledgements: FIFO, inferred
		wantOK := "complete"
		if !ack {
			wantOK = "inferred"
		}
		r, _ := runOpsAck(ack, Limits{}, ops...)
		if len(r.xs) != n {
			t.Fatalf("%s: %d exchanges, want %d:\n%s", name, len(r.xs), n, strings.Join(r.out, ""))
		}
		for i, x := range r.xs {
			lostReq, lostResp := drop == 2*i, drop == 2*i+1
			switch {
			case x.Depth != i+1:
				t.Fatalf("%s: exchange %d has depth %d", name, i+1, x.Depth)
			case lostReq || lostResp:
				if x.Verdict != "gap" || (x.Req == nil) != lostReq || (x.Resp == nil) != lostResp {
					t.Fatalf("%s: exchange %d = %s req %v resp %v, want gap with the other message", name, i+1, x.Verdict, x.Req != nil, x.Resp != nil)
				}
			case x.Verdict != wantOK || x.Req == nil || x.Resp == nil:
				t.Fatalf("%s: exchange %d verdict %s (%s), want %s:\n%s", name, i+1, x.Verdict, x.Anom, wantOK, strings.Join(r.out, ""))
			}
			if x.Req != nil && x.Req.URI != "/"+strconv.Itoa(i+1) {
				t.Fatalf("%s: exchange %d has request %s", name, i+1, x.Req.URI)
			}
			if x.Resp != nil && x.Resp.Reason != "r"+strconv.Itoa(i+1) {
				t.Fatalf("%s: exchange %d has response %q", name, i+1, x.Resp.Reason)
			}
		}
	}
}

// genExchange returns request i and its response: GET, HEAD or POST; a body of
// Content-Length, chunked, or none. The reason phrase names the request.
func genExchange(rng *rand.Rand, i int) (string, string) {
	uri := "/" + strconv.Itoa(i+1)
	method := [...]string{"GET", "GET", "HEAD", "POST"}[rng.IntN(4)]
	req := method + " " + uri + " HTTP/1.1\r\nHost: h\r\n"
	if method == "POST" {
		b := strings.Repeat("p", 1+rng.IntN(40))
		req += "Content-Length: " + strconv.Itoa(len(b)) + "\r\n\r\n" + b
	} else {
		req += "\r\n"
	}
	resp := "HTTP/1.1 200 r" + strconv.Itoa(i+1) + "\r\n"
	body := strings.Repeat("b", rng.IntN(300))
	switch {
	case method == "HEAD":
		resp += "Content-Length: 77\r\n\r\n"
	case rng.IntN(3) == 0 && len(body) > 0:
		resp += "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
	default:
		resp += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	return req, resp
}

// TestResponseWaitsForItsRequest feeds a response before the request it answers, as a
// capture that lost the request's segment (reported as a gap later) or reordered the two
// delivers it: the response's acknowledgement covers client bytes not yet fed, so it
// waits for them, and pairs right.
func TestResponseWaitsForItsRequest(t *testing.T) {
	const (
		r1 = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
		r2 = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
		a1 = "HTTP/1.1 200 one\r\nContent-Length: 1\r\n\r\n1"
		a2 = "HTTP/1.1 201 two\r\nContent-Length: 2\r\n\r\n22"
	)
	for _, lost := range []bool{false, true} {
		r := &recorder{}
		p := NewParser(r, Limits{})
		p.Ack(C2S, 0)
		p.Feed(C2S, []byte(r1), 1, 1)
		p.Ack(S2C, int64(len(r1)))
		p.Feed(S2C, []byte(a1), 2, 2)
		p.Ack(S2C, int64(len(r1)+len(r2))) // the server had request 2
		p.Feed(S2C, []byte(a2[:10]), 3, 3)
		p.Feed(S2C, []byte(a2[10:]), 4, 4)
		p.Close(S2C, 5)
		if len(r.xs) != 1 {
			t.Fatalf("lost %v: %d exchanges before request 2, want 1 (response 2 waits)", lost, len(r.xs))
		}
		if lost {
			p.Gap(C2S, uint64(len(r2)), 6)
		} else {
			p.Ack(C2S, int64(len(a1)))
			p.Feed(C2S, []byte(r2), 6, 6)
		}
		p.Finish(7)
		ws := []want{{verdict: "complete", uri: "/1", status: 200, respBody: 1}, {verdict: "complete", uri: "/2", status: 201, respBody: 2}}
		if lost {
			ws[1] = want{verdict: "gap", noReq: true, status: 201, respBody: 2, anomalies: []Anomaly{AnomRequestInGap}}
		}
		check(t, fmt.Sprintf("lost %v", lost), r.xs, ws)
	}
	// Nothing waits for a client that sent nothing (a one-sided capture).
	r, _ := runOpsAck(false, Limits{}, s2c("HTTP/1.1 200 one\r\nContent-Length: 1\r\n\r\n1"))
	if len(r.xs) != 1 || r.xs[0].Verdict != "no_request" {
		t.Errorf("one-sided: %+v", r.xs)
	}
}

// FuzzAckSplit interleaves the two streams in chunks with acknowledgements (each chunk
// acknowledges what the other side sent before it, plus a fuzzed skew, so that some
// server bytes wait), with gaps, and checks the invariants and that splitting every
// chunk in two (same acknowledgement) gives the same exchanges.
func FuzzAckSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s[0]), []byte(s[1]), uint64(3), int8(0), uint8(0))
		f.Add([]byte(s[0]), []byte(s[1]), uint64(9), int8(40), uint8(5))
	}
	f.Fuzz(func(t *testing.T, req, resp []byte, seed uint64, skew int8, gapLen uint8) {
		run := func(split bool) string {
			rng := rand.New(rand.NewPCG(seed, 1))
			r := &recorder{}
			p := NewParser(r, fuzzLimits)
			var sent [2]int64
			data := [2][]byte{req, resp}
			frame := uint64(0)
			gapDone := false
			for len(data[0])+len(data[1]) > 0 {
				d := Dir(rng.IntN(2))
				if len(data[d]) == 0 {
					d = 1 - d
				}
				n := 1 + rng.IntN(len(data[d]))
				chunk := data[d][:n]
				data[d] = data[d][n:]
				if !gapDone && gapLen > 0 && rng.IntN(4) == 0 {
					gapDone = true
					p.Gap(d, uint64(gapLen), int64(frame))
					sent[d] += int64(gapLen)
				}
				p.Ack(d, max(sent[1-d]+int64(skew), -1))
				pieces := [][]byte{chunk}
				if split && len(chunk) > 1 {
					k := 1 + rng.IntN(len(chunk)-1)
					pieces = [][]byte{chunk[:k], chunk[k:]}
				} else if len(chunk) > 1 {
					rng.IntN(len(chunk) - 1) // the same random sequence either way
				}
				frame++
				for _, b := range pieces {
					p.Feed(d, b, frame, int64(frame))
				}
				sent[d] += int64(len(chunk))
			}
			p.Close(S2C, int64(frame))
			p.Finish(int64(frame))
			invariants(t, fuzzLimits, r, true)
			return strings.Join(r.out, "")
		}
		if a, b := run(false), run(true); a != b {
			t.Fatalf("splitting the chunks changed the result:\n--- whole\n%s\n--- split\n%s", a, b)
		}
	})
}
