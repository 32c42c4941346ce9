package conformance_test

// HTTPS: segscope's http records of the TLS captures (decrypted with their key logs)
// against tshark's (tshark -o tls.keylog_file:FILE -Y http), exchange by exchange.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/text"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tlsrec"
)

func tlsCaptures(t *testing.T) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(ownDir, "tls*.pcap"))
	if len(m) == 0 {
		t.Skip("no TLS captures in testdata/pcaps (make-tls-captures.sh)")
	}
	return m
}

func keyLogOf(t *testing.T, pcap string) (*tlsrec.KeyLog, string) {
	t.Helper()
	path := strings.TrimSuffix(pcap, ".pcap") + ".keys"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kl, err := tlsrec.ReadKeyLog(f)
	if err != nil {
		t.Fatal(err)
	}
	return kl, path
}

// tsharkUnescapedLen is the length of a tshark text field after undoing its escapes
// (\n, \r, \t, \\, \", \xNN).
func tsharkUnescapedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n++
		if s[i] != '\\' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == 'x' && i+3 < len(s) {
			i += 3
		} else {
			i++
		}
	}
	return n
}

type tsharkExchange struct {
	conn                  uint64
	method, uri           string
	status                int
	reqBody, respBody     int64
	respChunked, respGzip bool
}

// tsharkHTTPS runs tshark with the key log and pairs its requests and responses.
func tsharkHTTPS(t *testing.T, tshark, pcap, keys string) []tsharkExchange {
	t.Helper()
	// Port 445 is SMB to tshark, 444 is nothing: decode both as TLS. Out-of-order
	// reassembly is off by default in tshark 4.0: without it, the loss-reorder capture's
	// response is not reassembled.
	out, err := exec.Command(tshark, "-r", pcap, "-o", "tls.keylog_file:"+keys,
		"-d", "tcp.port==445,tls", "-d", "tcp.port==444,tls", "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "http",
		"-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "tcp.stream",
		"-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code",
		"-e", "http.content_length_header", "-e", "http.request_in", "-e", "http.transfer_encoding",
		"-e", "http.content_encoding", "-e", "http.file_data").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var xs []tsharkExchange
	byFrame := map[string]int{}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 10 {
			continue
		}
		stream, _ := strconv.ParseUint(f[1], 10, 64)
		cl, _ := strconv.ParseInt(f[5], 10, 64)
		if f[2] != "" {
			byFrame[f[0]] = len(xs)
			xs = append(xs, tsharkExchange{conn: stream + 1, method: f[2], uri: f[3], reqBody: cl})
			continue
		}
		i, ok := byFrame[f[6]]
		if !ok {
			t.Fatalf("tshark response in frame %s: no request %s", f[0], f[6])
		}
		x := &xs[i]
		x.status, _ = strconv.Atoi(f[4])
		x.respChunked, x.respGzip = strings.Contains(f[7], "chunked"), strings.Contains(f[8], "gzip")
		x.respBody = cl
		if f[5] == "" {
			x.respBody = int64(tsharkUnescapedLen(f[9])) // tshark's de-chunked, decoded body
		}
	}
	return xs
}

func TestDifferentialHTTPSTshark(t *testing.T) {
	tshark := needTool(t, "tshark")
	for _, pcap := range tlsCaptures(t) {
		t.Run(filepath.Base(pcap), func(t *testing.T) {
			kl, keys := keyLogOf(t, pcap)
			want := tsharkHTTPS(t, tshark, pcap, keys)
			for _, workers := range []int{1, 3} {
				rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeHTTP, TLSKeys: kl, Workers: workers})
				if len(rec.https) != len(want) {
					t.Fatalf("workers %d: %d exchanges, tshark %d", workers, len(rec.https), len(want))
				}
				for i, w := range want {
					g := rec.https[i]
					body := g.RespBodyLen
					if w.respChunked && w.respGzip {
						body = g.RespDecodedLen // tshark shows the decoded body
					}
					if g.Conn != w.conn || g.Method != w.method || g.URI != w.uri || g.Status != w.status ||
						g.ReqBodyLen != w.reqBody || body != w.respBody || g.Verdict != "complete" {
						t.Errorf("workers %d exchange %d: segscope conn %d %s %s %d req %d resp %d (%s), tshark conn %d %s %s %d req %d resp %d",
							workers, i+1, g.Conn, g.Method, g.URI, g.Status, g.ReqBodyLen, body, g.Verdict,
							w.conn, w.method, w.uri, w.status, w.reqBody, w.respBody)
					}
				}
			}
		})
	}
}

// TestHTTPSWithoutKeys: without a key log, the TLS captures give no exchanges and every
// connection is a TLS connection with its SNI and version.
func TestHTTPSWithoutKeys(t *testing.T) {
	for _, pcap := range tlsCaptures(t) {
		rec, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeConns})
		for _, c := range rec.conns {
			if c.Protocol != "tls" || c.TLS == nil || c.TLS.SNI != "tls.segscope.test" || c.TLS.Version == "" || c.Requests != 0 {
				t.Errorf("%s conn %d: protocol %q requests %d tls %+v", filepath.Base(pcap), c.Conn, c.Protocol, c.Requests, c.TLS)
			}
		}
		hs, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeHTTP})
		if len(hs.https) != 0 {
			t.Errorf("%s: %d exchanges without keys", filepath.Base(pcap), len(hs.https))
		}
	}
}

// TestHTTPSAnatomy: every message of the TLS captures is mapped to the TLS records that
// carried it (their plaintext bytes add up to the message) and to the segments that
// carried those records.
func TestHTTPSAnatomy(t *testing.T) {
	checked := 0
	defer func() {
		if checked < 20 {
			t.Errorf("only %d anatomy records checked", checked)
		}
	}()
	for _, pcap := range tlsCaptures(t) {
		kl, _ := keyLogOf(t, pcap)
		conns, _ := run(t, pcap, segscope.Config{Mode: segscope.ModeConns, TLSKeys: kl})
		for _, c := range conns.conns {
			if c.TLS.Inner != "http1" {
				continue
			}
			var rec anatSink
			if _, err := runSink(t, pcap, &rec, segscope.Config{Mode: segscope.ModeAnatomy, Conn: c.Conn, TLSKeys: kl}); err != nil {
				t.Fatal(err)
			}
			if len(rec.anatomy) != 2*c.Requests {
				t.Errorf("%s conn %d: %d anatomy records for %d requests", filepath.Base(pcap), c.Conn, len(rec.anatomy), c.Requests)
			}
			checked += len(rec.anatomy)
			for _, a := range rec.anatomy {
				if a.TLS == nil || len(a.TLS.Records) == 0 || len(a.Segments) == 0 {
					t.Errorf("%s conn %d %s %d: no TLS layer or segments", filepath.Base(pcap), c.Conn, a.Dir, a.Depth)
					continue
				}
				sum, span := 0, int64(0)
				for _, r := range a.TLS.Records {
					sum += r.MsgBytes
					span += int64(r.HeaderLen + r.Len)
				}
				if int64(sum) != a.TLS.PlainLen || span != a.MsgLen || a.HeaderLen+a.BodyLen > a.TLS.PlainLen {
					t.Errorf("%s conn %d %s %d: records carry %d of %d plaintext bytes, span %d of %d", filepath.Base(pcap),
						c.Conn, a.Dir, a.Depth, sum, a.TLS.PlainLen, span, a.MsgLen)
				}
			}
		}
	}
}

// TestHTTPSDiagnose: the handshake's cost and resumption, in words.
func TestHTTPSDiagnose(t *testing.T) {
	cases := map[string][]string{
		"tls13-aes128gcm": {"TLS 1.3 handshake cost 1 round trip", "TLS 1.2 would have cost 2"},
		"tls12-aes128gcm": {"TLS 1.2 handshake cost 2 round trips"},
		"tls13-resume":    {"session resumed with a pre-shared key"},
		"tls12-resume":    {"TLS 1.2 handshake cost 1 round trip", "session resumed (by session id)"},
		"tls13-h2":        {"carries HTTP/2, which segscope does not parse"},
	}
	for name, want := range cases {
		pcap := filepath.Join(ownDir, name+".pcap")
		if _, err := os.Stat(pcap); err != nil {
			t.Skipf("%s: %v", name, err)
		}
		kl, _ := keyLogOf(t, pcap)
		var sink findingSink
		if _, err := runSink(t, pcap, &sink, segscope.Config{Mode: segscope.ModeDiagnose, TLSKeys: kl}); err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, f := range sink.findings {
			all = append(all, f.Text)
		}
		text := strings.Join(all, "\n")
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no finding with %q in:\n%s", name, w, text)
			}
		}
	}
}

type findingSink struct {
	countSink
	findings []report.Finding
}

func (s *findingSink) Finding(f *report.Finding) error {
	s.findings = append(s.findings, *f)
	return nil
}

// anatSink keeps deep copies of anatomy records.
type anatSink struct {
	countSink
	anatomy []report.Anatomy
}

func (s *anatSink) Anatomy(a *report.Anatomy) error {
	c := *a
	c.Parts = append([]report.Part(nil), a.Parts...)
	c.Segments = append([]report.AnatomySegment(nil), a.Segments...)
	if a.TLS != nil {
		t := *a.TLS
		t.Records = append([]report.AnatomyRecord(nil), a.TLS.Records...)
		c.TLS = &t
	}
	s.anatomy = append(s.anatomy, c)
	return nil
}

// BenchmarkHTTPSDecrypt runs http with the key log on the capture named by
// $SEGSCOPE_TLS_BENCH (e.g. the 200 MiB tls13-big.pcap of make-tls-captures.sh, not
// committed; its .keys next to it), reporting bytes of capture per second.
func BenchmarkHTTPSDecrypt(b *testing.B) {
	pcap := os.Getenv("SEGSCOPE_TLS_BENCH")
	if pcap == "" {
		b.Skip("SEGSCOPE_TLS_BENCH not set (a capture made by make-tls-captures.sh tls13-big)")
	}
	st, err := os.Stat(pcap)
	if err != nil {
		b.Fatal(err)
	}
	kl, _ := keyLogOf(&testing.T{}, pcap)
	for _, keys := range []*tlsrec.KeyLog{kl, nil} {
		name := "keys"
		if keys == nil {
			name = "nokeys"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				var sink countSink
				if _, err := runSink(b, pcap, &sink, segscope.Config{Mode: segscope.ModeHTTP, TLSKeys: keys}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// keyLogNextTo returns the key log NAME.keys next to capture NAME.pcap, or nil.
func keyLogNextTo(pcap string) *tlsrec.KeyLog {
	f, err := os.Open(strings.TrimSuffix(pcap, ".pcap") + ".keys")
	if err != nil {
		return nil
	}
	defer f.Close()
	kl, err := tlsrec.ReadKeyLog(f)
	if err != nil {
		return nil
	}
	return kl
}

// FuzzHTTPS feeds mutated HTTPS captures through the whole pipeline in every mode with
// the key logs of all TLS captures. Invariants: no panic; the same output twice and with
// two workers.
func FuzzHTTPS(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(ownDir, "tls*.pcap"))
	var keys bytes.Buffer
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil && len(data) < 40<<10 {
			f.Add(data, uint8(2))
		}
		if k, err := os.ReadFile(strings.TrimSuffix(p, ".pcap") + ".keys"); err == nil {
			keys.Write(k)
			keys.WriteByte('\n')
		}
	}
	kl, err := tlsrec.ReadKeyLog(&keys)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		mode := segscope.Mode(m % 7)
		run := func(workers int) string {
			src, err := capture.NewReader(bytes.NewReader(data), "fuzz")
			if err != nil {
				return "open: " + err.Error()
			}
			var out bytes.Buffer
			cfg := segscope.Config{Mode: mode, Workers: workers, TLSKeys: kl}
			if mode == segscope.ModeFollow {
				cfg.Stream = text.NewFollow(&out, text.FollowHex)
			}
			if mode == segscope.ModePackets {
				cfg.TLSKeys = nil
			}
			if _, err := segscope.Run(context.Background(), src, jsonl.New(&out), cfg); err != nil {
				out.WriteString("error: " + err.Error())
			}
			if cfg.Stream != nil {
				cfg.Stream.(*text.Follow).Flush()
			}
			return out.String()
		}
		a, b, c := run(1), run(1), run(2)
		if a != b || a != c {
			t.Fatalf("mode %s: output differs between runs or worker counts", mode)
		}
	})
}

// countSink is a report.Sink that keeps nothing.
type countSink struct{}

func (*countSink) Segment(*report.Segment) error { return nil }
func (*countSink) Conn(*report.Conn) error       { return nil }
func (*countSink) HTTP(*report.HTTP) error       { return nil }
func (*countSink) Anatomy(*report.Anatomy) error { return nil }
func (*countSink) Event(*report.Event) error     { return nil }
func (*countSink) Finding(*report.Finding) error { return nil }
func (*countSink) Close() error                  { return nil }
