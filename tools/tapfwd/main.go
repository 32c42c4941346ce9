//go:build linux

// Command tapfwd bridges two TAP devices in user space and applies a
// deterministic impairment plan (drop, duplicate, reorder, delay) to the
// Ethernet frames it forwards. It exists because the test machines have no
// tc netem: make-captures.sh creates the two TAP devices through this program,
// moves each into its own network namespace (the file descriptors stay valid),
// and real kernel TCP stacks talk through it.
//
// Frames are counted per direction; only IPv4/IPv6 TCP frames that carry
// payload ("data frames") are numbered (1-based) and can be impaired, so the
// handshake, pure ACKs, ARP and neighbour discovery always pass untouched.
//
// Plan syntax (-plan), rules separated by ';':
//
//	DIR:drop=N[,N...]        do not forward data frame N
//	DIR:dup=N[,N...]         forward data frame N twice
//	DIR:swap=N[,N...]        hold data frame N and forward it right after frame N+1
//	DIR:delay=N@DUR[,...]    forward data frame N after DUR (e.g. 40ms)
//	DIR:hide=N[,N...]        forward data frame N, but leave it out of the -pcap capture
//	DIR:hide-after=K[,K...]  forward, but leave out of the -pcap capture, every data frame
//	                         of DIR sent after the other direction's data frame K and
//	                         before its data frame K+1: on a keep-alive connection with
//	                         one request per segment, every segment of response K
//
// DIR is a2b or b2a. Example: "b2a:drop=12,40;b2a:swap=20;b2a:dup=30".
//
// -latency DUR delays every frame, both ways, by DUR (a one-way path delay; the round
// trip is twice DUR), keeping their order.
//
// With -pcap FILE, tapfwd is also the observer: it writes every frame it forwards (both
// directions, as forwarded, duplicates twice) to a classic pcap file, except the hidden
// ones — a capture that lost packets the endpoints did receive, as a capture host that
// drops packets under load does. The TCP stacks see no loss at all.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

const (
	iffTap  = 0x0002
	iffNoPI = 0x1000
)

type ifreq struct {
	name  [16]byte
	flags uint16
	_     [22]byte
}

func openTap(name string) (int, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var req ifreq
	copy(req.name[:], name)
	req.flags = iffTap | iffNoPI
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), uintptr(syscall.TUNSETIFF), uintptr(unsafe.Pointer(&req))); e != 0 {
		syscall.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF %s: %v", name, e)
	}
	return fd, nil
}

type rules struct {
	drop      map[int]bool
	dup       map[int]bool
	swap      map[int]bool
	delay     map[int]time.Duration
	hide      map[int]bool
	hideAfter map[int]bool // data frame numbers of the other direction
}

func newRules() *rules {
	return &rules{drop: map[int]bool{}, dup: map[int]bool{}, swap: map[int]bool{}, delay: map[int]time.Duration{},
		hide: map[int]bool{}, hideAfter: map[int]bool{}}
}

func parsePlan(s string) (map[string]*rules, error) {
	out := map[string]*rules{"a2b": newRules(), "b2a": newRules()}
	for _, r := range strings.Split(s, ";") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		dir, rest, ok := strings.Cut(r, ":")
		rs, known := out[dir]
		if !ok || !known {
			return nil, fmt.Errorf("bad rule %q: want a2b:RULES or b2a:RULES", r)
		}
		op, list, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, fmt.Errorf("bad rule %q", r)
		}
		for _, item := range strings.Split(list, ",") {
			numStr, durStr, hasDur := strings.Cut(item, "@")
			n, err := strconv.Atoi(numStr)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad frame number %q in %q", item, r)
			}
			switch op {
			case "drop":
				rs.drop[n] = true
			case "dup":
				rs.dup[n] = true
			case "swap":
				rs.swap[n] = true
			case "hide":
				rs.hide[n] = true
			case "hide-after":
				rs.hideAfter[n] = true
			case "delay":
				if !hasDur {
					return nil, fmt.Errorf("delay needs N@DUR in %q", r)
				}
				d, err := time.ParseDuration(durStr)
				if err != nil {
					return nil, err
				}
				rs.delay[n] = d
			default:
				return nil, fmt.Errorf("unknown op %q", op)
			}
		}
	}
	return out, nil
}

// tcpData reports whether an Ethernet frame carries a TCP segment with
// payload, and a short description for the log.
func tcpData(f []byte) (bool, string) {
	if len(f) < 14 {
		return false, ""
	}
	et := int(f[12])<<8 | int(f[13])
	p := f[14:]
	var tcp []byte
	var payloadEnd int
	switch et {
	case 0x0800:
		if len(p) < 20 || p[9] != 6 {
			return false, ""
		}
		ihl := int(p[0]&0x0f) * 4
		tot := int(p[2])<<8 | int(p[3])
		if tot > len(p) || ihl > tot {
			return false, ""
		}
		tcp = p[ihl:tot]
		payloadEnd = len(tcp)
	case 0x86dd:
		if len(p) < 40 || p[6] != 6 {
			return false, ""
		}
		pl := int(p[4])<<8 | int(p[5])
		if 40+pl > len(p) {
			return false, ""
		}
		tcp = p[40 : 40+pl]
		payloadEnd = len(tcp)
	default:
		return false, ""
	}
	if len(tcp) < 20 {
		return false, ""
	}
	off := int(tcp[12]>>4) * 4
	n := payloadEnd - off
	if n <= 0 {
		return false, ""
	}
	seq := uint32(tcp[4])<<24 | uint32(tcp[5])<<16 | uint32(tcp[6])<<8 | uint32(tcp[7])
	sp := int(tcp[0])<<8 | int(tcp[1])
	dp := int(tcp[2])<<8 | int(tcp[3])
	return true, fmt.Sprintf("%d>%d seq_raw=%d len=%d", sp, dp, seq, n)
}

type writer struct {
	mu  sync.Mutex
	fd  int
	cap *pcapFile // nil without -pcap
	// q, with -latency, carries frames to the goroutine that writes each at its due time.
	q       chan delayed
	latency time.Duration
}

type delayed struct {
	due    time.Time
	f      []byte
	hidden bool
}

// write records f in the capture, unless hidden, and forwards it (after -latency). The
// record is written when the frame is forwarded: a frame is in the capture before its
// receiver can answer it.
func (w *writer) write(f []byte, hidden bool) {
	if w.q != nil {
		w.q <- delayed{time.Now().Add(w.latency), f, hidden}
		return
	}
	w.writeNow(f, hidden)
}

// drain writes queued frames in order, each once its due time has come.
func (w *writer) drain() {
	for d := range w.q {
		time.Sleep(time.Until(d.due))
		w.writeNow(d.f, d.hidden)
	}
}

func (w *writer) writeNow(f []byte, hidden bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cap != nil && !hidden {
		w.cap.record(f)
	}
	// EIO: the peer device is not up yet (before the script configures it)
	if _, err := syscall.Write(w.fd, f); err != nil && err != syscall.EIO {
		log.Printf("write: %v", err)
	}
}

// pcapFile is the -pcap capture: classic pcap, microseconds, Ethernet, both directions
// in the order tapfwd forwards them.
type pcapFile struct {
	mu sync.Mutex
	f  *os.File
}

func createPcap(name string) (*pcapFile, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	if _, err := f.Write(hdr); err != nil {
		return nil, err
	}
	return &pcapFile{f: f}, nil
}

func (p *pcapFile) record(frame []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	rec := make([]byte, 16, 16+len(frame))
	binary.LittleEndian.PutUint32(rec[0:], uint32(now.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(now.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	if _, err := p.f.Write(append(rec, frame...)); err != nil {
		log.Printf("pcap: %v", err)
	}
}

// counter is the number of data frames a direction has forwarded so far.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *counter) set(n int) {
	c.mu.Lock()
	c.n = n
	c.mu.Unlock()
}

// pump forwards the frames read from in. mine counts this direction's data frames,
// other is the other direction's count (for hide-after).
func pump(name string, in int, out *writer, rs *rules, mine, other *counter, logger *log.Logger) {
	buf := make([]byte, 65536)
	n := 0
	var held []byte // frame held back by a swap rule
	var heldN int
	var heldTimer *time.Timer
	var hmu sync.Mutex
	release := func() {
		hmu.Lock()
		defer hmu.Unlock()
		if held != nil {
			out.write(held, false)
			logger.Printf("%s data#%d released after its successor (swap)", name, heldN)
			held = nil
			if heldTimer != nil {
				heldTimer.Stop()
			}
		}
	}
	for {
		m, err := syscall.Read(in, buf)
		if err != nil {
			if err == syscall.EINTR || err == syscall.EAGAIN {
				continue
			}
			logger.Printf("%s read: %v", name, err)
			return
		}
		f := make([]byte, m)
		copy(f, buf[:m])
		isData, desc := tcpData(f)
		if !isData {
			out.write(f, false)
			continue
		}
		n++
		mine.set(n)
		if rs.hide[n] || rs.hideAfter[other.get()] {
			logger.Printf("%s data#%d %s HIDDEN from the capture (after the other side's data#%d)", name, n, desc, other.get())
			out.write(f, true)
			release()
			continue
		}
		switch {
		case rs.drop[n]:
			logger.Printf("%s data#%d %s DROPPED", name, n, desc)
		case rs.swap[n]:
			logger.Printf("%s data#%d %s HELD for swap", name, n, desc)
			hmu.Lock()
			held, heldN = f, n
			// Fallback so a lone frame is never held forever.
			heldTimer = time.AfterFunc(200*time.Millisecond, release)
			hmu.Unlock()
			continue
		case rs.delay[n] > 0:
			d := rs.delay[n]
			logger.Printf("%s data#%d %s DELAYED %v", name, n, desc, d)
			nn := n
			time.AfterFunc(d, func() {
				out.write(f, false)
				logger.Printf("%s data#%d delayed frame sent", name, nn)
			})
		case rs.dup[n]:
			logger.Printf("%s data#%d %s DUPLICATED", name, n, desc)
			out.write(f, false)
			out.write(f, false)
		default:
			out.write(f, false)
		}
		release()
	}
}

func main() {
	a := flag.String("a", "sgt-tapa", "name of TAP device A (client side)")
	b := flag.String("b", "sgt-tapb", "name of TAP device B (server side)")
	plan := flag.String("plan", "", "impairment plan (see package doc)")
	ready := flag.String("ready", "", "file to create once both TAP devices exist")
	latency := flag.Duration("latency", 0, "delay every frame, both ways, by this (one-way path delay)")
	pcapOut := flag.String("pcap", "", "also write every forwarded frame, but the hidden ones, to this pcap file")
	flag.Parse()
	logger := log.New(os.Stderr, "tapfwd: ", log.Lmicroseconds)
	rs, err := parsePlan(*plan)
	if err != nil {
		logger.Fatal(err)
	}
	fa, err := openTap(*a)
	if err != nil {
		logger.Fatal(err)
	}
	fb, err := openTap(*b)
	if err != nil {
		logger.Fatal(err)
	}
	logger.Printf("bridging %s <-> %s plan=%q", *a, *b, *plan)
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte("ok\n"), 0o644); err != nil {
			logger.Fatal(err)
		}
	}
	wa, wb := &writer{fd: fa}, &writer{fd: fb}
	if *latency > 0 {
		for _, w := range []*writer{wa, wb} {
			w.q, w.latency = make(chan delayed, 4096), *latency
			go w.drain()
		}
	}
	if *pcapOut != "" {
		pf, err := createPcap(*pcapOut)
		if err != nil {
			logger.Fatal(err)
		}
		wa.cap, wb.cap = pf, pf
		// The script stops tapfwd with SIGTERM: records are written whole, unbuffered.
	}
	var na, nb counter
	go pump("a2b", fa, wb, rs["a2b"], &na, &nb, logger)
	pump("b2a", fb, wa, rs["b2a"], &nb, &na, logger)
}
