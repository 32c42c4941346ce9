package tlsrec_test

// The HTTPS captures of testdata/pcaps (made by make-tls-captures.sh from nginx and curl)
// run through capture → decode → reassembly → tlsrec → http1, compared with nginx's
// access log (<capture>.expect.tsv) and its TLS view (<capture>.tls.tsv).

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/tlsrec"
)

const pcaps = "../testdata/pcaps"

type connRun struct {
	id   uint64
	tls  *tlsrec.Conn
	http *http1.Parser
	ex   []string // "depth method uri status resp_body_len req_body_len"
	recs int
}

func (c *connRun) TLSRecord(r *tlsrec.Record) { c.recs++ }
func (c *connRun) TLSPlaintext(d tlsrec.Dir, b []byte, r *tlsrec.Record) {
	c.http.Feed(http1.Dir(d), b, r.Frame, r.TS)
}
func (c *connRun) TLSPlainGap(d tlsrec.Dir, n uint64, r *tlsrec.Record) {
	c.http.Gap(http1.Dir(d), n, 0)
}
func (c *connRun) OnExchange(x *http1.Exchange) {
	method, uri, status, reqLen, respLen := "-", "-", "-", int64(0), int64(0)
	if x.Req != nil {
		method, uri, reqLen = x.Req.Method, x.Req.URI, x.Req.BodyLen
	}
	if x.Resp != nil {
		status, respLen = strconv.Itoa(x.Resp.Status), x.Resp.BodyLen
	}
	c.ex = append(c.ex, fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%d", c.id, method, uri, status, respLen, reqLen))
}

type runner struct {
	keys  *tlsrec.KeyLog
	conns []*connRun
}

func (r *runner) OnOpen(c *reassembly.Conn) {
	cr := &connRun{id: c.ID}
	cr.tls = tlsrec.NewConn(cr, r.keys, tlsrec.Limits{})
	cr.http = http1.NewParser(cr, http1.Limits{})
	c.User = cr
	r.conns = append(r.conns, cr)
}
func (r *runner) OnSegment(c *reassembly.Conn, dir flow.Dir, seg *decode.Segment, info *reassembly.SegInfo) {
}
func (r *runner) OnData(c *reassembly.Conn, dir flow.Dir, off uint64, data []byte, frame uint64, ts int64) {
	c.User.(*connRun).tls.Feed(tlsrec.Dir(dir), off, data, frame, ts)
}
func (r *runner) OnGap(c *reassembly.Conn, dir flow.Dir, off, n uint64, ts int64) {
	c.User.(*connRun).tls.Gap(tlsrec.Dir(dir), off, n, ts)
}
func (r *runner) OnClose(c *reassembly.Conn) {
	cr := c.User.(*connRun)
	cr.tls.Close(tlsrec.C2S, c.LastTS)
	cr.tls.Close(tlsrec.S2C, c.LastTS)
	cr.http.Finish(c.LastTS)
}

func runCapture(t *testing.T, name string, keys *tlsrec.KeyLog) *runner {
	t.Helper()
	src, err := capture.Open(filepath.Join(pcaps, name+".pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := &runner{keys: keys}
	dec := decode.NewDecoder(decode.Config{})
	trk := reassembly.NewTracker(reassembly.Config{}, r)
	var seg decode.Segment
	var last int64
	for {
		f, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = f.TS
		if dec.Decode(f.Data, decode.LinkType(f.LinkType), f.OrigLen, f.TS, f.Frame, &seg) == decode.KindTCP {
			trk.Add(&seg)
		}
	}
	trk.Flush(last)
	return r
}

func readKeys(t *testing.T, name string) *tlsrec.KeyLog {
	t.Helper()
	f, err := os.Open(filepath.Join(pcaps, name+".keys"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kl, err := tlsrec.ReadKeyLog(f)
	if err != nil {
		t.Fatal(err)
	}
	return kl
}

// tsv reads a .tsv file without its header line.
func tsv(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if !first {
			rows = append(rows, strings.Split(sc.Text(), "\t"))
		}
	}
	return rows
}

func tlsCaptures(t *testing.T) []string {
	m, _ := filepath.Glob(filepath.Join(pcaps, "tls*.pcap"))
	if len(m) == 0 {
		t.Skip("no TLS captures in testdata/pcaps (make-tls-captures.sh)")
	}
	var names []string
	for _, p := range m {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".pcap"))
	}
	return names
}

// openSSLName maps nginx's (OpenSSL's) cipher names to IANA numbers.
var openSSLName = map[string]tlsrec.Suite{
	"TLS_AES_128_GCM_SHA256": 0x1301, "TLS_AES_256_GCM_SHA384": 0x1302,
	"TLS_CHACHA20_POLY1305_SHA256": 0x1303, "ECDHE-RSA-AES128-GCM-SHA256": 0xC02F,
	"ECDHE-RSA-AES256-GCM-SHA384": 0xC030, "ECDHE-RSA-CHACHA20-POLY1305": 0xCCA8,
	"ECDHE-RSA-AES128-SHA": 0xC013, "ECDHE-RSA-AES256-SHA": 0xC014, "AES256-SHA256": 0x003D,
}

func TestCaptures(t *testing.T) {
	for _, name := range tlsCaptures(t) {
		t.Run(name, func(t *testing.T) {
			r := runCapture(t, name, readKeys(t, name))
			var got []string
			for _, c := range r.conns {
				got = append(got, c.ex...)
			}
			h2 := false
			for _, row := range tsv(t, filepath.Join(pcaps, name+".tls.tsv")) {
				i, _ := strconv.Atoi(row[0])
				if i < 1 || i > len(r.conns) {
					t.Fatalf("tls.tsv names connection %d of %d", i, len(r.conns))
				}
				f := r.conns[i-1].tls.Facts()
				wantV := map[string]tlsrec.Version{"TLSv1.2": tlsrec.VersionTLS12, "TLSv1.3": tlsrec.VersionTLS13}[row[1]]
				if f.Version != wantV || f.Suite != openSSLName[row[2]] || f.SNI != row[3] {
					t.Errorf("conn %d: %v %v SNI %q, nginx says %s %s %s", i, f.Version, f.Suite, f.SNI, row[1], row[2], row[3])
				}
				if row[4] != "-" && f.ALPN != row[4] {
					t.Errorf("conn %d: ALPN %q, nginx says %q", i, f.ALPN, row[4])
				}
				if (row[5] == "r") != (f.Resumed != tlsrec.ResumeNone) {
					t.Errorf("conn %d: resumed %q, nginx says %q", i, f.Resumed, row[5])
				}
				if f.Anomalies != 0 || !f.Decrypted() {
					t.Errorf("conn %d: anomalies %v decrypted %d records", i, f.Anomalies.Names(nil), f.DecryptedRecords)
				}
				if f.FirstAppTS == 0 || f.HelloTS == 0 || f.FirstAppTS < f.HelloTS {
					t.Errorf("conn %d: hello %d first app data %d", i, f.HelloTS, f.FirstAppTS)
				}
				wantRT := 1
				if row[1] == "TLSv1.2" && row[5] != "r" {
					wantRT = 2
				}
				if f.RoundTrips != wantRT {
					t.Errorf("conn %d: %d handshake round trips, want %d", i, f.RoundTrips, wantRT)
				}
				h2 = h2 || f.ALPN == "h2"
			}
			if h2 {
				return // HTTP/2 inside: not parsed by http1
			}
			var want []string
			for _, row := range tsv(t, filepath.Join(pcaps, name+".expect.tsv")) {
				want = append(want, strings.Join([]string{row[0], row[2], row[3], row[4], row[5], row[6]}, "\t"))
			}
			if len(got) != len(want) {
				t.Fatalf("%d exchanges, want %d:\n got %q\nwant %q", len(got), len(want), got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("exchange %d: got %q, want %q", i+1, got[i], want[i])
				}
			}
		})
	}
}
