package reassembly

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/tcp"
)

// tsharkFields maps classes to tshark's tcp.analysis fields (the expert infos).
var tsharkFields = []struct {
	class tcp.Class
	field string
}{
	{tcp.ClassRetransmission, "tcp.analysis.retransmission"},
	{tcp.ClassSpuriousRetransmission, "tcp.analysis.spurious_retransmission"},
	{tcp.ClassFastRetransmission, "tcp.analysis.fast_retransmission"},
	{tcp.ClassOutOfOrder, "tcp.analysis.out_of_order"},
	{tcp.ClassDupAck, "tcp.analysis.duplicate_ack"},
	{tcp.ClassZeroWindow, "tcp.analysis.zero_window"},
	{tcp.ClassZeroWindowProbe, "tcp.analysis.zero_window_probe"},
	{tcp.ClassZeroWindowProbeAck, "tcp.analysis.zero_window_probe_ack"},
	{tcp.ClassWindowUpdate, "tcp.analysis.window_update"},
	{tcp.ClassWindowFull, "tcp.analysis.window_full"},
	{tcp.ClassKeepAlive, "tcp.analysis.keep_alive"},
	{tcp.ClassKeepAliveAck, "tcp.analysis.keep_alive_ack"},
	{tcp.ClassPreviousSegmentNotCaptured, "tcp.analysis.lost_segment"},
	{tcp.ClassAckedUnseenSegment, "tcp.analysis.ack_lost_segment"},
}

// writePcap writes segs as Ethernet/IPv4/TCP frames (checksums left 0: tshark does not
// check them by default).
func writePcap(path string, segs []*decode.Segment) error {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	for _, s := range segs {
		var opts []byte
		if s.Opts.HasMSS {
			opts = append(opts, 2, 4, byte(s.Opts.MSS>>8), byte(s.Opts.MSS))
		}
		if s.Opts.SACKPermitted {
			opts = append(opts, 4, 2)
		}
		if s.Opts.HasWScale {
			opts = append(opts, 3, 3, s.Opts.WScale)
		}
		for len(opts)%4 != 0 {
			opts = append(opts, 1)
		}
		tcpLen := 20 + len(opts)
		ipLen := 20 + tcpLen + s.PayloadLen
		f := make([]byte, 14, 14+20+tcpLen+len(s.Payload))
		copy(f[0:], []byte{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00})
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
		ip[8] = 64
		ip[9] = 6
		src, dst := s.Src.Addr().As4(), s.Dst.Addr().As4()
		copy(ip[12:], src[:])
		copy(ip[16:], dst[:])
		th := make([]byte, 20)
		binary.BigEndian.PutUint16(th[0:], s.Src.Port())
		binary.BigEndian.PutUint16(th[2:], s.Dst.Port())
		binary.BigEndian.PutUint32(th[4:], uint32(s.Seq))
		binary.BigEndian.PutUint32(th[8:], uint32(s.Ack))
		th[12] = byte(tcpLen/4) << 4
		var fl byte
		for _, x := range []struct {
			f tcp.Flags
			b byte
		}{{tcp.FIN, 1}, {tcp.SYN, 2}, {tcp.RST, 4}, {tcp.PSH, 8}, {tcp.ACK, 16}} {
			if s.Flags.Has(x.f) {
				fl |= x.b
			}
		}
		th[13] = fl
		binary.BigEndian.PutUint16(th[14:], s.Window)
		f = append(f, ip...)
		f = append(f, th...)
		f = append(f, opts...)
		f = append(f, s.Payload...)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(s.TS/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(s.TS%1e9))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)+s.PayloadLen-len(s.Payload)))
		b.Write(rec)
		b.Write(f)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// tsharkClasses runs tshark on path and returns the classes of each frame (index frame-1).
func tsharkClasses(t *testing.T, path string) []tcp.Class {
	args := []string{"-r", path, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"}
	for _, x := range tsharkFields {
		args = append(args, "-e", x.field)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var res []tcp.Class
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		cols := strings.Split(line, "|")
		var c tcp.Class
		for i, col := range cols {
			if col != "" && i < len(tsharkFields) {
				c |= tsharkFields[i].class
			}
		}
		res = append(res, c)
	}
	return res
}

// comparable classes: those tshark has.
func tsharkView(c tcp.Class) tcp.Class {
	var m tcp.Class
	for _, x := range tsharkFields {
		m |= x.class
	}
	return c & m
}

// randomExchange is a client sending a stream with losses before the capture point
// (segments never captured), reordering, duplicates, zero windows and keep-alives, and a
// server acknowledging what it received like a receiver would.
func randomExchange(rng *rand.Rand) []*decode.Segment {
	v := newConv()
	v.step = 0
	var out []*decode.Segment
	tick := func() {
		switch rng.IntN(4) {
		case 0:
			v.ts += int64(rng.IntN(1000)) * 1000 // < 1 ms
		case 1:
			v.ts += int64(rng.IntN(30)) * ms
		default:
			v.ts += int64(1+rng.IntN(5)) * ms
		}
	}
	add := func(s *decode.Segment) { tick(); s.TS = v.ts; out = append(out, s) }
	add(synOpts(v.c(S, 0, 0, ""), 1460, rng.IntN(3)*4-1))
	add(synOpts(v.s(SA, 0, 1, ""), 1460, rng.IntN(3)*4-1))
	add(v.c(A, 1, 1, ""))
	total := 1 + rng.IntN(20000)
	var segs []piece
	for off := 0; off < total; {
		n := min(1+rng.IntN(1460), total-off)
		segs = append(segs, piece{off: off, data: bytes.Repeat([]byte{'x'}, n)})
		off += n
	}
	recv := make([]bool, total)
	cum := 0
	win := uint16(65535)
	for i := 0; i < len(segs); i++ {
		p := segs[i]
		switch r := rng.IntN(20); {
		case r == 0: // lost before the capture: retransmitted later
			j := min(len(segs), i+1+rng.IntN(3))
			segs = append(segs[:j], append([]piece{p}, segs[j:]...)...)
			continue
		case r == 1 && i+1 < len(segs): // reordered
			segs[i], segs[i+1] = segs[i+1], segs[i]
			p = segs[i]
		case r == 2: // duplicate
			segs = append(segs[:i+1], append([]piece{p}, segs[i+1:]...)...)
		}
		s := v.c(PA, uint32(p.off)+1, 1, string(p.data))
		add(s)
		for k := p.off; k < p.off+len(p.data); k++ {
			recv[k] = true
		}
		for cum < total && recv[cum] {
			cum++
		}
		switch r := rng.IntN(12); {
		case r < 6:
			a := v.s(A, 1, uint32(cum)+1, "")
			a.Window = win
			add(a)
		case r == 6:
			win = 0
			a := v.s(A, 1, uint32(cum)+1, "")
			a.Window = 0
			add(a)
			win = uint16(1000 + rng.IntN(60000))
			a = v.s(A, 1, uint32(cum)+1, "")
			a.Window = win
			add(a)
		case r == 7 && cum > 0: // keep-alive and its ACK
			add(v.c(A, uint32(cum), 1, ""))
			a := v.s(A, 1, uint32(cum)+1, "")
			a.Window = win
			add(a)
		}
	}
	add(v.c(FA, uint32(total)+1, 1, ""))
	add(v.s(FA, 1, uint32(total)+2, ""))
	add(v.c(A, uint32(total)+2, 2, ""))
	for i, s := range out {
		s.Frame = uint64(i + 1)
	}
	return out
}

// TestTsharkDifferential compares the classes of every segment of step cases and random
// exchanges with tshark's tcp.analysis flags. Known, documented deviations are listed in
// allowedDeviation.
func TestTsharkDifferential(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil || testing.Short() {
		t.Skip("tshark not available or -short")
	}
	dir := t.TempDir()
	type scenario struct {
		name string
		segs []*decode.Segment
	}
	var scs []scenario
	for _, tc := range append(stepCases, moreCases...) {
		if strings.Contains(tc.name, "late_ack_stays") {
			continue // tshark splits the reused tuple at a different frame
		}
		scs = append(scs, scenario{tc.name, tc.segs(newConv())})
	}
	for i := range 300 {
		scs = append(scs, scenario{fmt.Sprintf("random_%d", i), randomExchange(rand.New(rand.NewPCG(uint64(i), 9)))})
	}
	for i := range 300 {
		scs = append(scs, scenario{fmt.Sprintf("chaos_%d", i), chaosExchange(rand.New(rand.NewPCG(uint64(i), 11)))})
	}
	// One pcap, one tshark run: scenario i uses addresses 10.i.i.1 and 10.i.i.2, so
	// tshark analyses each scenario's connections apart.
	var all []*decode.Segment
	var ours []tcp.Class
	var scOf []int
	for si, sc := range scs {
		remap := func(e netip.AddrPort) netip.AddrPort {
			a := e.Addr().As4()
			a[1], a[2] = byte(si>>8)+1, byte(si)
			return netip.AddrPortFrom(netip.AddrFrom4(a), e.Port())
		}
		segs := make([]*decode.Segment, len(sc.segs))
		for i, s := range sc.segs {
			cp := *s
			cp.Frame = uint64(len(all) + i + 1)
			cp.Src, cp.Dst = remap(s.Src), remap(s.Dst)
			segs[i] = &cp
		}
		got := make(map[uint64]tcp.Class)
		spy := &classSpy{Handler: nopHandler{}, fn: func(seg *decode.Segment, info *SegInfo) {
			got[seg.Frame] = tsharkView(info.Class)
		}}
		tr := NewTracker(Config{}, spy)
		tr.wiresharkCompat = true
		for _, s := range segs {
			tr.Add(s)
			ours = append(ours, got[s.Frame])
			scOf = append(scOf, si)
		}
		all = append(all, segs...)
	}
	path := filepath.Join(dir, "all.pcap")
	if err := writePcap(path, all); err != nil {
		t.Fatal(err)
	}
	want := tsharkClasses(t, path)
	if len(want) != len(all) {
		t.Fatalf("tshark returned %d frames, want %d", len(want), len(all))
	}
	// acked_unseen_segment depends on tshark 4.0's bookkeeping of "max seq to be acked",
	// which segscope follows from the later Wireshark source; those differences are only
	// counted. Every other class must agree on every frame.
	mismatch, flagged, unseenDiff := 0, 0, 0
	frames := len(all)
	for i := range all {
		if want[i] != 0 {
			flagged++
		}
		if (ours[i]^want[i])&tcp.ClassAckedUnseenSegment != 0 {
			unseenDiff++
		}
		// A fast retransmission can hinge on the same bookkeeping (tshark counts dup ACKs
		// from -1 after an acked_unseen_segment).
		loose := tcp.ClassAckedUnseenSegment
		if (ours[i]|want[i])&tcp.ClassAckedUnseenSegment != 0 {
			loose |= tcp.ClassFastRetransmission
		}
		if (ours[i]^want[i])&^loose != 0 {
			mismatch++
			if mismatch <= 30 {
				t.Errorf("%s frame %d: segscope %q, tshark %q", scs[scOf[i]].name, i+1, ours[i], want[i])
			}
		}
	}
	t.Logf("%d scenarios, %d frames (%d flagged by tshark), %d mismatches, %d acked_unseen_segment differences",
		len(scs), frames, flagged, mismatch, unseenDiff)
	if unseenDiff*200 > frames {
		t.Errorf("acked_unseen_segment differs on %d of %d frames (more than 0.5%%)", unseenDiff, frames)
	}
	if flagged == 0 {
		t.Errorf("tshark flagged nothing: field extraction broken?")
	}
}
