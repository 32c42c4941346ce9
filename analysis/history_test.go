package analysis

import (
	"strings"
	"testing"

	"github.com/segscope/segscope/flow"
)

// hseg builds a HistSeg from a tcpdump-style flag text ("S", "S.", ".", "P.", "F.", "R")
// and a payload length.
func hseg(flags string, seq uint32, n int) HistSeg {
	return HistSeg{
		SYN: strings.Contains(flags, "S"), FIN: strings.Contains(flags, "F"),
		RST: strings.Contains(flags, "R"), ACK: strings.Contains(flags, "."),
		Seq: 0, Len: n,
	}.withSeq(seq)
}

func (s HistSeg) withSeq(q uint32) HistSeg { s.Seq = 0; s.Seq = s.Seq.Add(q); return s }

type hstep struct {
	dir   flow.Dir
	flags string
	seq   uint32
	len   int
	gap   bool
	rexmt bool
}

func TestHistory(t *testing.T) {
	c, s := flow.C2S, flow.S2C
	cases := []struct {
		name    string
		steps   []hstep
		history string
		state   string
	}{
		{"plain exchange", []hstep{{c, "S", 0, 0, false, false}, {s, "S.", 0, 0, false, false}, {c, ".", 1, 0, false, false},
			{c, "P.", 1, 100, false, false}, {s, ".", 1, 0, false, false}, {s, "P.", 1, 500, false, false},
			{c, "F.", 101, 0, false, false}, {s, "F.", 501, 0, false, false}, {c, ".", 102, 0, false, false}}, "ShADadFf", "SF"},
		{"no reply", []hstep{{c, "S", 0, 0, false, false}, {c, "S", 0, 0, false, false}}, "S", "S0"},
		{"new SYN at another seq", []hstep{{c, "S", 0, 0, false, false}, {c, "S", 7, 0, false, false}}, "SS", "S0"},
		{"rejected", []hstep{{c, "S", 0, 0, false, false}, {s, "R.", 0, 0, false, false}}, "Sr", "REJ"},
		{"syn then rst", []hstep{{c, "S", 0, 0, false, false}, {c, "R", 1, 0, false, false}}, "SR", "RSTOS0"},
		{"midstream", []hstep{{c, "P.", 1, 10, false, false}, {s, "P.", 1, 10, false, false}, {c, ".", 11, 0, false, false}}, "DdA", "OTH"},
		{"missing syn, flipped", []hstep{{s, "S.", 0, 0, false, false}, {c, ".", 1, 0, false, false}, {c, "P.", 1, 10, false, false},
			{s, ".", 1, 0, false, false}, {s, "P.", 1, 10, false, false}, {c, "F.", 11, 0, false, false}, {s, "F.", 11, 0, false, false}}, "^hADadFf", "SF"},
		{"established, open", []hstep{{c, "S", 0, 0, false, false}, {s, "S.", 0, 0, false, false}, {c, ".", 1, 0, false, false},
			{s, ".", 1, 0, false, false}, {c, "P.", 1, 5, false, false}, {s, "P.", 1, 5, false, false}}, "ShAaDd", "S1"},
		{"gap, retransmissions, reset", []hstep{{c, "S", 0, 0, false, false}, {s, "S.", 0, 0, false, false}, {c, ".", 1, 0, false, false},
			{c, "P.", 1, 5, false, false}, {s, ".", 1, 0, false, false}, {c, "", 0, 0, true, false}, {s, "P.", 1, 5, false, false},
			{s, "", 0, 0, true, false}, {s, "P.", 1, 5, false, true}, {c, "R", 9, 0, false, false}}, "ShADaGdgtR", "RSTO"},
		{"scaled letters", append([]hstep{{c, "P.", 1, 5, false, false}},
			func() (r []hstep) {
				for range 10 {
					r = append(r, hstep{c, "P.", 1, 5, false, true})
				}
				return
			}()...), "DTT", "OTH"},
		{"fin with data is F only", []hstep{{c, "S", 0, 0, false, false}, {s, "S.", 0, 0, false, false}, {c, "F.", 1, 10, false, false}}, "ShF", "S2"},
		{"syn then fin, no reply", []hstep{{c, "S", 0, 0, false, false}, {c, "F", 1, 0, false, false}}, "SF", "SH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h History
			var bytes [2]uint64
			for _, st := range tc.steps {
				if st.gap {
					h.Gap(st.dir)
					continue
				}
				sg := hseg(st.flags, st.seq, st.len)
				sg.Retransmission = st.rexmt
				h.Segment(st.dir, sg)
				bytes[st.dir] += uint64(st.len)
			}
			if got := h.String(); got != tc.history {
				t.Errorf("history = %q, want %q", got, tc.history)
			}
			if got := ConnState(h.State(c), h.State(s), h.String(), bytes[0], bytes[1]); got != tc.state {
				t.Errorf("ConnState(%s, %s) = %s, want %s", h.State(c), h.State(s), got, tc.state)
			}
		})
	}
}

func TestHistoryBounded(t *testing.T) {
	var h History
	for i := range 1000 {
		h.Segment(flow.Dir(i&1), hseg("S", uint32(i), 0))
	}
	if n := len(h.String()); n != maxHistory {
		t.Errorf("len(history) = %d, want the bound %d", n, maxHistory)
	}
	if a := testing.AllocsPerRun(100, func() { h.Segment(flow.C2S, hseg("P.", 1, 10)) }); a != 0 {
		t.Errorf("History.Segment allocs = %v, want 0", a)
	}
}

func TestZeekUID(t *testing.T) {
	a := ZeekUID("1:wCb3OG7yAFWelaUydu0D+125CLM=", 1_000_000_000)
	b := ZeekUID("1:wCb3OG7yAFWelaUydu0D+125CLM=", 1_000_000_001)
	if len(a) != ZeekUIDLen || a[0] != 'C' || a == b {
		t.Errorf("ZeekUID = %q, %q; want distinct C-prefixed %d-character uids", a, b, ZeekUIDLen)
	}
	if a != ZeekUID("1:wCb3OG7yAFWelaUydu0D+125CLM=", 1_000_000_000) {
		t.Error("ZeekUID is not deterministic")
	}
	for _, r := range a[1:] {
		if !strings.ContainsRune(base62, r) {
			t.Errorf("ZeekUID %q has %q, not base62", a, r)
		}
	}
}
