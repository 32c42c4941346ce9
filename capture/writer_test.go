package capture

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriterRoundTrip(t *testing.T) {
	all := []Frame{
		{Data: frameData(1, 60), Info: Info{TS: t0*1e9 + 123456789, OrigLen: 60, LinkType: 1}},
		{Data: frameData(2, 100), Info: Info{TS: t0*1e9 + 223456789, OrigLen: 1514, LinkType: 1}},
		{Data: frameData(3, 3), Info: Info{TS: t0*1e9 + 323456789, OrigLen: 0, LinkType: 1}},     // OrigLen raised to 3
		{Data: frameData(4, 300), Info: Info{TS: t0*1e9 + 423456789, OrigLen: 300, LinkType: 1}}, // cut to snaplen 200
		{Data: frameData(5, 40), Info: Info{TS: t0*1e9 + 5, OrigLen: 40, LinkType: 101}},         // pcapng only
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		ng     bool
		frames []Frame
	}{
		{"pcap", false, all},
		{"pcapng", true, all[:4]},
		{"pcapng mixed link types", true, all},
	} {
		ng, frames := c.ng, c.frames
		mixed := c.name == "pcapng mixed link types"
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			var w *Writer
			var err error
			if ng {
				w, err = NewPcapngWriter(&buf, 1, 200)
			} else {
				w, err = NewPcapWriter(&buf, 1, 200)
			}
			if err != nil {
				t.Fatal(err)
			}
			n := len(frames)
			for _, f := range frames {
				err := w.WritePacket(f.Info, f.Data)
				if !ng && f.LinkType != 1 {
					if err == nil || !strings.Contains(err.Error(), "single link type") {
						t.Errorf("pcap WritePacket with link type %d: err = %v", f.LinkType, err)
					}
					n--
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
			os.WriteFile(p, buf.Bytes(), 0o644)
			src, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			var want []wantFrame
			for i, f := range frames[:n] {
				d := f.Data[:min(len(f.Data), 200)]
				want = append(want, wantFrame{num: uint64(i + 1), ts: f.TS, caplen: len(d), orig: max(f.OrigLen, len(f.Data)), link: f.LinkType, iface: min(i, 4) / 4, data: d})
			}
			checkFrames(t, got, want)
			compareTshark(t, p, src.(*Reader).Frames(), got)
			if tcpdump, err := exec.LookPath("tcpdump"); err == nil {
				out, err := exec.Command(tcpdump, "-n", "-r", p).CombinedOutput()
				if mixed {
					// libpcap reads only pcapng files whose interfaces share one link type
					if !strings.Contains(string(out), "different from the type of the first interface") {
						t.Errorf("tcpdump -r of a mixed-link file: %v\n%s", err, out)
					}
					return
				}
				if err != nil {
					t.Errorf("tcpdump -r: %v\n%s", err, out)
				}
				if lines := strings.Count(string(out), "\n"); lines < n {
					t.Errorf("tcpdump printed %d lines for %d frames:\n%s", lines, n, out)
				}
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	_, err := NewPcapngWriter(failWriter{}, 1, 0)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("NewPcapngWriter on a failing writer: %v", err)
	}
}
