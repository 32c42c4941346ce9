package text_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/text"
)

func render(t *testing.T, file string, mode segscope.Mode, conn uint64, width int) string {
	t.Helper()
	src, err := capture.Open(file)
	if err != nil {
		t.Skipf("%s: not present: %v", file, err)
	}
	var out bytes.Buffer
	sink := text.New(&out)
	sink.Width = width
	if _, err := segscope.Run(context.Background(), src, sink, segscope.Config{Mode: mode, Conn: conn}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// Ladder, findings and the what-if table fit the width they are given, down to 80
// columns; every arrow stays whole on its row; Width 0 (--wide) is the 100-column layout.
func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		file string
		mode segscope.Mode
		conn uint64
	}{
		{"../../testdata/pcaps/loss-reorder.pcap", segscope.ModeLadder, 1},
		{"../../testdata/pcaps/tfo.pcap", segscope.ModeLadder, 2},
		{"../../testdata/pcaps/nagle.pcap", segscope.ModeLadder, 1},
		{"../../testdata/pcaps/curl-close.pcap", segscope.ModeDiagnose, 0},
		{"../../testdata/pcaps/loss-reorder.pcap", segscope.ModeDiagnose, 0},
	} {
		wide := render(t, tc.file, tc.mode, tc.conn, 0)
		if got := render(t, tc.file, tc.mode, tc.conn, 100); got != wide {
			t.Errorf("%s %s: Width 100 differs from the default layout", tc.file, tc.mode)
		}
		for _, w := range []int{60, 80, 90, 120} {
			out := render(t, tc.file, tc.mode, tc.conn, w)
			limit := max(w, 80)
			arrows := 0
			for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				if n := utf8.RuneCountInString(l); n > limit && strings.Contains(l, " ") {
					t.Errorf("%s %s width %d: line %d is %d columns: %q", tc.file, tc.mode, w, i+1, n, l)
				}
				if strings.Contains(l, "─>│") || strings.Contains(l, "│<─") {
					arrows++
					if strings.Count(l, "│") < 2 {
						t.Errorf("%s width %d: broken arrow %q", tc.file, w, l)
					}
				}
			}
			if tc.mode == segscope.ModeLadder && arrows == 0 {
				t.Errorf("%s width %d: no arrows", tc.file, w)
			}
		}
	}
}
