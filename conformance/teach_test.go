package conformance_test

// Issue 15's findings on real captures: testdata/pcaps (make-captures.sh and
// make-teach-captures.sh, expectations from the programs' logs) and ../shared/pcaps.

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// checkFindings holds on every capture: findings of a connection sorted by frame
// (connection-wide ones last); time_wait only for connections with a FIN; the
// retransmission total diagnose states equals conns' count.
func checkFindings(t *testing.T, pk, dg, cn *recSink) {
	t.Helper()
	fin := map[uint64]bool{}
	for _, s := range pk.segs {
		if s.Flags.Has(tcp.FIN) {
			fin[s.Conn] = true
		}
	}
	last := map[uint64]uint64{}
	zero := map[uint64]bool{}
	retransFindings := map[uint64]int{}
	stated := map[uint64]int{}
	total := regexp.MustCompile(`^(\d+) retransmitted segments? in all`)
	for _, f := range dg.findings {
		if f.Kind == "parallel_conns" {
			continue // stated per group, after its connections' own findings
		}
		switch {
		case f.Frame == 0:
			zero[f.Conn] = true
		case zero[f.Conn] || f.Frame < last[f.Conn]:
			t.Errorf("conn %d: finding at frame %d (%s) out of order", f.Conn, f.Frame, f.Kind)
		}
		last[f.Conn] = max(last[f.Conn], f.Frame)
		if f.Kind == "time_wait" && !fin[f.Conn] {
			t.Errorf("conn %d: time_wait without any FIN: %s", f.Conn, f.Text)
		}
		if f.Kind == "retransmission" {
			if m := total.FindStringSubmatch(f.Text); m != nil {
				stated[f.Conn], _ = strconv.Atoi(m[1])
			} else {
				retransFindings[f.Conn]++
			}
		}
	}
	for _, c := range cn.conns {
		want := int(c.Retransmissions.C2S + c.Retransmissions.S2C)
		got, ok := stated[c.Conn]
		if !ok {
			got = retransFindings[c.Conn]
		}
		if got != want {
			t.Errorf("conn %d: diagnose counts %d retransmissions, conns %d", c.Conn, got, want)
		}
	}
}

// expect reads a .expect.tsv file: its rows as column name -> value.
func expect(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s: not present (make-teach-captures.sh makes it): %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var cols []string
	var rows []map[string]string
	for sc.Scan() {
		v := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = v
			continue
		}
		r := map[string]string{}
		for i, c := range cols {
			if i < len(v) {
				r[c] = v[i]
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func findings(s *recSink, conn uint64, kind string) []report.Finding {
	var out []report.Finding
	for _, f := range s.findings {
		if f.Conn == conn && f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func needFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s: not installed (%v)", path, err)
	}
}

// Item 1: data in the SYN that the server took saved the round trip.
func TestTFOCaptures(t *testing.T) {
	rows := expect(t, "../testdata/pcaps/tfo.expect.tsv")
	cases := []struct {
		file string
		conn uint64
		syn  int
	}{}
	for _, r := range rows {
		c, _ := strconv.ParseUint(r["conn_index"], 10, 64)
		n, _ := strconv.Atoi(r["syn_payload"])
		cases = append(cases, struct {
			file string
			conn uint64
			syn  int
		}{"../testdata/pcaps/tfo.pcap", c, n})
	}
	if _, err := os.Stat(filepath.Join(sharedDir, "zeek", "tcp-fast-open.pcap")); err == nil {
		// Zeek's capture: conn 2's SYN carries 86 bytes (tshark tcp.len of frame 8).
		cases = append(cases, struct {
			file string
			conn uint64
			syn  int
		}{filepath.Join(sharedDir, "zeek", "tcp-fast-open.pcap"), 2, 86})
	} else {
		t.Log(filepath.Join(sharedDir, "zeek", "tcp-fast-open.pcap") + ": not installed, skipped")
	}
	for _, tc := range cases {
		dg := runViews(t, tc.file, segscope.ModeDiagnose, 0)
		hs := findings(dg, tc.conn, "handshake")
		if len(hs) == 0 {
			t.Fatalf("%s conn %d: no handshake finding", tc.file, tc.conn)
		}
		text := hs[len(hs)-1].Text
		ld := runConfig(t, tc.file, segscope.Config{Mode: segscope.ModeLadder, Conn: tc.conn})
		syn := strings.Join(ld.events[0].Notes, "; ")
		if tc.syn > 0 {
			if !strings.Contains(text, "carried "+strconv.Itoa(tc.syn)+" bytes of the request") || !strings.Contains(text, "TFO saved the round trip") || strings.Contains(text, "paid before the first request") {
				t.Errorf("%s conn %d: handshake = %q, want TFO saved the round trip", tc.file, tc.conn, text)
			}
			if !strings.Contains(syn, "carries "+strconv.Itoa(tc.syn)+" bytes of data (TCP Fast Open)") {
				t.Errorf("%s conn %d: ladder SYN notes = %q", tc.file, tc.conn, syn)
			}
			if ack := strings.Join(ld.events[1].Notes, "; "); !strings.Contains(ack, "TFO accepted") {
				t.Errorf("%s conn %d: ladder SYN-ACK notes = %q", tc.file, tc.conn, ack)
			}
		} else if strings.Contains(text, "TFO saved") || strings.Contains(syn, "bytes of data") {
			t.Errorf("%s conn %d: no data in the SYN, yet %q / %q", tc.file, tc.conn, text, syn)
		}
	}
}

// Item 2: reuse of a 4-tuple inside TIME_WAIT is explained, never denied.
func TestTupleReuseCaptures(t *testing.T) {
	for _, tc := range []struct {
		file, closer string
	}{
		{"../testdata/pcaps/tw-reuse.pcap", expect(t, "../testdata/pcaps/tw-reuse.expect.tsv")[0]["closer"]},
		// make-captures.sh: nginx on :81 has keepalive_timeout 0, so the server closes first.
		{"../testdata/pcaps/port-reuse.pcap", "server"},
	} {
		dg := runViews(t, tc.file, segscope.ModeDiagnose, 0)
		for _, f := range dg.findings {
			if strings.Contains(f.Text, "cannot be reused") {
				t.Errorf("%s conn %d: %q", tc.file, f.Conn, f.Text)
			}
		}
		for _, c := range []uint64{2, 3} {
			fs := findings(dg, c, "tuple_reuse")
			if len(fs) != 1 || !strings.Contains(fs[0].Text, "the "+tc.closer+" closed that connection first") {
				t.Errorf("%s conn %d: tuple_reuse = %+v, want the %s as TIME_WAIT holder", tc.file, c, fs, tc.closer)
			}
		}
		if fs := findings(dg, 1, "tuple_reuse"); len(fs) != 0 {
			t.Errorf("%s conn 1: %+v", tc.file, fs)
		}
		// The conn record's states agree: the closer holds TIME-WAIT.
		want := "TIME-WAIT/CLOSED"
		if tc.closer == "server" {
			want = "CLOSED/TIME-WAIT"
		}
		for _, c := range runViews(t, tc.file, segscope.ModeConns, 0).conns {
			if c.State != want {
				t.Errorf("%s conn %d: state %s, want %s", tc.file, c.Conn, c.State, want)
			}
		}
	}
}

// Item 3: one finding per group of connections whose activity overlapped, kept by --conn;
// none for connections one after the other.
func TestParallelCaptures(t *testing.T) {
	dg := runViews(t, "../testdata/pcaps/parallel.pcap", segscope.ModeDiagnose, 0)
	var ps []report.Finding
	for _, f := range dg.findings {
		if f.Kind == "parallel_conns" {
			ps = append(ps, f)
		}
	}
	if len(ps) != 1 || !strings.Contains(ps[0].Text, "connections 1, 2, 3 and 4 ") {
		t.Errorf("parallel.pcap: parallel_conns = %+v, want one for connections 1-4", ps)
	}
	one := runConfig(t, "../testdata/pcaps/parallel.pcap", segscope.Config{Mode: segscope.ModeDiagnose, Conn: 3})
	if fs := findings(one, 3, "parallel_conns"); len(fs) != 1 {
		t.Errorf("parallel.pcap --conn 3: parallel_conns = %+v, want it kept", one.findings)
	}
	for _, f := range []string{"../testdata/pcaps/curl-close.pcap", "../testdata/pcaps/port-reuse.pcap", "../testdata/pcaps/tw-reuse.pcap", "../testdata/pcaps/keepalive.pcap"} {
		for _, x := range runViews(t, f, segscope.ModeDiagnose, 0).findings {
			if x.Kind == "parallel_conns" {
				t.Errorf("%s: connections one after the other called parallel: %s", f, x.Text)
			}
		}
	}
}

// Item 5: holes filled by retransmissions are not missing bytes.
func TestGapCaptures(t *testing.T) {
	f := "../testdata/pcaps/loss-reorder.pcap"
	cn := runViews(t, f, segscope.ModeConns, 0)
	if len(cn.conns) != 1 || cn.conns[0].GapBytes.S2C != 0 {
		t.Fatalf("%s: conns %+v, want one connection with no gap", f, cn.conns)
	}
	gs := findings(runViews(t, f, segscope.ModeDiagnose, 0), 1, "gap")
	if len(gs) != 1 || gs[0].Severity != "info" || !strings.Contains(gs[0].Text, "no byte is missing from the capture") {
		t.Errorf("%s: gap findings %+v", f, gs)
	}
	// snaplen.pcap (96-byte snaplen): payload bytes never captured; conns counts them.
	f = "../testdata/pcaps/snaplen.pcap"
	dg := runViews(t, f, segscope.ModeDiagnose, 0)
	n := 0
	for _, c := range runViews(t, f, segscope.ModeConns, 0).conns {
		gap := c.GapBytes.C2S + c.GapBytes.S2C
		if gap == 0 {
			continue
		}
		n++
		gs := findings(dg, c.Conn, "gap")
		want := strconv.FormatUint(gap, 10)
		if gap >= 1000 {
			want = strconv.FormatUint(gap/1000, 10) + "," + strconv.FormatUint(gap%1000+1000, 10)[1:]
		}
		if len(gs) != 1 || gs[0].Severity != "warn" || !strings.Contains(gs[0].Text, want+" bytes were never captured") {
			t.Errorf("%s conn %d (%d gap bytes): gap findings %+v", f, c.Conn, gap, gs)
		}
	}
	if n == 0 {
		t.Errorf("%s: no connection with gap bytes", f)
	}
}

// Item 9: the Nagle-held write and the delayed ACK that released it are marked and linked;
// with TCP_NODELAY nothing is.
func TestNagleCaptures(t *testing.T) {
	slow := 0
	for _, r := range expect(t, "../testdata/pcaps/nagle.expect.tsv") {
		if v, _ := strconv.ParseFloat(r["client_ms"], 64); v >= 30 {
			slow++
		}
	}
	dg := runViews(t, "../testdata/pcaps/nagle.pcap", segscope.ModeDiagnose, 0)
	ns := findings(dg, 1, "nagle_delay")
	if len(ns) != 1 {
		t.Fatalf("nagle.pcap: nagle_delay findings %+v", ns)
	}
	m := regexp.MustCompile(`; (\d+) such stalls`).FindStringSubmatch(ns[0].Text)
	if m == nil {
		t.Fatalf("nagle.pcap: no stall count in %q", ns[0].Text)
	}
	// Every stall costs its request a delayed ACK (>= 30 ms in the client's log); the
	// client logged a few more slow requests, where the server was slow to answer.
	if n, _ := strconv.Atoi(m[1]); n < slow*2/3 || n > slow {
		t.Errorf("nagle.pcap: %d stalls, the client logged %d requests of 30 ms or more", n, slow)
	}
	held, released := 0, 0
	for _, e := range runViews(t, "../testdata/pcaps/nagle.pcap", segscope.ModeLadder, 0).events {
		for _, n := range e.Notes {
			if strings.Contains(n, "write held by Nagle") {
				held++
			}
			if strings.Contains(n, "it releases the write Nagle held (frame ") {
				released++
			}
		}
	}
	if held == 0 || held != released {
		t.Errorf("nagle.pcap ladder: %d held writes, %d releasing ACKs", held, released)
	}
	for _, r := range expect(t, "../testdata/pcaps/nodelay.expect.tsv") {
		if v, _ := strconv.ParseFloat(r["client_ms"], 64); v >= 30 {
			t.Fatalf("nodelay.expect.tsv: request %s took %s ms: the capture does not show what it should", r["depth"], r["client_ms"])
		}
	}
	if fs := findings(runViews(t, "../testdata/pcaps/nodelay.pcap", segscope.ModeDiagnose, 0), 1, "nagle_delay"); len(fs) != 0 {
		t.Errorf("nodelay.pcap (TCP_NODELAY): %+v", fs)
	}
}

// Item 4: loss-reorder.pcap ends with a spurious retransmission after both FINs: not a
// half-close, in the ladder or in diagnose.
func TestNoHalfCloseAfterBothFINs(t *testing.T) {
	f := "../testdata/pcaps/loss-reorder.pcap"
	for _, e := range runViews(t, f, segscope.ModeLadder, 0).events {
		for _, n := range e.Notes {
			if strings.Contains(n, "half-close") {
				t.Errorf("%s frame %d: %q", f, e.Frame, n)
			}
		}
	}
	if fs := findings(runViews(t, f, segscope.ModeDiagnose, 0), 1, "half_close"); len(fs) != 0 {
		t.Errorf("%s: %+v", f, fs)
	}
}

// What-if: curl fetched the same six files both ways through 10 ms of latency each way;
// each capture's estimate of the other way is within 25% of the other capture's measured
// total, and the estimate of the captured way reproduces its own measurement.
func TestWhatIfCurlBothWays(t *testing.T) {
	// curl's own time_total per transfer, summed: the ground truth of each measurement.
	curlTotal := func(path string) report.Duration {
		var sum float64
		for _, r := range expect(t, path) {
			v, _ := strconv.ParseFloat(r["curl_time_total"], 64)
			sum += v
		}
		return report.Duration(sum * 1e9)
	}
	kaCurl, clCurl := curlTotal("../testdata/pcaps/curl-keepalive.expect.tsv"), curlTotal("../testdata/pcaps/curl-close.expect.tsv")
	get := func(file string) report.WhatIf {
		ws := runViews(t, file, segscope.ModeDiagnose, 0).whatifs
		if len(ws) != 1 {
			t.Fatalf("%s: %d what_if records, want 1", file, len(ws))
		}
		return ws[0]
	}
	est := func(w report.WhatIf, sc string) report.Duration {
		for _, e := range w.Estimates {
			if e.Scenario == sc {
				return e.Total
			}
		}
		t.Fatalf("no %s estimate in %+v", sc, w)
		return 0
	}
	ka, cl := get("../testdata/pcaps/curl-keepalive.pcap"), get("../testdata/pcaps/curl-close.pcap")
	if ka.MeasuredAs != "persistent" || cl.MeasuredAs != "per_request" || ka.Exchanges != 6 || cl.Exchanges != 6 || len(cl.Conns) != 6 {
		t.Fatalf("captured as %s (%d exchanges) and %s (%d exchanges, %d conns)", ka.MeasuredAs, ka.Exchanges, cl.MeasuredAs, cl.Exchanges, len(cl.Conns))
	}
	within := func(name string, got, want report.Duration, tol float64) {
		if d := float64(got-want) / float64(want); d > tol || d < -tol {
			t.Errorf("%s: estimate %s, measured %s (%.0f%% off, limit %.0f%%)", name, textfmt.Duration(int64(got)), textfmt.Duration(int64(want)), 100*d, 100*tol)
		} else {
			t.Logf("%s: estimate %s, measured %s (%.1f%% off)", name, textfmt.Duration(int64(got)), textfmt.Duration(int64(want)), 100*d)
		}
	}
	within("keep-alive measured vs curl's time_total", ka.Measured, kaCurl, 0.10)
	within("close measured vs curl's time_total", cl.Measured, clCurl, 0.10)
	within("keep-alive capture's per_request estimate vs curl-close measured", est(ka, "per_request"), cl.Measured, 0.25)
	within("curl-close capture's persistent estimate vs curl-keepalive measured", est(cl, "persistent"), ka.Measured, 0.25)
	within("keep-alive model of itself", est(ka, "persistent"), ka.Measured, 0.10)
	within("close model of itself", est(cl, "per_request"), cl.Measured, 0.10)
	// A persistent connection saves at least a round trip per request after the first.
	if d := est(ka, "per_request") - est(ka, "persistent"); d < 5*ka.RTT {
		t.Errorf("per_request - persistent = %s, want at least 5 round trips (%s each)", textfmt.Duration(int64(d)), textfmt.Duration(int64(ka.RTT)))
	}
}

// DNS before the connection: curl resolved www.segscope.test through tools/teachpeer's
// responder (its log: dns-curl.dns.tsv), then connected to the answer.
func TestDNSBeforeCurl(t *testing.T) {
	rows := expect(t, "../testdata/pcaps/dns-curl.dns.tsv")
	var name, addr string
	for _, r := range rows {
		if r["qtype"] == "1" && r["rcode"] == "0" {
			name, addr = r["qname"], r["answer"]
		}
	}
	if name == "" {
		t.Fatal("dns-curl.expect.tsv: no A answer logged")
	}
	f := "../testdata/pcaps/dns-curl.pcap"
	hs := runViews(t, f, segscope.ModeHTTP, 0).https
	if len(hs) != 1 || !strings.HasPrefix(hs[0].Server, addr+":") {
		t.Fatalf("%s: http records %+v, want one to %s", f, hs, addr)
	}
	// The lookup is the time from the query to the answer in the capture: positive and
	// shorter than the time from the first packet to the request.
	if hs[0].HostLookup <= 0 || hs[0].HostLookup >= hs[0].Rel {
		t.Errorf("host_lookup %v, request at %v", hs[0].HostLookup, hs[0].Rel)
	}
	ds := findings(runViews(t, f, segscope.ModeDiagnose, 0), 1, "dns_lookup")
	if len(ds) != 1 || !strings.Contains(ds[0].Text, "looked up "+name+" ") || !strings.Contains(ds[0].Text, "took "+textfmt.Duration(int64(hs[0].HostLookup))) {
		t.Errorf("dns_lookup findings %+v (host_lookup %s)", ds, textfmt.Duration(int64(hs[0].HostLookup)))
	}
	// A capture without DNS has no lookup.
	for _, h := range runViews(t, "../testdata/pcaps/get-simple.pcap", segscope.ModeHTTP, 0).https {
		if h.HostLookup != 0 {
			t.Errorf("get-simple.pcap: host_lookup %v without any DNS", h.HostLookup)
		}
	}
}
