package conformance_test

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/report"
)

// tsharkHTTP is one HTTP message as tshark dissects it (frame is the frame that ends the
// message, where tshark shows it).
type tsharkHTTP struct {
	frame     uint64
	method    string // "" for a response
	uri, host string
	status    int
	reqIn     uint64 // response: the frame of its request (http.request_in)
}

// tsharkHTTPMessages runs tshark's HTTP dissector (default preferences: headers and
// bodies reassembled, bodies de-chunked) on a capture, caching its answer on disk like
// tsharkViews. Several messages ending in one frame come as several values.
func tsharkHTTPMessages(t *testing.T, bin, path string) ([]tsharkHTTP, error) {
	args := []string{"-n", "-r", path, "-Y", "http", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|",
		"-e", "frame.number", "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.host",
		"-e", "http.response.code", "-e", "http.request_in"}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	cache := filepath.Join(os.TempDir(), "segscope-tshark-cache",
		fmt.Sprintf("%x", md5.Sum([]byte(fmt.Sprintf("%s|%d|%d|%v", path, st.Size(), st.ModTime().UnixNano(), args)))))
	out, err := os.ReadFile(cache)
	if err != nil {
		out, err = exec.Command(bin, args...).Output()
		if err != nil && len(out) == 0 {
			return nil, err
		}
		if err == nil {
			os.MkdirAll(filepath.Dir(cache), 0o755)
			os.WriteFile(cache, out, 0o644)
		}
	}
	var ms []tsharkHTTP
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 6 {
			continue
		}
		frame, _ := strconv.ParseUint(f[0], 10, 64)
		methods, uris, hosts := strings.Split(f[1], "|"), strings.Split(f[2], "|"), strings.Split(f[3], "|")
		for i, m := range methods {
			if m == "" {
				continue
			}
			ms = append(ms, tsharkHTTP{frame: frame, method: m, uri: at(uris, i), host: at(hosts, i)})
		}
		codes, reqIn := strings.Split(f[4], "|"), strings.Split(f[5], "|")
		for i, c := range codes {
			if c == "" {
				continue
			}
			m := tsharkHTTP{frame: frame}
			m.status, _ = strconv.Atoi(c)
			m.reqIn, _ = strconv.ParseUint(at(reqIn, i), 10, 64)
			ms = append(ms, m)
		}
	}
	return ms, nil
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// TestDifferentialHTTPTshark compares segscope's exchanges with tshark's HTTP pairing on
// every capture here and in ../shared/pcaps: for every request tshark dissects, the
// segscope exchange whose request ends in the same frame must have the same method, URI
// and Host, and the response tshark pairs with it (same last frame, same status). It
// counts "false complete" exchanges — verdict complete while a field or the pairing
// disagrees with tshark — which must be 0, and the share of fields that agree. tshark is
// a peer, not the truth: the known disagreements are listed in tsharkHTTPKnown with the
// reason, and are still counted in the score.
func TestDifferentialHTTPTshark(t *testing.T) {
	bin := needTool(t, "tshark")
	files := allCaptures(t)
	var total, unknown score // unknown: captures without a known tshark error
	falseComplete := 0
	var tbl strings.Builder
	for _, path := range files {
		ms, err := tsharkHTTPMessages(t, bin, path)
		if err != nil {
			t.Logf("tshark %s: %v", path, err)
			continue
		}
		if len(ms) == 0 {
			continue
		}
		rec, _ := run(t, path, segscope.Config{Mode: segscope.ModeHTTP})
		if rec.vanished {
			continue
		}
		// segscope's exchanges by the frame that ends their request, in depth order
		// (several requests can end in one frame), and each one's successor on its
		// connection.
		byReq := map[uint64][]*report.HTTP{}
		next := map[*report.HTTP]*report.HTTP{}
		prev := map[uint64]*report.HTTP{}
		for i := range rec.https {
			h := &rec.https[i]
			if h.Method != "" {
				byReq[h.ReqFrames[1]] = append(byReq[h.ReqFrames[1]], h)
			}
			if p := prev[h.Conn]; p != nil {
				next[p] = h
			}
			prev[h.Conn] = h
		}
		resps := map[uint64][]tsharkHTTP{} // by request frame, in frame order
		for _, m := range ms {
			if m.method == "" && m.reqIn != 0 {
				resps[m.reqIn] = append(resps[m.reqIn], m)
			}
		}
		var s score
		var bad []string
		seen := map[uint64]int{}
		for _, m := range ms {
			if m.method == "" {
				continue
			}
			k := seen[m.frame]
			seen[m.frame]++
			r, hasResp := tsharkHTTP{}, k < len(resps[m.frame])
			if hasResp {
				r = resps[m.frame][k]
			}
			fields := 2 // method, uri; host when tshark read a Host field
			if m.host != "" {
				fields++
			}
			if hasResp {
				fields += 2 // the pairing and the status
			}
			s.want += fields
			var h *report.HTTP
			if xs := byReq[m.frame]; k < len(xs) {
				h = xs[k]
			}
			if h == nil {
				bad = append(bad, fmt.Sprintf("frame %d %s %s: no exchange whose request ends there", m.frame, m.method, m.uri))
				continue
			}
			ok := 0
			var why []string
			cmp := func(name, got, want string) {
				if got == want {
					ok++
				} else {
					why = append(why, fmt.Sprintf("%s %q, tshark %q", name, got, want))
				}
			}
			cmp("method", h.Method, m.method)
			cmp("uri", h.URI, m.uri)
			if m.host != "" {
				cmp("host", h.Host, m.host)
			}
			if hasResp {
				// Paired alike: tshark shows the response in a frame from its first one on
				// (its last data frame, or the FIN that ends a close-delimited body) and
				// before the next exchange's response.
				paired := h.Status != 0 && r.frame >= h.RespFrames[0]
				if n := next[h]; paired && n != nil && n.Status != 0 && r.frame >= n.RespFrames[0] {
					paired = false
				}
				cmp("pairing", strconv.FormatBool(paired), "true")
				cmp("status", strconv.Itoa(h.Status), strconv.Itoa(r.status))
			}
			s.got += ok
			if ok < fields {
				reason, known := tsharkHTTPKnown[capName(path)]
				if h.Verdict == "complete" && !known {
					falseComplete++
				}
				if !known {
					reason = "verdict " + h.Verdict
				}
				bad = append(bad, fmt.Sprintf("conn %d depth %d (%s): %s", h.Conn, h.Depth, reason, strings.Join(why, "; ")))
			}
		}
		total.got += s.got
		total.want += s.want
		if _, known := tsharkHTTPKnown[capName(path)]; !known {
			unknown.got += s.got
			unknown.want += s.want
		}
		fmt.Fprintf(&tbl, "%s\t%s\t%.1f%%\n", capName(path), s, 100*s.ratio())
		sort.Strings(bad)
		for i, b := range bad {
			if i == 10 {
				t.Logf("  %s: ... %d more", capName(path), len(bad)-10)
				break
			}
			t.Logf("  %s: %s", capName(path), b)
		}
	}
	fmt.Fprintf(&tbl, "TOTAL\t%s\t%.1f%%\tfalse complete %d\n", total, 100*total.ratio(), falseComplete)
	fmt.Fprintf(&tbl, "TOTAL without the captures where tshark is known wrong\t%s\t%.2f%%\n", unknown, 100*unknown.ratio())
	t.Logf("HTTP against tshark (fields matched/compared):\n%s", tbl.String())
	if falseComplete > 0 {
		t.Errorf("%d exchanges say complete while tshark pairs or reads them otherwise", falseComplete)
	}
	if unknown.ratio() < 0.997 {
		t.Errorf("HTTP fields agree with tshark on %s (%.2f%%) of the captures where tshark is not known wrong, want at least 99.7%%", unknown, 100*unknown.ratio())
	}
}

// tsharkHTTPKnown names the captures where tshark's HTTP dissection is known to be wrong
// and why; their disagreements are not counted as false complete.
var tsharkHTTPKnown = map[string]string{
	"own/pipelined-lost-request.pcap": "tshark pairs /k/2.txt with the 5,000-byte response of /a.txt and /k/6.txt with the 12,000 bytes of /b.txt (nginx's log and the body sizes say otherwise): it does not account for request 3, which the capture lost",
	"zeek/methods.pcap":               "request lines without a target (OPTIONS alone, OPTIONS HTTP/1.1): segscope follows Zeek's baseline (no request, an empty URI); tshark takes the method alone, or HTTP/1.1 as the URI",
}
