package har

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segscope/segscope/report"
)

// rec returns a complete GET exchange record at ts (ns) on conn.
func rec(conn uint64, depth int, ts int64, uri string) *report.HTTP {
	return &report.HTTP{
		Conn: conn, Depth: depth, TS: report.Time(ts), Client: "10.0.0.1:40000", Server: "10.0.0.2:80",
		Method: "GET", URI: uri, Host: "example.test", Version: "HTTP/1.1", Status: 200, Reason: "OK",
		RespVersion: "HTTP/1.1", RespBodyLen: 5, RespDecodedLen: 5, ContentType: "text/plain",
		ReqFrames: report.FrameRange{1, 1}, RespFrames: report.FrameRange{2, 2},
		Timing:       report.Timing{Connect: -1, Send: 0, Wait: 2e6, Receive: 1e6},
		Verdict:      "complete",
		ReqHeaders:   []report.Header{{Name: "Host", Value: "example.test"}},
		RespHeaders:  []report.Header{{Name: "Content-Type", Value: "text/plain"}},
		ReqHeaderLen: 40, RespHeaderLen: 50, ReqMsgLen: 40, RespMsgLen: 55,
		RespBody: report.Body{Data: []byte("hello"), Kept: true},
	}
}

type doc struct {
	Log struct {
		Version string
		Creator struct{ Name, Version string }
		Entries []map[string]any
		Pages   []map[string]any
	}
}

func render(t *testing.T, o Options, rs ...*report.HTTP) doc {
	t.Helper()
	var b bytes.Buffer
	s := New(&b, o)
	for _, r := range rs {
		if err := s.HTTP(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // idempotent: Run closes the sink, and so may its caller
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.Bytes())
	}
	return d
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		v = v.(map[string]any)[p]
	}
	return v
}

func TestEntryFields(t *testing.T) {
	r := rec(1, 1, 1e18, "/a/b.txt?x=1&y=two%20words&flag#frag")
	r.Timing.Connect = 3e6
	r.ReqHeaders = append(r.ReqHeaders, report.Header{Name: "Cookie", Value: "a=1; b=2"})
	r.RespHeaders = append(r.RespHeaders, report.Header{Name: "Set-Cookie", Value: "sid=xyz; Path=/; HttpOnly; Secure"},
		report.Header{Name: "Location", Value: "/next"})
	r.RespHeadersCut = []int{1}
	r.Retransmissions = report.PerDir{C2S: 1, S2C: 2}
	r.Anomalies = []string{"bare_lf"}
	d := render(t, Options{Version: "9.9"}, r)
	if d.Log.Version != "1.2" || d.Log.Creator.Name != "segscope" || d.Log.Creator.Version != "9.9" {
		t.Errorf("log header = %+v", d.Log)
	}
	e := d.Log.Entries[0]
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"request", "url"}, "http://example.test/a/b.txt?x=1&y=two%20words&flag#frag"},
		{[]string{"startedDateTime"}, time.Unix(0, 1e18-3e6).UTC().Format("2006-01-02T15:04:05.000000Z")},
		{[]string{"time"}, 6.0}, // connect 3 + send 0 + wait 2 + receive 1
		{[]string{"timings", "connect"}, 3.0},
		{[]string{"timings", "dns"}, -1.0},
		{[]string{"response", "redirectURL"}, "/next"},
		{[]string{"response", "bodySize"}, 5.0},
		{[]string{"response", "content", "text"}, "hello"},
		{[]string{"serverIPAddress"}, "10.0.0.2"},
		{[]string{"connection"}, "1"},
		{[]string{"_verdict"}, "complete"},
		{[]string{"_retransmissions", "response"}, 2.0},
		{[]string{"pageref"}, "page_1"},
	}
	for _, c := range checks {
		if got := get(e, c.path...); got != c.want {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	q, _ := json.Marshal(get(e, "request", "queryString"))
	if string(q) != `[{"name":"x","value":"1"},{"name":"y","value":"two words"},{"name":"flag","value":""}]` {
		t.Errorf("queryString = %s", q)
	}
	c, _ := json.Marshal(get(e, "request", "cookies"))
	if string(c) != `[{"name":"a","value":"1"},{"name":"b","value":"2"}]` {
		t.Errorf("request cookies = %s", c)
	}
	c, _ = json.Marshal(get(e, "response", "cookies"))
	if string(c) != `[{"httpOnly":true,"name":"sid","path":"/","secure":true,"value":"xyz"}]` {
		t.Errorf("response cookies = %s", c)
	}
	h := get(e, "response", "headers").([]any)[1].(map[string]any)
	if h["comment"] == nil {
		t.Errorf("a cut header has no comment: %v", h)
	}
	if p := d.Log.Pages; len(p) != 1 || p[0]["id"] != "page_1" || !strings.Contains(p[0]["title"].(string), "10.0.0.1 http://example.test/a/b.txt") {
		t.Errorf("pages = %v", p)
	}
}

func TestBodies(t *testing.T) {
	bin := rec(1, 1, 1e18, "/bin")
	bin.RespBody.Data = []byte{0xff, 0x00, 0x80}
	bin.RespBodyLen = 3
	big := rec(1, 2, 1e18+1, "/big")
	big.RespBody.Data = bytes.Repeat([]byte("x"), 100)
	gap := rec(1, 3, 1e18+2, "/gap")
	gap.RespGapBytes = 2
	unk := rec(1, 4, 1e18+3, "/zstd")
	unk.RespBody.Coding, unk.RespBody.DecodeErr = "zstd", "http1: unknown content-coding"
	post := rec(1, 5, 1e18+4, "/form")
	post.Method, post.ReqBodyLen = "POST", 9
	post.ReqHeaders = append(post.ReqHeaders, report.Header{Name: "Content-Type", Value: "application/x-www-form-urlencoded"})
	post.ReqBody = report.Body{Data: []byte("a=1&b=x+y"), Kept: true}
	d := render(t, Options{BodyMax: 50}, bin, big, gap, unk, post)
	es := d.Log.Entries
	if c := get(es[0], "response", "content").(map[string]any); c["encoding"] != "base64" || c["text"] != "/wCA" {
		t.Errorf("binary body: %v", c)
	}
	for i, want := range map[int]string{1: "body over the body limit (50 bytes)", 2: "2 bytes lost in gaps", 3: "content-coding zstd not undone"} {
		c := get(es[i], "response", "content").(map[string]any)
		if c["text"] != nil || !strings.Contains(c["comment"].(string), want) {
			t.Errorf("entry %d: content %v, want no text and a comment with %q", i, c, want)
		}
	}
	pd, _ := json.Marshal(get(es[4], "request", "postData"))
	if string(pd) != `{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"a","value":"1"},{"name":"b","value":"x y"}],"text":"a=1\u0026b=x+y"}` {
		t.Errorf("postData = %s", pd)
	}
}

func TestIncompleteEntries(t *testing.T) {
	noResp := rec(1, 1, 1e18, "/lost")
	noResp.Status, noResp.Reason, noResp.RespVersion, noResp.RespHeaders = 0, "", "", []report.Header{}
	noResp.RespHeaderLen, noResp.RespMsgLen, noResp.RespBodyLen, noResp.RespDecodedLen = -1, -1, 0, -1
	noResp.Timing.Wait, noResp.Timing.Receive = -1, -1
	noResp.Verdict = "no_response"
	noReq := rec(2, 1, 1e18+1, "")
	noReq.Method, noReq.URI, noReq.Host, noReq.Version = "", "", "", ""
	noReq.ReqHeaders, noReq.ReqHeaderLen, noReq.ReqMsgLen = []report.Header{}, -1, -1
	d := render(t, Options{}, noResp, noReq)
	if len(d.Log.Entries) != 2 {
		t.Fatalf("%d entries, want both incomplete exchanges", len(d.Log.Entries))
	}
	e := d.Log.Entries[0]
	if get(e, "_verdict") != "no_response" || get(e, "response", "bodySize") != -1.0 || get(e, "timings", "wait") != 0.0 ||
		!strings.Contains(get(e, "timings", "comment").(string), "wait, receive") {
		t.Errorf("no response: %v", e)
	}
	if e := d.Log.Entries[1]; get(e, "request", "url") != "http://10.0.0.2:80/" || get(e, "request", "bodySize") != -1.0 {
		t.Errorf("no request: %v", e)
	}
}

func TestRequestOrderWithinWindow(t *testing.T) {
	// Records arrive in completion order; entries come out in request order.
	ms := int64(time.Millisecond)
	d := render(t, Options{}, rec(2, 1, 1e18+5*ms, "/late"), rec(1, 1, 1e18, "/early"), rec(3, 1, 1e18+2*ms, "/mid"))
	var got []string
	for _, e := range d.Log.Entries {
		got = append(got, get(e, "request", "url").(string))
	}
	if strings.Join(got, " ") != "http://example.test/early http://example.test/mid http://example.test/late" {
		t.Errorf("order = %v", got)
	}
}

func TestHeldIsBounded(t *testing.T) {
	// With a 1 s window, an entry older than the window is written as soon as a record a
	// window later arrives; with HeldBytes tiny, each entry is written at once.
	var b bytes.Buffer
	s := New(&b, Options{Window: report.Duration(time.Second)})
	s.HTTP(rec(1, 1, 1e18, "/a"))
	s.HTTP(rec(1, 2, 1e18+2e9, "/b"))
	if s.held.Len() != 1 || s.entries != 1 {
		t.Errorf("held %d, written %d; want 1 and 1", s.held.Len(), s.entries)
	}
	s2 := New(&b, Options{HeldBytes: 1})
	for i := range 100 {
		s2.HTTP(rec(1, i+1, 1e18+int64(i), "/x"))
		if s2.held.Len() > 0 {
			t.Fatalf("record %d: %d entries held over HeldBytes", i, s2.held.Len())
		}
	}
}

func TestURLSafe(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/a b", "/a%20b"},
		{"/ü", "/%C3%BC"},
		{"/100%", "/100%25"},
		{"/ok%41", "/ok%41"},
		{`/q"<>`, "/q%22%3C%3E"},
	} {
		if got := uriSafe(c.in); got != c.want {
			t.Errorf("uriSafe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	r := rec(1, 1, 1e18, "http://other.test/abs")
	if u := entryURL(r); u != "http://other.test/abs" {
		t.Errorf("absolute form: %q", u)
	}
	r = rec(1, 1, 1e18, "other.test:443")
	r.Method = "CONNECT"
	if u := entryURL(r); u != "http://other.test:443/" {
		t.Errorf("CONNECT: %q", u)
	}
}

// FuzzEntry: whatever the record holds (bytes from the wire in every string), the HAR is
// valid JSON with one entry, and its strings survive as valid UTF-8.
func FuzzEntry(f *testing.F) {
	f.Add("GET", "/a?b=c", "h", "Cookie", "a=b", "Set-Cookie", "x=y; Path=/", []byte("body"), int64(1))
	f.Add("", "\x00\xff", "\xc3", "Na\"me", "v\\al\n", "Location", "\u2028", []byte{0xff}, int64(-1))
	f.Fuzz(func(t *testing.T, method, uri, host, hn, hv, rn, rv string, body []byte, wait int64) {
		r := rec(1, 1, 1e18, uri)
		r.Method, r.Host = method, host
		r.ReqHeaders = []report.Header{{Name: hn, Value: hv}}
		r.RespHeaders = []report.Header{{Name: rn, Value: rv}}
		r.RespBody.Data, r.RespBodyLen = body, int64(len(body))
		r.Timing.Wait = report.Duration(wait)
		var b bytes.Buffer
		s := New(&b, Options{})
		s.HTTP(r)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		var d doc
		if err := json.Unmarshal(b.Bytes(), &d); err != nil || len(d.Log.Entries) != 1 || !utf8.Valid(b.Bytes()) {
			t.Fatalf("invalid HAR (%v): %q", err, b.Bytes())
		}
	})
}
