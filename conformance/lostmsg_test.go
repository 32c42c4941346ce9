package conformance_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/segscope/segscope"
)

// TestLostMessageCaptures checks the two captures in which tools/tapfwd, the observer,
// left every segment of one message out of the capture while forwarding it (see
// make-captures.sh): 120 keep-alive GETs without response 50, and six pipelined GETs
// (one segment each) without request 3. Against nginx's log (expect.tsv): the exchange
// that lost a message says gap and keeps its other message; every other exchange pairs
// the right request with the right response and says complete.
func TestLostMessageCaptures(t *testing.T) {
	for _, tc := range []struct {
		name             string
		depth            int
		lostReq, lostRsp bool
	}{
		{"keepalive-lost-response", 50, false, true},
		{"pipelined-lost-request", 3, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(ownDir, tc.name+".pcap")
			checks, err := expectChecks(filepath.Join(ownDir, tc.name+".expect.tsv"))
			if err != nil {
				t.Skipf("%s: %v", tc.name, err)
			}
			rec, _ := run(t, path, segscope.Config{Mode: segscope.ModeHTTP})
			if len(rec.https) != len(checks) {
				t.Fatalf("%d exchanges, nginx logged %d", len(rec.https), len(checks))
			}
			for i, c := range checks {
				h := &rec.https[i]
				if h.Depth != c.depth {
					t.Fatalf("exchange %d has depth %d, want %d", i+1, h.Depth, c.depth)
				}
				lost := h.Depth == tc.depth
				if lost {
					if h.Verdict != "gap" || (h.Method == "") != tc.lostReq || (h.Status == 0) != tc.lostRsp {
						t.Errorf("depth %d: verdict %s method %q status %d, want gap with the other message", h.Depth, h.Verdict, h.Method, h.Status)
					}
				} else if h.Verdict != "complete" {
					t.Errorf("depth %d (%s): verdict %s %v, want complete", h.Depth, h.URI, h.Verdict, h.Anomalies)
				}
				if !tc.lostReq || !lost {
					if h.URI != c.fields["uri"] || h.Method != c.fields["method"] {
						t.Errorf("depth %d: request %s %s, nginx logged %s %s", h.Depth, h.Method, h.URI, c.fields["method"], c.fields["uri"])
					}
				}
				if !tc.lostRsp || !lost {
					if strconv.Itoa(h.Status) != c.fields["status"] || strconv.FormatInt(h.RespBodyLen, 10) != c.fields["resp_body_len"] {
						t.Errorf("depth %d: response %d with %d bytes, nginx logged %s with %s", h.Depth, h.Status, h.RespBodyLen, c.fields["status"], c.fields["resp_body_len"])
					}
				}
			}
		})
	}
}

// TestEvasionFINClosesNothing: in suricata's bug-3286-02-linux-evasion capture the
// "server" sends an RST and then a FIN before the handshake completes, both with a bad
// timestamp echo that Linux rejects, then the real SYN-ACK. The tracker takes the
// connection up again (revived) and ignores the FIN; so does the HTTP parser: the
// exchange is complete, without data_after_close.
func TestEvasionFINClosesNothing(t *testing.T) {
	path := filepath.Join(sharedDir, "suricata", "bug-3286-02-linux-evasion.pcap")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent: %v", path, err)
	}
	rec, _ := run(t, path, segscope.Config{Mode: segscope.ModeHTTP})
	if len(rec.https) != 1 || rec.https[0].Verdict != "complete" || len(rec.https[0].Anomalies) != 0 || rec.https[0].RespBodyLen != 14 {
		t.Errorf("exchanges %+v, want one complete, 14 body bytes, no anomaly", rec.https)
	}
}
