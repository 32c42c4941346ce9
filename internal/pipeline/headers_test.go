package pipeline

import (
	"testing"

	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
)

// TestFillHeadersNoAlloc: filling a record's header lists copies the parser's strings
// into a reused buffer: no allocation once it has grown, and lists filled earlier for the
// same record stay intact when it grows.
func TestFillHeadersNoAlloc(t *testing.T) {
	p := &Pipeline{}
	req := &http1.Message{Headers: []http1.Header{{Name: "Host", Value: "h"}, {Name: "Accept", Value: "*/*"}}}
	resp := &http1.Message{
		Headers:    []http1.Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "X-Long", Value: "cut"}},
		HeadersCut: []int{1},
		Trailers:   []http1.Header{{Name: "X-Sum", Value: "1"}},
	}
	var r report.HTTP
	fill := func() {
		p.hdrs.reset()
		p.fillHeaders(req, &r.ReqHeaders, &r.ReqTrailers, &r.ReqHeadersCut, &r.ReqTrailersCut)
		p.fillHeaders(resp, &r.RespHeaders, &r.RespTrailers, &r.RespHeadersCut, &r.RespTrailersCut)
	}
	fill()
	if a := testing.AllocsPerRun(1000, fill); a != 0 {
		t.Errorf("%v allocations per record, want 0", a)
	}
	if len(r.ReqHeaders) != 2 || r.ReqHeaders[1] != (report.Header{Name: "Accept", Value: "*/*"}) ||
		len(r.RespHeaders) != 2 || r.RespHeaders[0].Name != "Content-Type" ||
		len(r.RespHeadersCut) != 1 || r.RespHeadersCut[0] != 1 ||
		len(r.RespTrailers) != 1 || r.RespTrailers[0].Value != "1" || r.ReqTrailers != nil {
		t.Errorf("record lists = %+v %+v %v %+v", r.ReqHeaders, r.RespHeaders, r.RespHeadersCut, r.RespTrailers)
	}
	// Growth: a fresh buffer grows while filling; the request's list must survive it.
	p2 := &Pipeline{}
	var r2 report.HTTP
	p2.fillHeaders(req, &r2.ReqHeaders, &r2.ReqTrailers, &r2.ReqHeadersCut, &r2.ReqTrailersCut)
	big := &http1.Message{Headers: make([]http1.Header, 100)}
	p2.fillHeaders(big, &r2.RespHeaders, &r2.RespTrailers, &r2.RespHeadersCut, &r2.RespTrailersCut)
	if r2.ReqHeaders[0].Name != "Host" || len(r2.RespHeaders) != 100 {
		t.Errorf("after growth: %+v", r2.ReqHeaders)
	}
}
