package conformance_test

// Differential tests against peer tools: tshark (per-segment fields, tcp.analysis flags,
// conversation statistics), tcpdump's own expected outputs in ../shared/pcaps/tcpdump,
// and tcpflow (stream files). Peers are witnesses, not the truth: every disagreement
// that is tshark's (or tcpdump's, tcpflow's) and not segscope's is listed in an explicit
// allowlist with the reason. A test needing a tool skips when the tool is not in PATH.

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/report"
)

func mustAP(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatalf("endpoint %q: %v", s, err)
	}
	return ap
}

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// tsharkAnalysisFields are the tcp.analysis flags compared with segscope's classes, in
// the column order of tsharkView.rows after the six segment fields.
var tsharkAnalysisFields = []struct{ field, class string }{
	{"tcp.analysis.retransmission", "retransmission"},
	{"tcp.analysis.fast_retransmission", "fast_retransmission"},
	{"tcp.analysis.spurious_retransmission", "spurious_retransmission"},
	{"tcp.analysis.out_of_order", "out_of_order"},
	{"tcp.analysis.duplicate_ack", "dup_ack"},
	{"tcp.analysis.zero_window", "zero_window"},
	{"tcp.analysis.zero_window_probe", "zero_window_probe"},
	{"tcp.analysis.zero_window_probe_ack", "zero_window_probe_ack"},
	{"tcp.analysis.window_update", "window_update"},
	{"tcp.analysis.window_full", "window_full"},
	{"tcp.analysis.keep_alive", "keep_alive"},
	{"tcp.analysis.keep_alive_ack", "keep_alive_ack"},
	{"tcp.analysis.lost_segment", "previous_segment_not_captured"},
	{"tcp.analysis.ack_lost_segment", "acked_unseen_segment"},
}

// tsharkView is what one tshark run says about a capture: per TCP frame the fields
// frame.number, tcp.flags, tcp.seq, tcp.ack, tcp.len, tcp.window_size_value and the
// analysis flags (tsharkAnalysisFields), and the -z conv,tcp table.
type tsharkView struct {
	frames []uint64
	rows   map[uint64][]string
	conv   []convRow
}

// convRow is one line of tshark's TCP conversation table. AB is A->B (tshark's "->"
// column), BA is B->A ("<-"). Bytes are -1 when tshark rounded them (kB, MB).
type convRow struct {
	a, b               string
	framesBA, framesAB int
	bytesBA, bytesAB   int64
	start              string
}

var (
	tsharkMu    sync.Mutex
	tsharkCache = map[string]*tsharkView{}
)

// tsharkViews runs tshark once per capture (four at a time: tshark's start-up, not its
// work, dominates) and caches the results for every test of the run.
func tsharkViews(t testing.TB, paths []string) map[string]*tsharkView {
	t.Helper()
	bin := needTool(t, "tshark")
	out := map[string]*tsharkView{}
	var todo []string
	tsharkMu.Lock()
	for _, p := range paths {
		if v, ok := tsharkCache[p]; ok {
			out[p] = v
		} else {
			todo = append(todo, p)
		}
	}
	tsharkMu.Unlock()
	// The defaults, stated so that a user's Wireshark preferences cannot change them.
	args := []string{"-o", "tcp.relative_sequence_numbers:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE",
		"-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "tcp.flags",
		"-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len", "-e", "tcp.window_size_value"}
	for _, f := range tsharkAnalysisFields {
		args = append(args, "-e", f.field)
	}
	args = append(args, "-Y", "tcp", "-z", "conv,tcp")
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, p := range todo {
		wg.Add(1)
		go func(p string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			st, err := os.Stat(p)
			if err != nil {
				return // vanished: skipped by the callers
			}
			// Cache tshark's answer on disk, keyed by capture path, size and time: reruns
			// of the tests then cost nothing.
			cache := filepath.Join(os.TempDir(), "segscope-tshark-cache",
				fmt.Sprintf("%x", md5.Sum([]byte(fmt.Sprintf("%s|%d|%d|%v", p, st.Size(), st.ModTime().UnixNano(), args)))))
			b, err := os.ReadFile(cache)
			if err != nil {
				cmd := exec.Command(bin, append([]string{"-n", "-r", p}, args...)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				b, err = cmd.Output()
				if err != nil && len(b) == 0 {
					t.Logf("tshark %s: %v: %s", p, err, stderr.String())
					return
				}
				if err == nil {
					os.MkdirAll(filepath.Dir(cache), 0o755)
					os.WriteFile(cache, b, 0o644)
				}
			}
			v := parseTsharkView(b)
			mu.Lock()
			out[p] = v
			mu.Unlock()
		}(p)
	}
	wg.Wait()
	tsharkMu.Lock()
	for p, v := range out {
		tsharkCache[p] = v
	}
	tsharkMu.Unlock()
	return out
}

var convRE = regexp.MustCompile(`^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d,]+)\s+(\S+)\s+(\d+)\s+([\d,]+)\s+(\S+)\s+\d+\s+[\d,]+\s+\S+\s+(\S+)`)

func parseTsharkView(b []byte) *tsharkView {
	v := &tsharkView{rows: map[uint64][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "\t") {
			f := strings.Split(line, "\t")
			n, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil || len(f) < 6+len(tsharkAnalysisFields) {
				continue
			}
			v.frames = append(v.frames, n)
			v.rows[n] = f
			continue
		}
		if m := convRE.FindStringSubmatch(line); m != nil {
			r := convRow{a: m[1], b: m[2], start: m[9]}
			r.framesBA, _ = strconv.Atoi(m[3])
			r.framesAB, _ = strconv.Atoi(m[6])
			r.bytesBA, r.bytesAB = -1, -1
			if m[5] == "bytes" {
				r.bytesBA, _ = strconv.ParseInt(strings.ReplaceAll(m[4], ",", ""), 10, 64)
			}
			if m[8] == "bytes" {
				r.bytesAB, _ = strconv.ParseInt(strings.ReplaceAll(m[7], ",", ""), 10, 64)
			}
			v.conv = append(v.conv, r)
		}
	}
	return v
}

// first returns the first of tshark's comma-separated occurrences (TCP inside an ICMP
// error or a tunnel gives several; the first is the outer header).
func first(s string) string { s, _, _ = strings.Cut(s, ","); return s }

var flagBits = map[string]uint16{"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20, "ECE": 0x40, "CWR": 0x80, "NS": 0x100, "AE": 0x100}

func flagValue(names []string) uint16 {
	var v uint16
	for _, n := range names {
		v |= flagBits[n]
	}
	return v
}

// segsByFrame runs packets mode and indexes the segment records by frame.
func segsByFrame(t testing.TB, path string) (map[uint64]*report.Segment, *recorder) {
	rec, _ := run(t, path, segscope.Config{Mode: segscope.ModePackets})
	m := make(map[uint64]*report.Segment, len(rec.segs))
	for i := range rec.segs {
		m[rec.segs[i].Frame] = &rec.segs[i]
	}
	return m, rec
}

// ---------------------------------------------------------------------------------------
// 1. Per-segment fields against tshark

// tsharkPacketAllow lists known, explained differences between tshark's per-segment
// fields and segscope's. Keys are "capture:frame:field" or "capture:*:field" (capture as
// capName prints it); the value says why the difference is tshark's, or a convention.
var tsharkPacketAllow = map[string]string{
	// Frame 2 is an ICMP "network unreachable" quoting the first 8 bytes of a TCP header;
	// tshark dissects the quoted header as TCP (seq only, no flags or length), segscope
	// counts the packet as ICMP: it is not a segment of any connection.
	"tcpflow/test1.pcap:2:missing": "ICMP error quoting a TCP header",
	// Shuffled capture (SYN after the data, FIN first): tshark takes the first segment
	// it sees in each direction as the base of relative numbers (so the request is at
	// seq 4294967176 and the FIN at 0); segscope may rebase on the ISN once the late SYN
	// and SYN-ACK show it (request at seq 1, FIN at 121), which is what relative
	// sequence numbers mean. Either base is accepted here.
	"tcpflow/test5-lines-randomized.pcapng:*:seq": "tshark bases relative numbers on the first segment seen, not the ISN",
	"tcpflow/test5-lines-randomized.pcapng:*:ack": "tshark bases relative numbers on the first segment seen, not the ISN",
}

func allowed(m map[string]string, capture string, frame uint64, field string) (string, bool) {
	if r, ok := m[fmt.Sprintf("%s:%d:%s", capture, frame, field)]; ok {
		return r, true
	}
	r, ok := m[capture+":*:"+field]
	return r, ok
}

// TestDifferentialPacketsTshark compares, for every TCP segment of every capture, the
// frame number, flags, relative seq and ack, payload length and window with tshark's
// `-T fields` output (default preferences: relative sequence numbers on).
func TestDifferentialPacketsTshark(t *testing.T) {
	needTool(t, "tshark")
	files := allCaptures(t)
	views := tsharkViews(t, files)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "%-50s %7s %7s %7s %7s %7s\n", "capture", "tshark", "equal", "allowed", "differ", "missing")
	var fails []string
	for _, path := range files {
		name := capName(path)
		segs, rec := segsByFrame(t, path)
		v := views[path]
		if v == nil || rec.vanished {
			continue
		}
		var n, eq, al, diff, miss int
		seen := map[uint64]bool{}
		for _, fr := range v.frames {
			r := v.rows[fr]
			if rec.crashedAt != 0 && fr >= rec.crashedAt {
				continue // reported once by run
			}
			n++
			seen[fr] = true
			s := segs[fr]
			if s == nil {
				if why, ok := allowed(tsharkPacketAllow, name, fr, "missing"); ok {
					al++
					_ = why
				} else {
					miss++
					fails = append(fails, fmt.Sprintf("%s frame %d: tshark sees TCP (flags %s seq %s len %s), segscope has no segment", name, fr, r[1], r[2], r[4]))
				}
				continue
			}
			want := map[string]string{
				"flags": first(r[1]), "seq": first(r[2]), "ack": first(r[3]), "len": first(r[4]), "win": first(r[5]),
			}
			got := map[string]string{
				"flags": fmt.Sprintf("0x%04x", uint16(s.Flags)),
				"seq":   strconv.FormatUint(uint64(s.Seq), 10),
				"ack":   strconv.FormatUint(uint64(s.Ack), 10),
				"len":   strconv.Itoa(s.Len),
				"win":   strconv.Itoa(int(s.Win)),
			}
			ok, allowedAll := true, true
			for _, f := range []string{"flags", "seq", "ack", "len", "win"} {
				if got[f] == want[f] {
					continue
				}
				ok = false
				if _, a := allowed(tsharkPacketAllow, name, fr, f); a {
					continue
				}
				allowedAll = false
				fails = append(fails, fmt.Sprintf("%s frame %d: %s = %s, tshark %s", name, fr, f, got[f], want[f]))
			}
			switch {
			case ok:
				eq++
			case allowedAll:
				al++
			default:
				diff++
			}
		}
		var extra []uint64
		for fr := range segs {
			if !seen[fr] {
				if _, a := allowed(tsharkPacketAllow, name, fr, "extra"); !a {
					extra = append(extra, fr)
				}
			}
		}
		sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
		for _, fr := range extra {
			fails = append(fails, fmt.Sprintf("%s frame %d: segscope has a segment, tshark none", name, fr))
		}
		fmt.Fprintf(&tbl, "%-50s %7d %7d %7d %7d %7d\n", name, n, eq, al, diff, miss+len(extra))
	}
	t.Logf("segment fields vs tshark:\n%s", tbl.String())
	for _, f := range fails {
		t.Error(f)
	}
}

// ---------------------------------------------------------------------------------------
// 1b. Per-segment fields against tcpdump's expected outputs

// tcpdumpPcap maps a tcpdump .out file to the capture it was made from.
func tcpdumpPcap(out string) string {
	special := map[string]string{
		"print-A.out": "print-flags.pcap", "print-AA.out": "print-flags.pcap",
		"print-x.out": "print-flags.pcap", "print-xx.out": "print-flags.pcap",
		"tcp-handshake-micro.out": "tcp-handshake-nano.pcap", "tcp_rst_data-trunc-v.out": "tcp_rst_data-trunc.pcap",
		"tfo.out": "tfo-5c1fa7f9ae91.pcap",
	}
	b := filepath.Base(out)
	if p, ok := special[b]; ok {
		return filepath.Join(filepath.Dir(out), p)
	}
	return strings.TrimSuffix(out, ".out") + ".pcap"
}

var (
	tdFrameRE = regexp.MustCompile(`^\s*(\d+)\s+\S`)
	tdFlagsRE = regexp.MustCompile(`Flags \[([^\]]*)\](.*?), length (\d+)`)
	tdSeqRE   = regexp.MustCompile(`, seq (\d+)(?::(\d+))?`)
	tdAckRE   = regexp.MustCompile(`, ack (\d+)`)
	tdWinRE   = regexp.MustCompile(`, win (\d+)`)
	tdQuietRE = regexp.MustCompile(`: tcp (\d+)`)
)

var tdFlagChars = map[rune]string{'S': "SYN", 'F': "FIN", 'R': "RST", 'P': "PSH", '.': "ACK", 'U': "URG", 'E': "ECE", 'W': "CWR", 'e': "AE"}

// tdRow is one packet of a tcpdump text output.
type tdRow struct {
	frame                 uint64
	flags                 string // "" with -q
	seq, seqEnd, ack, win string
	length                string
	line                  string
}

func parseTcpdump(b []byte) []tdRow {
	var rows []tdRow
	var cur *tdRow
	var text strings.Builder
	flush := func() {
		if cur == nil {
			return
		}
		s := text.String()
		if m := tdFlagsRE.FindStringSubmatch(s); m != nil {
			cur.flags, cur.length = m[1], m[3]
			// Options come after win; the ", " prefix keeps "sack"/MPTCP "seq" out.
			if x := tdSeqRE.FindStringSubmatch(m[2]); x != nil {
				cur.seq, cur.seqEnd = x[1], x[2]
			}
			if x := tdAckRE.FindStringSubmatch(m[2]); x != nil {
				cur.ack = x[1]
			}
			if x := tdWinRE.FindStringSubmatch(m[2]); x != nil {
				cur.win = x[1]
			}
		} else if m := tdQuietRE.FindStringSubmatch(s); m != nil {
			cur.length = m[1]
		}
		rows = append(rows, *cur)
		cur = nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m := tdFrameRE.FindStringSubmatch(line); m != nil && !strings.HasPrefix(strings.TrimSpace(line), "0x") {
			flush()
			n, _ := strconv.ParseUint(m[1], 10, 64)
			cur = &tdRow{frame: n, line: strings.TrimSpace(line)}
			text.Reset()
		}
		if cur != nil && !strings.HasPrefix(strings.TrimSpace(line), "0x") {
			text.WriteString(line)
			text.WriteByte(' ')
		}
	}
	flush()
	return rows
}

// TestDifferentialPacketsTcpdump compares flags, seq, ack, window and payload length with
// the tcpdump project's own expected outputs (tests/*.out, see the corpus README for the
// arguments). tcpdump prints the first packet of each direction with absolute numbers
// and later ones relative; an absolute value equal to segscope's raw number is accepted.
func TestDifferentialPacketsTcpdump(t *testing.T) {
	sharedCaptures(t)
	outs, _ := filepath.Glob(filepath.Join(sharedDir, "tcpdump", "*.out"))
	if len(outs) == 0 {
		t.Skip("no tcpdump outputs")
	}
	var tbl strings.Builder
	for _, out := range outs {
		pcap := tcpdumpPcap(out)
		if _, err := os.Stat(pcap); err != nil {
			t.Errorf("%s: capture %s missing", filepath.Base(out), pcap)
			continue
		}
		b, _ := os.ReadFile(out)
		segs, _ := segsByFrame(t, pcap)
		var n, fields, eq int
		for _, r := range parseTcpdump(b) {
			s := segs[r.frame]
			if s == nil {
				// tcpdump numbers every packet; only TCP ones concern us.
				if r.flags != "" || strings.Contains(r.line, ": tcp ") {
					t.Errorf("%s frame %d: tcpdump shows TCP, segscope has no segment: %s", filepath.Base(out), r.frame, r.line)
				}
				continue
			}
			n++
			check := func(field, want, rel string, raw uint32) {
				if want == "" {
					return
				}
				fields++
				if want == rel || want == strconv.FormatUint(uint64(raw), 10) {
					eq++
					return
				}
				t.Errorf("%s frame %d: %s = %s (raw %d), tcpdump %s: %s", filepath.Base(out), r.frame, field, rel, raw, want, r.line)
			}
			if r.flags != "" {
				var names []string
				for _, c := range r.flags {
					if n, ok := tdFlagChars[c]; ok {
						names = append(names, n)
					}
				}
				fields++
				if flagValue(names)&0xff == uint16(s.Flags)&0xff {
					eq++
				} else {
					t.Errorf("%s frame %d: flags %v, tcpdump [%s]", filepath.Base(out), r.frame, s.Flags, r.flags)
				}
			}
			check("seq", r.seq, strconv.FormatUint(uint64(s.Seq), 10), s.SeqRaw)
			if r.seqEnd != "" {
				check("seq end", r.seqEnd, strconv.FormatUint(uint64(s.Seq)+uint64(s.Len), 10), s.SeqRaw+uint32(s.Len))
			}
			check("ack", r.ack, strconv.FormatUint(uint64(s.Ack), 10), s.AckRaw)
			check("win", r.win, strconv.Itoa(int(s.Win)), uint32(s.Win))
			check("length", r.length, strconv.Itoa(s.Len), uint32(s.Len))
		}
		if n == 0 {
			t.Errorf("%s: no TCP packet parsed from tcpdump's output (parser out of date?)", filepath.Base(out))
		}
		fmt.Fprintf(&tbl, "%-36s %-34s %3d segments %4d/%d fields equal\n", filepath.Base(out), filepath.Base(pcap), n, eq, fields)
	}
	t.Logf("segment fields vs tcpdump's expected outputs:\n%s", tbl.String())
}

// ---------------------------------------------------------------------------------------
// 2. Segment classes against tshark's tcp.analysis flags

// flagTally counts, for one class, frames flagged by both tools, only by tshark and only
// by segscope.
// tsharkWrong counts disagreements explained as tshark's error (analysisNotes entries
// starting "tshark:"); they are shown but do not count against the agreement.
type flagTally struct{ both, onlyTshark, onlyUs, tsharkWrong int }

func (f flagTally) agreement() float64 {
	n := f.both + f.onlyTshark + f.onlyUs
	if n == 0 {
		return 1
	}
	return float64(f.both) / float64(n)
}

// TestDifferentialAnalysisFlags compares segscope's per-segment classes with tshark's
// tcp.analysis flags on every capture, prints a table per class (both / only tshark /
// only segscope) and keeps testdata/conformance/analysis-flags.txt as the baseline: the
// test fails when, for a capture and class of the baseline, frames flagged by both drop
// or disagreements grow. -update rewrites the baseline.
//
// Known disagreement categories, investigated on concrete frames, are in analysisNotes
// with whose error each is; a disagreement without a note is logged as UNEXPLAINED.
func TestDifferentialAnalysisFlags(t *testing.T) {
	needTool(t, "tshark")
	files := allCaptures(t)
	views := tsharkViews(t, files)
	perClass := map[string]*flagTally{}
	perCap := map[string]*flagTally{} // "capture\tclass"
	var examples []string
	for _, path := range files {
		name := capName(path)
		segs, rec := segsByFrame(t, path)
		v := views[path]
		if v == nil || rec.vanished {
			continue
		}
		for ci, af := range tsharkAnalysisFields {
			var onlyT, onlyS []uint64
			tally := &flagTally{}
			frames := map[uint64]bool{}
			for _, fr := range v.frames {
				frames[fr] = true
			}
			for fr := range segs {
				frames[fr] = true
			}
			for fr := range frames {
				if rec.crashedAt != 0 && fr >= rec.crashedAt {
					continue
				}
				inT := false
				if r := v.rows[fr]; r != nil && first(r[6+ci]) != "" {
					inT = true
				}
				inS := false
				if s := segs[fr]; s != nil {
					for _, c := range s.Class.Names(nil) {
						if c == af.class {
							inS = true
						}
					}
				}
				tw := strings.HasPrefix(analysisNotes[fmt.Sprintf("%s:%d:%s", name, fr, af.class)], "tshark:")
				switch {
				case inT && inS:
					tally.both++
				case (inT || inS) && tw:
					tally.tsharkWrong++
				case inT:
					tally.onlyTshark++
				case inS:
					tally.onlyUs++
				}
				if inT && !inS {
					onlyT = append(onlyT, fr)
				} else if inS && !inT {
					onlyS = append(onlyS, fr)
				}
			}
			if *tally == (flagTally{}) {
				continue
			}
			perCap[name+"\t"+af.class] = tally
			pc := perClass[af.class]
			if pc == nil {
				pc = &flagTally{}
				perClass[af.class] = pc
			}
			pc.both += tally.both
			pc.onlyTshark += tally.onlyTshark
			pc.onlyUs += tally.onlyUs
			pc.tsharkWrong += tally.tsharkWrong
			sortU := func(x []uint64) []uint64 {
				sort.Slice(x, func(i, j int) bool { return x[i] < x[j] })
				if len(x) > 12 {
					x = x[:12]
				}
				return x
			}
			for _, x := range []struct {
				who    string
				frames []uint64
			}{{"only tshark", onlyT}, {"only segscope", onlyS}} {
				for _, fr := range sortU(x.frames) {
					note, ok := analysisNotes[fmt.Sprintf("%s:%d:%s", name, fr, af.class)]
					if !ok {
						note = "UNEXPLAINED"
					}
					examples = append(examples, fmt.Sprintf("%s frame %d %s: %s (%s)", name, fr, af.class, x.who, note))
				}
			}
		}
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "# segscope segment classes vs tshark tcp.analysis flags (frames).\n")
	fmt.Fprintf(&tbl, "# Per class over all captures: both, only tshark, only segscope (unexplained or\n")
	fmt.Fprintf(&tbl, "# segscope's error), tshark-wrong (explained in analysisNotes), agreement = both /\n")
	fmt.Fprintf(&tbl, "# (both + only-tshark + only-segscope).\n")
	fmt.Fprintf(&tbl, "# Then per capture and class (the lines the test enforces).\n")
	fmt.Fprintf(&tbl, "# Regenerate with: go test -run TestDifferentialAnalysisFlags -update\n")
	var total flagTally
	for _, af := range tsharkAnalysisFields {
		f := perClass[af.class]
		if f == nil {
			f = &flagTally{}
		}
		total.both += f.both
		total.onlyTshark += f.onlyTshark
		total.onlyUs += f.onlyUs
		total.tsharkWrong += f.tsharkWrong
		fmt.Fprintf(&tbl, "class %-30s both %5d  only-tshark %4d  only-segscope %4d  tshark-wrong %3d  agreement %5.1f%%\n", af.class, f.both, f.onlyTshark, f.onlyUs, f.tsharkWrong, 100*f.agreement())
	}
	fmt.Fprintf(&tbl, "class %-30s both %5d  only-tshark %4d  only-segscope %4d  tshark-wrong %3d  agreement %5.1f%%\n", "ALL", total.both, total.onlyTshark, total.onlyUs, total.tsharkWrong, 100*total.agreement())
	keys := sortedKeys(perCap)
	for _, k := range keys {
		f := perCap[k]
		fmt.Fprintf(&tbl, "%s\t%d %d %d\n", k, f.both, f.onlyTshark, f.onlyUs)
	}
	t.Logf("segment classes vs tshark:\n%s", tbl.String())
	for _, e := range examples {
		t.Log(e)
	}

	baseFile := filepath.Join(baselineDir, "analysis-flags.txt")
	b, err := os.ReadFile(baseFile)
	if *update || err != nil {
		writeBaseline(t, "analysis-flags.txt", tbl.String())
		return
	}
	inBase := map[string]bool{} // captures and capture/class keys of the baseline
	for _, line := range strings.Split(string(b), "\n") {
		k1, rest, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		k2, _, _ := strings.Cut(rest, "\t")
		inBase[k1] = true
		inBase[k1+"\t"+k2] = true
	}
	// A class that was absent for a capture of the baseline had no disagreement.
	for _, k := range keys {
		capture, _, _ := strings.Cut(k, "\t")
		if f := perCap[k]; inBase[capture] && !inBase[k] && f.onlyTshark+f.onlyUs > 0 {
			t.Errorf("%s: new disagreement with tshark: both %d only-tshark %d only-segscope %d, baseline none",
				strings.Replace(k, "\t", " ", 1), f.both, f.onlyTshark, f.onlyUs)
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		k1, rest, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		k2, nums, ok := strings.Cut(rest, "\t")
		if !ok {
			continue
		}
		var base flagTally
		if _, err := fmt.Sscanf(nums, "%d %d %d", &base.both, &base.onlyTshark, &base.onlyUs); err != nil {
			continue
		}
		got := perCap[k1+"\t"+k2]
		if got == nil {
			got = &flagTally{}
			if !captureListed(files, k1) {
				continue // capture absent in this run
			}
		}
		if got.both < base.both || got.onlyTshark+got.onlyUs > base.onlyTshark+base.onlyUs {
			t.Errorf("%s %s: agreement with tshark dropped: both %d only-tshark %d only-segscope %d, baseline %d %d %d",
				k1, k2, got.both, got.onlyTshark, got.onlyUs, base.both, base.onlyTshark, base.onlyUs)
		}
	}
}

// analysisNotes explains disagreements with tshark's tcp.analysis flags, keyed
// "capture:frame:class". "tshark:" = tshark is wrong, "segscope:" = segscope is wrong
// (a bug to fix in reassembly/analysis.go; the note stays until the baseline moves).
var analysisNotes = map[string]string{
	// tshark keeps its "max seq to be ACKed" behind the hole 264:278 (frame 17's ACK),
	// so frame 19's ACK of 292 looks like acking an unseen segment although frame 18
	// carried 278:292.
	"suricata/http-gap-simple.pcap:19:acked_unseen_segment": "tshark: frame 18 carried 278:292, captured",
	// segscope flags the first ACK that reaches the peer's highest seen byte after an
	// earlier hole in the peer's stream, although that byte was captured:
	"suricata/http-gap-simple.pcap:27:acked_unseen_segment":               "segscope: ACK 433 of 320:433 carried by frame 26",
	"suricata/http-pipeline-files-with-gap.pcap:116:acked_unseen_segment": "segscope: ACK 26957 of 26681:26957 carried by frame 115",
	"suricata/http-pipeline-files-with-gap.pcap:169:acked_unseen_segment": "segscope: ACK 61110 of the FIN of frame 168",
	"zeek/entity_gap.pcap:13:acked_unseen_segment":                        "segscope: ACK 5009 of the FIN of frame 12",
	// The connection was (wrongly) ended by the out-of-window RST of frame 2; the ACK
	// of frame 10 acknowledges frame 9's 79 bytes.
	"suricata/bug-3286-02-linux-evasion.pcap:10:acked_unseen_segment": "segscope: ACK 80 of 1:80 carried by frame 9 (after accepting the bogus RST of frame 2)",
	// Shuffled capture: the SYN-ACK arrives after the server's FIN; its sequence number
	// (the ISN) was never seen before, so it is out of order, not a retransmission —
	// tshark's time-based heuristic calls it a retransmission.
	"tcpflow/test5-lines-randomized.pcapng:4:retransmission": "tshark: the SYN-ACK carries sequence space never seen before",
	"tcpflow/test5-lines-randomized.pcapng:4:out_of_order":   "tshark: see retransmission",
	// The SYN of frame 10 is the connection's own SYN arriving last (ISN + 1 = the
	// sequence number of the request in frame 7); tshark starts a new session with it.
	// Once segscope keeps it in the connection, out_of_order is right.
	"tcpflow/test5-lines-randomized.pcapng:10:out_of_order": "tshark: the late SYN belongs to the connection (ISN+1 = seq of frame 7)",
}

func captureListed(files []string, name string) bool {
	for _, f := range files {
		if capName(f) == name {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------
// 3. Connections against tshark -z conv,tcp

// convAllow lists explained differences with tshark's conversation table, keyed
// "capture" (whole capture) with the reason.
var convAllow = map[string]string{
	// The packets of one connection are shuffled (the SYN comes after data). tshark starts
	// a second conversation at the late SYN; segscope keeps one connection, and its streams
	// then equal the digests of the ordered capture (TestConformanceStreamDigests), which
	// shows that one connection is right.
	"tcpflow/test5-lines-randomized.pcapng": "tshark splits the shuffled connection at the late SYN",
}

// splitEP parses "ip:port" as tshark (no brackets for IPv6) or segscope prints it.
func splitEP(s string) (netip.AddrPort, bool) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return netip.AddrPort{}, false
	}
	a, err := netip.ParseAddr(strings.Trim(s[:i], "[]"))
	if err != nil {
		return netip.AddrPort{}, false
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), true
}

// pairKey is an unordered endpoint pair.
func pairKey(a, b netip.AddrPort) string {
	x, y := a.String(), b.String()
	if x > y {
		x, y = y, x
	}
	return x + " " + y
}

// TestDifferentialConnsTshark compares the connection count and, per connection, the
// packets per direction with tshark's TCP conversation table, and the frame bytes per
// direction (segscope: sum of the segment records' frame_len) wherever tshark prints
// exact bytes (it rounds to kB/MB above 10 kB). It also checks that the conn records'
// packet counts equal the number of segment records of each connection.
func TestDifferentialConnsTshark(t *testing.T) {
	needTool(t, "tshark")
	files := allCaptures(t)
	views := tsharkViews(t, files)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "%-50s %6s %6s %8s %8s\n", "capture", "tshark", "ours", "pkts-ok", "bytes-ok")
	for _, path := range files {
		name := capName(path)
		v := views[path]
		crec, _ := run(t, path, segscope.Config{Mode: segscope.ModeConns})
		_, prec := segsByFrame(t, path)
		if v == nil || crec.vanished || prec.vanished || crec.crashedAt != 0 || prec.crashedAt != 0 {
			continue
		}
		// frame bytes and segment counts per connection and direction
		type pd struct{ pkts, bytes [2]int64 }
		per := map[uint64]*pd{}
		for i := range prec.segs {
			s := &prec.segs[i]
			p := per[s.Conn]
			if p == nil {
				p = &pd{}
				per[s.Conn] = p
			}
			d := 0
			if s.Dir == "s2c" {
				d = 1
			}
			p.pkts[d]++
			p.bytes[d] += int64(s.FrameLen)
		}
		byPair := map[string][]*report.Conn{}
		for i := range crec.conns {
			c := &crec.conns[i]
			if p := per[c.Conn]; p != nil && (p.pkts[0] != int64(c.Packets.C2S) || p.pkts[1] != int64(c.Packets.S2C)) {
				t.Errorf("%s conn %d: conn record packets %d/%d, segment records %d/%d", name, c.Conn, c.Packets.C2S, c.Packets.S2C, p.pkts[0], p.pkts[1])
			}
			cli, ok1 := splitEP(c.Client)
			srv, ok2 := splitEP(c.Server)
			if ok1 && ok2 {
				k := pairKey(cli, srv)
				byPair[k] = append(byPair[k], c)
			}
		}
		_, allowAll := convAllow[name]
		var pktOK, byteOK, byteN int
		for _, r := range v.conv {
			a, ok1 := splitEP(r.a)
			b, ok2 := splitEP(r.b)
			if !ok1 || !ok2 {
				t.Errorf("%s: cannot parse tshark conversation %s <-> %s", name, r.a, r.b)
				continue
			}
			k := pairKey(a, b)
			cs := byPair[k]
			if len(cs) == 0 {
				if !allowAll {
					t.Errorf("%s: tshark conversation %s <-> %s (%d+%d frames) has no segscope connection", name, r.a, r.b, r.framesAB, r.framesBA)
				}
				continue
			}
			c := cs[0]
			byPair[k] = cs[1:]
			cli, _ := splitEP(c.Client)
			// tshark's A is the sender of the conversation's first frame.
			wantC2S, wantS2C := r.framesAB, r.framesBA
			bC2S, bS2C := r.bytesAB, r.bytesBA
			if cli != a {
				wantC2S, wantS2C = wantS2C, wantC2S
				bC2S, bS2C = bS2C, bC2S
			}
			if int(c.Packets.C2S) == wantC2S && int(c.Packets.S2C) == wantS2C {
				pktOK++
			} else if !allowAll {
				t.Errorf("%s conn %d %s-%s: packets c2s/s2c %d/%d, tshark %d/%d", name, c.Conn, c.Client, c.Server, c.Packets.C2S, c.Packets.S2C, wantC2S, wantS2C)
			}
			p := per[c.Conn]
			if p == nil {
				p = &pd{}
			}
			for d, want := range []int64{bC2S, bS2C} {
				if want < 0 {
					continue
				}
				byteN++
				if p.bytes[d] == want {
					byteOK++
				} else if !allowAll {
					t.Errorf("%s conn %d dir %d: frame bytes %d, tshark %d", name, c.Conn, d, p.bytes[d], want)
				}
			}
		}
		var left []string
		for _, cs := range byPair {
			for _, c := range cs {
				left = append(left, fmt.Sprintf("conn %d %s-%s", c.Conn, c.Client, c.Server))
			}
		}
		sort.Strings(left)
		if len(left) > 0 && !allowAll {
			t.Errorf("%s: segscope connections without tshark conversation: %v", name, left)
		}
		if len(crec.conns) != len(v.conv) && !allowAll {
			t.Errorf("%s: %d connections, tshark %d conversations", name, len(crec.conns), len(v.conv))
		}
		fmt.Fprintf(&tbl, "%-50s %6d %6d %8s %8s\n", name, len(v.conv), len(crec.conns),
			fmt.Sprintf("%d/%d", pktOK, len(v.conv)), fmt.Sprintf("%d/%d", byteOK, byteN))
	}
	t.Logf("connections vs tshark -z conv,tcp:\n%s", tbl.String())
}

// ---------------------------------------------------------------------------------------
// 4. Stream files against tcpflow

// canonFlowName turns a tcpflow-style file name into a canonical form: IPv4 octets and
// ports without zero padding, IPv6 compressed, the cN suffix kept, a VLAN ("--42")
// dropped. ok is false for files that are not flow files (report.xml, .gaps).
func canonFlowName(name string) (string, bool) {
	if strings.Contains(name, ".xml") || strings.HasSuffix(name, ".gaps") {
		return "", false
	}
	suffix := ""
	if i := strings.LastIndex(name, "c"); i > 0 && !strings.ContainsAny(name[i+1:], ".-:") && name[i+1:] != "" {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			suffix, name = name[i:], name[:i]
		}
	}
	if i := strings.Index(name, "--"); i > 0 {
		name = name[:i]
	}
	// two endpoints "ADDR.PORT": split at the '-' that follows a 5-digit port
	parts := strings.SplitN(name, "-", 2)
	if len(parts) != 2 {
		return "", false
	}
	var out []string
	for _, p := range parts {
		i := strings.LastIndex(p, ".")
		if i < 0 {
			return "", false
		}
		host, port := p[:i], p[i+1:]
		pn, err := strconv.Atoi(port)
		if err != nil {
			return "", false
		}
		if strings.Contains(host, ":") {
			a, err := netip.ParseAddr(host)
			if err != nil {
				return "", false
			}
			host = a.String()
		} else {
			oct := strings.Split(host, ".")
			for j, o := range oct {
				n, err := strconv.Atoi(o)
				if err != nil {
					return "", false
				}
				oct[j] = strconv.Itoa(n)
			}
			host = strings.Join(oct, ".")
		}
		out = append(out, host+"."+strconv.Itoa(pn))
	}
	return out[0] + "-" + out[1] + suffix, true
}

// tcpflowAllow lists captures whose tcpflow output differs for a reason that is
// tcpflow's, with the reason.
var tcpflowAllow = map[string]string{
	// tcpflow 1.6.1 has no IPv6-over-NULL/loopback support (it writes no file at all for
	// these ::1 captures) and does not decode 802.2 SNAP.
	"suricata/http-ipv6.pcap":       "tcpflow writes nothing for IPv6 on DLT_NULL",
	"zeek/connect-with-header.pcap": "tcpflow writes nothing for IPv6 on DLT_NULL",
	"zeek/snap-tcp.pcap":            "tcpflow does not decode 802.2 SNAP",
	// tcpflow does not reassemble IP fragments: the stream misses every fragmented
	// segment (differs at offset 1448, the first fragmented segment). segscope's streams
	// match the HTTP ground truth of the capture (TestConformanceHTTP).
	"own/fragmented.pcap": "tcpflow does not reassemble IP fragments",
	// IPv6 fragment header (atomic fragments): tcpflow writes only the server's
	// direction; the client's 15-byte requests are lost by tcpflow.
	"zeek/ipv6-http-atomic-frag.pcap": "tcpflow drops IPv6 packets with a fragment header",
	// tcpflow follows the bogus RST of this evasion test (wrong timestamp, Linux ignores
	// it): it ends the flow after 6 bytes and writes the real request to a second "c1"
	// file. segscope, like the receiving kernel, keeps one stream; Suricata's expected
	// events for the capture (TestConformanceHTTP) agree.
	"suricata/bug-3286-02-linux-evasion.pcap": "tcpflow honours a bogus RST and splits the flow",
	// Shuffled packets: tcpflow splits the server's stream in two files; segscope's
	// streams equal the digests of the ordered capture (TestConformanceStreamDigests).
	"tcpflow/test5-lines-randomized.pcapng": "tcpflow splits the shuffled connection",
	// tcpflow 1.6.1 cannot write its report for these link types (SLL2, NFLOG) and
	// exits 1 without flow files.
	"suricata/decode-sll2-02.pcap": "tcpflow fails on LINUX_SLL2",
	"zeek/nflog-http.pcap":         "tcpflow fails on NFLOG",
}

// tcpflowTrailer is the largest tail tcpflow may add to a stream: tcpflow 1.6.1 takes
// the payload to the end of the captured frame instead of the IP total length, so the
// Ethernet padding (and an FCS when captured) of a short frame is appended to the
// stream — as a tail of the file, or, when the frame came after the FIN, as a new "cN"
// file. (README of the corpus: "tcpflow 1.6.1 appends 6 NUL bytes" on test5-lines.)
const tcpflowTrailer = 64

// TestDifferentialTcpflow runs `tcpflow -o DIR -r FILE` and segscope's flow-file writer on
// every capture whose connections segscope reassembles without gaps, conflicting
// overlaps or truncation, and requires the same set of files with identical bytes. File
// names must be identical too (tcpflow's naming is the contract of --write-dir).
func TestDifferentialTcpflow(t *testing.T) {
	bin := needTool(t, "tcpflow")
	files := allCaptures(t)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "%-50s %6s %6s %6s %9s\n", "capture", "files", "equal", "names", "trailers")
	for _, path := range files {
		name := capName(path)
		crec, _ := run(t, path, segscope.Config{Mode: segscope.ModeConns})
		_, prec := segsByFrame(t, path)
		if crec.vanished || crec.crashedAt != 0 || prec.crashedAt != 0 {
			continue
		}
		clean := len(crec.conns) > 0
		for _, c := range crec.conns {
			if c.GapBytes.C2S+c.GapBytes.S2C+c.ConflictBytes.C2S+c.ConflictBytes.S2C > 0 {
				clean = false
			}
		}
		for _, s := range prec.segs {
			if s.Truncated {
				clean = false
			}
		}
		if !clean {
			continue
		}
		dir := t.TempDir()
		cmd := exec.Command(bin, "-o", dir, "-r", path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("%s: tcpflow: %v: %s", name, err, out)
			continue
		}
		theirs := map[string][]byte{}
		theirNames := map[string]string{}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			cn, ok := canonFlowName(e.Name())
			if !ok {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			theirs[cn] = b
			theirNames[cn] = e.Name()
		}
		ours := map[string][]byte{}
		ourNames := map[string]string{}
		for n, b := range streamFiles(t, path) {
			cn, ok := canonFlowName(n)
			if !ok {
				continue
			}
			ours[cn] = b
			ourNames[cn] = n
		}
		why, allow := tcpflowAllow[name]
		report := func(format string, args ...any) {
			if allow {
				t.Logf("%s (allowed: %s): %s", name, why, fmt.Sprintf(format, args...))
			} else {
				t.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
			}
		}
		var eq, namesEq, trailers int
		for _, cn := range sortedKeys(theirs) {
			b, ok := ours[cn]
			if !ok {
				if len(theirs[cn]) <= tcpflowTrailer {
					trailers++ // frame trailers of a direction without payload, or after the FIN (a new "cN" flow for tcpflow)
					continue
				}
				if len(theirs[cn]) > 0 {
					report("tcpflow file %s (%d bytes) missing from segscope's (have %v)", theirNames[cn], len(theirs[cn]), sortedKeys(ourNames))
				}
				continue
			}
			if theirNames[cn] == ourNames[cn] {
				namesEq++ // on a VLAN too: "--TCI" as tcpflow
			} else {
				report("file name %q, tcpflow %q", ourNames[cn], theirNames[cn])
			}
			if bytes.Equal(b, theirs[cn]) {
				eq++
				continue
			}
			if len(theirs[cn]) > len(b) && len(theirs[cn])-len(b) <= tcpflowTrailer && bytes.HasPrefix(theirs[cn], b) {
				eq++
				trailers++ // tcpflow appended a frame trailer (see tcpflowTrailer)
				continue
			}
			i := 0
			for i < len(b) && i < len(theirs[cn]) && b[i] == theirs[cn][i] {
				i++
			}
			report("%s: %d bytes, tcpflow %d; first difference at offset %d", theirNames[cn], len(b), len(theirs[cn]), i)
		}
		for _, cn := range sortedKeys(ours) {
			if _, ok := theirs[cn]; !ok && len(ours[cn]) > 0 {
				report("segscope file %s (%d bytes) not written by tcpflow", ourNames[cn], len(ours[cn]))
			}
		}
		fmt.Fprintf(&tbl, "%-50s %6d %6d %6d %9d\n", name, len(theirs), eq, namesEq, trailers)
	}
	t.Logf("stream files vs tcpflow (captures without gaps, conflicts or truncation):\n%s", tbl.String())
}
