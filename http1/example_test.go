package http1_test

import (
	"fmt"

	"github.com/segscope/segscope/http1"
)

func ExampleParser() {
	p := http1.NewParser(http1.HandlerFunc(func(x *http1.Exchange) {
		fmt.Println(x.Depth, x.Req.Method, x.Req.URI, x.Resp.Status, x.Resp.BodyLen, x.Verdict, x.Anomalies)
	}), http1.Limits{})
	// Each segment's acknowledgement: how much of the other direction its sender had
	// received (here the client had received nothing, the server both requests).
	p.Ack(http1.C2S, 0)
	p.Feed(http1.C2S, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"), 4, 0)
	p.Ack(http1.S2C, 56)
	p.Feed(http1.S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), 6, 0)
	p.Feed(http1.S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"), 7, 0)
	p.Finish(0)
	// Output:
	// 1 GET / 200 2 complete []
	// 2 HEAD /h 200 0 complete []
}
