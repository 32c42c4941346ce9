package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/segscope/segscope/capture"
)

// TestCaptureHint checks that every error kind of the capture package, wrapped as the
// package returns it, gets its hint (they moved here from capture.Hint).
func TestCaptureHint(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x.pcap: %w", capture.ErrNotCapture), "editcap"},
		{fmt.Errorf("x.pcap: %w", capture.ErrEmpty), "no bytes"},
		{&capture.TruncatedError{Name: "x.pcap", Offset: 10}, "cut short"},
		{&capture.CorruptError{Name: "x.pcap", Msg: "bad"}, "damaged"},
		{fmt.Errorf("nosuchif0: %w", capture.ErrNoInterface), "ip link"},
		{capture.ErrLivePermission, "setcap cap_net_raw+ep"},
		{capture.ErrLiveUnsupported, "tcpdump -w"},
		{&fs.PathError{Op: "open", Path: "nope.pcap", Err: fs.ErrNotExist}, "check the file name"},
		{&fs.PathError{Op: "open", Path: "x.pcap", Err: fs.ErrPermission}, "permissions"},
	} {
		if got := captureHint(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("captureHint(%v) = %q, want it to mention %q", tc.err, got, tc.want)
		}
	}
	if got := captureHint(errors.New("something else")); got != "" {
		t.Errorf("captureHint(other) = %q, want none", got)
	}
}

// TestFlagTable checks the flag table: every flag belongs to a command, no two flags of
// one command share a name, and every command's flag set builds (pflag panics on a
// duplicate).
func TestFlagTable(t *testing.T) {
	for _, cmd := range commandTable {
		seen := map[string]bool{}
		for _, d := range flagTable {
			if d.cmds == 0 {
				t.Errorf("--%s belongs to no command", d.long)
			}
			if d.cmds&cmd.bit == 0 {
				continue
			}
			for _, n := range []string{"--" + d.long, "-" + d.short} {
				if n != "-" && seen[n] {
					t.Errorf("%s: two flags named %s", cmd.name, n)
				}
				seen[n] = true
			}
		}
		var o options
		flagSet(&cmd, &o)
	}
}
