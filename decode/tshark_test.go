package decode

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// tsharkRow is one TCP segment as tshark prints it.
type tsharkRow struct {
	flags, seq, ack, length, win, src, port string
}

func (r tsharkRow) String() string {
	return fmt.Sprintf("flags=%s seq=%s ack=%s len=%s win=%s src=%s port=%s", r.flags, r.seq, r.ack, r.length, r.win, r.src, r.port)
}

func segRow(s *Segment) tsharkRow {
	return tsharkRow{
		flags:  fmt.Sprintf("0x%04x", uint16(s.Flags)),
		seq:    strconv.FormatUint(uint64(s.Seq), 10),
		ack:    strconv.FormatUint(uint64(s.Ack), 10),
		length: strconv.Itoa(s.PayloadLen),
		win:    strconv.Itoa(int(s.Window)),
		src:    s.Src.Addr().String(),
		port:   strconv.Itoa(int(s.Src.Port())),
	}
}

func runTshark(t *testing.T, path string) map[uint64]tsharkRow {
	t.Helper()
	cmd := exec.Command("tshark", "-n", "-r", path, "-o", "tcp.relative_sequence_numbers:FALSE",
		"-T", "fields", "-e", "frame.number", "-e", "tcp.flags", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw",
		"-e", "tcp.len", "-e", "tcp.window_size_value", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-Y", "tcp")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.String())
	}
	rows := make(map[uint64]tsharkRow)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 9 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		src := f[6]
		if src == "" {
			src = f[7]
		}
		// Several values (TCP inside ICMP errors, tunnels): the innermost comes last for
		// IP; the first TCP header is the outer one.
		first := func(s string) string { s, _, _ = strings.Cut(s, ","); return s }
		rows[n] = tsharkRow{flags: first(f[1]), seq: first(f[2]), ack: first(f[3]), length: first(f[4]), win: first(f[5]), src: first(src), port: first(f[8])}
	}
	return rows
}

// tsharkKnown lists disagreements where tshark, not the decoder, is wrong (or where
// the two legitimately differ), keyed by "file:frame".
var tsharkKnown = map[string]string{}

// captureFiles lists the captures of the shared corpus ($SEGSCOPE_CORPUS, or
// ../shared/pcaps next to the repository) and of the project's testdata.
func captureFiles(t *testing.T) []string {
	shared := os.Getenv("SEGSCOPE_CORPUS")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared", "pcaps")
	}
	if _, err := os.Stat(shared); err != nil {
		t.Logf("shared corpus %s absent: %s runs on testdata only", shared, t.Name())
	}
	var files []string
	for _, pat := range []string{
		filepath.Join(shared, "*", "*.pcap*"), filepath.Join(shared, "*", "*", "*.pcap*"), filepath.Join(shared, "*.pcap*"),
		"../testdata/pcaps/*.pcap*", "testdata/pcaps/*.pcap*",
	} {
		m, _ := filepath.Glob(pat)
		for _, f := range m {
			if strings.HasSuffix(f, ".out") || strings.HasSuffix(f, ".txt") {
				continue
			}
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files
}

func TestTsharkDifferential(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not in PATH")
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	files := captureFiles(t)
	if len(files) == 0 {
		t.Skip("no captures")
	}
	var c diffCounts
	for _, path := range files {
		c.add(compareWithTshark(t, path))
	}
	c.files = len(files)
	t.Logf("tshark agreement: %v", c)
}

type diffCounts struct {
	files, total, agree, known, mismatch, onlyThem, onlyUs int
}

func (c *diffCounts) add(d diffCounts) {
	c.total += d.total
	c.agree += d.agree
	c.known += d.known
	c.mismatch += d.mismatch
	c.onlyThem += d.onlyThem
	c.onlyUs += d.onlyUs
}

func (c diffCounts) String() string {
	return fmt.Sprintf("%d files, %d TCP segments in tshark, %d identical, %d known differences, %d mismatched, %d only in tshark, %d only in decoder",
		c.files, c.total, c.agree, c.known, c.mismatch, c.onlyThem, c.onlyUs)
}

// compareWithTshark decodes every frame of the capture at path and compares each TCP
// segment with tshark's view of the same frame.
func compareWithTshark(t *testing.T, path string) (c diffCounts) {
	t.Helper()
	frames, err := readCapture(path)
	if err != nil && len(frames) == 0 {
		t.Logf("%s: %v (skipped)", path, err)
		return c
	}
	want := runTshark(t, path)
	d := NewDecoder(Config{})
	var seg Segment
	name := filepath.Base(path)
	for _, fr := range frames {
		k := d.Decode(fr.data, fr.link, fr.origLen, fr.ts, fr.num, &seg)
		w, inTshark := want[fr.num]
		key := name + ":" + strconv.FormatUint(fr.num, 10)
		if inTshark {
			c.total++
		}
		switch {
		case k == KindTCP && inTshark:
			got := segRow(&seg)
			if seg.Frame != fr.num {
				t.Errorf("%s: seg.Frame = %d", key, seg.Frame)
			}
			if got == w {
				c.agree++
			} else if why, ok := tsharkKnown[key]; ok {
				c.known++
				t.Logf("%s: known difference (%s): got %v, tshark %v", key, why, got, w)
			} else {
				c.mismatch++
				t.Errorf("%s: got %v, tshark %v", key, got, w)
			}
		case k == KindTCP:
			c.onlyUs++
			if _, ok := tsharkKnown[key]; !ok {
				t.Errorf("%s: decoder says TCP %v, tshark shows no TCP", key, segRow(&seg))
			}
		case inTshark && w.seq == "" && k == KindTruncated:
			// The snaplen cut the TCP header: tshark shows the ports it could read,
			// the decoder has no segment (spec: KindTruncated, counted).
			c.known++
			t.Logf("%s: known difference (TCP header cut by snaplen): decoder %v, tshark %v", key, k, w)
		case inTshark && (w.length == "" || w.flags == "") && k == KindMalformed:
			// A TCP data offset below 5 or past the datagram: tshark shows the fields
			// it could read next to "bogus header length"; the decoder has no segment
			// (spec: KindMalformed, counted).
			c.known++
			t.Logf("%s: known difference (bogus TCP header length): decoder %v, tshark %v", key, k, w)
		case inTshark && w.seq == "" && k == KindOtherIP:
			// tshark matches -Y tcp on the start of a TCP header quoted inside an
			// ICMP error (ip.src is the outer header's); that is not a segment.
			c.known++
			t.Logf("%s: known difference (TCP quoted in ICMP error): decoder %v, tshark %v", key, k, w)
		case inTshark:
			if why, ok := tsharkKnown[key]; ok {
				c.known++
				t.Logf("%s: known difference (%s): decoder %v, tshark %v", key, why, k, w)
			} else {
				c.onlyThem++
				t.Errorf("%s: decoder says %v, tshark shows TCP %v", key, k, w)
			}
		}
	}
	st := d.Stats()
	t.Logf("%s: %d frames, %d TCP (tshark %d), kinds %v, other %v", name, len(frames), st.Count(KindTCP), len(want), st.ByKind, st.Other)
	return c
}
