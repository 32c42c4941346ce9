//go:build linux && !386

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Linux AF_PACKET constants not exported by package syscall.
const (
	ethPAll             = 0x0003
	solPacket           = 263
	packetAddMembership = 1
	packetStatistics    = 6
	packetMrPromisc     = 1
	packetOutgoing      = 4
	arphrdEther         = 1
	arphrdLoopback      = 772
	sllHeaderLen        = 16
)

// Live captures frames from a network interface through an AF_PACKET socket (pure Go, no
// libpcap). Ethernet and loopback devices give LinkType 1 (on lo the MAC addresses are
// zero); other devices, and the pseudo-device "any", give LinkTypeLinuxSLL. Timestamps
// come from the kernel. As with tcpdump, each packet on a loopback device is delivered
// once: the kernel's outgoing copy is skipped.
//
// Next may be called from one goroutine while Close or Stop is called from another.
type Live struct {
	name     string
	link     LinkType
	cooked   bool
	snaplen  int
	room     int     // bytes of packet kept after the cooked header, if any
	loop     []int32 // ifindexes of loopback devices
	file     *os.File
	rc       syscall.RawConn
	readFn   func(fd uintptr) bool
	ctlFn    func(fd uintptr)
	got      bool
	frame    uint64
	closed   atomic.Bool
	stopping atomic.Bool

	// recvmsg state, reused for every frame
	msg   syscall.Msghdr
	iov   syscall.Iovec
	sa    syscall.RawSockaddrLinklayer
	oob   [8]uint64 // control messages (aligned)
	buf   []byte
	n     int
	errno syscall.Errno

	mu       sync.Mutex
	received uint64
	dropped  uint64

	kernelFilter bool
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// ifaceInfo is what opening a packet socket on an interface needs to know of it.
type ifaceInfo struct {
	index    int      // 0 for "any"
	cooked   bool     // no usable link header: a SOCK_DGRAM socket, frames as Linux SLL
	link     LinkType // 1 (Ethernet) or LinkTypeLinuxSLL
	sockType int      // SOCK_RAW or SOCK_DGRAM
	loop     []int32  // indexes of the loopback interfaces (their packets come twice)
}

// resolveIface looks up iface ("any" for all interfaces) for OpenLive and OpenRing.
func resolveIface(iface string) (ifaceInfo, error) {
	ii := ifaceInfo{link: 1, sockType: syscall.SOCK_RAW}
	if iface == "any" {
		ii.cooked = true
	} else {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return ii, fmt.Errorf("%s: %w", iface, ErrNoInterface)
		}
		ii.index = ifi.Index
		switch hatype(ifi) {
		case arphrdEther, arphrdLoopback:
		default:
			ii.cooked = true
		}
	}
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback != 0 {
				ii.loop = append(ii.loop, int32(i.Index))
			}
		}
	}
	if ii.cooked {
		ii.sockType, ii.link = syscall.SOCK_DGRAM, LinkTypeLinuxSLL
	}
	return ii, nil
}

// OpenLive opens interface iface ("any" for all interfaces) for capture.
func OpenLive(iface string, cfg LiveConfig) (*Live, error) {
	snaplen := cfg.Snaplen
	if snaplen <= 0 || snaplen > MaxCapLen {
		snaplen = DefaultSnaplen
	}
	ii, err := resolveIface(iface)
	if err != nil {
		return nil, err
	}
	l := &Live{name: iface, snaplen: snaplen, link: ii.link, cooked: ii.cooked, loop: ii.loop}
	ifindex, typ := ii.index, ii.sockType
	// Protocol 0: receive nothing until bound to the interface.
	fd, err := syscall.Socket(syscall.AF_PACKET, typ|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, liveErr(iface, "socket", err)
	}
	fail := func(op string, err error) (*Live, error) {
		syscall.Close(fd)
		return nil, liveErr(iface, op, err)
	}
	if cfg.Filter != nil {
		prog, err := cfg.Filter(l.link)
		if err != nil {
			syscall.Close(fd)
			return nil, err
		}
		if l.cooked {
			prog = cookedProgram(prog)
		}
		if prog != nil {
			// attached before bind: not one unfiltered packet is queued
			switch err := attachFilter(fd, prog); {
			case err == nil:
				l.kernelFilter = true
			case errors.Is(err, syscall.EINVAL):
				// the kernel refuses it (too long, say): the caller filters every frame
			default:
				return fail("attaching the filter", err)
			}
		}
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(ethPAll), Ifindex: ifindex}); err != nil {
		return fail("bind", err)
	}
	if cfg.Promisc && ifindex != 0 {
		mreq := struct {
			ifindex int32
			typ     uint16
			alen    uint16
			addr    [8]byte
		}{ifindex: int32(ifindex), typ: packetMrPromisc}
		if _, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), solPacket, packetAddMembership,
			uintptr(unsafe.Pointer(&mreq)), unsafe.Sizeof(mreq), 0); e != 0 {
			return fail("promiscuous mode", e)
		}
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1); err != nil {
		return fail("timestamps", err)
	}
	// A large receive buffer absorbs bursts; SO_RCVBUFFORCE needs CAP_NET_ADMIN.
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 8<<20) != nil {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<20)
	}
	l.file = os.NewFile(uintptr(fd), "packet socket on "+iface)
	if l.rc, err = l.file.SyscallConn(); err != nil {
		l.file.Close()
		return nil, liveErr(iface, "socket", err)
	}
	// the snaplen counts the cooked header, as in libpcap
	off, room := 0, snaplen
	if l.cooked {
		off, room = sllHeaderLen, max(snaplen-sllHeaderLen, 0)
	}
	l.buf = make([]byte, off+room+1)
	l.iov.Base = &l.buf[off]
	l.iov.SetLen(room)
	l.room = room
	l.msg.Name = (*byte)(unsafe.Pointer(&l.sa))
	l.msg.Iov = &l.iov
	l.msg.Iovlen = 1
	l.msg.Control = (*byte)(unsafe.Pointer(&l.oob[0]))
	l.readFn = l.recvmsg
	l.ctlFn = func(fd uintptr) { l.got = l.recvmsg(fd) }
	return l, nil
}

// KernelFilter reports whether the kernel filters the frames (LiveConfig.Filter was
// attached to the socket).
func (l *Live) KernelFilter() bool { return l.kernelFilter }

func attachFilter(fd int, prog []SockFilter) error {
	fprog := struct {
		len    uint16
		filter *SockFilter
	}{uint16(len(prog)), &prog[0]}
	_, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&fprog)), unsafe.Sizeof(fprog), 0)
	if e != 0 {
		return e
	}
	return nil
}

// The kernel's ancillary data offsets (linux/filter.h).
const (
	skfAdOff      = 0xfffff000 // SKF_AD_OFF (-0x1000)
	skfAdProtocol = 0
	skfAdPkttype  = 4
)

// cookedProgram moves a program compiled for LINKTYPE_LINUX_SLL to a cooked socket,
// where the packet starts at the network header, as libpcap's fix_offset does: offsets
// past the 16-byte header move down by 16; the header's packet type (offset 0) and
// protocol (offset 14) become the kernel's ancillary loads. It returns nil when the
// program reads any other header byte. prog is not modified.
func cookedProgram(prog []SockFilter) []SockFilter {
	out := make([]SockFilter, len(prog))
	copy(out, prog)
	if len(out) == 0 || len(out) > 4096 {
		return nil
	}
	for i := range out {
		p := &out[i]
		class, mode := p.Op&0x07, p.Op&0xe0
		if class != 0x00 && class != 0x01 { // BPF_LD, BPF_LDX
			continue
		}
		if mode != 0x20 && mode != 0x40 && mode != 0xa0 { // BPF_ABS, BPF_IND, BPF_MSH
			continue
		}
		switch {
		case p.K >= sllHeaderLen:
			p.K -= sllHeaderLen
		case p.K == 0 && mode == 0x20:
			p.K = skfAdOff + skfAdPkttype
		case p.K == 14 && mode == 0x20:
			p.K = skfAdOff + skfAdProtocol
		default:
			return nil
		}
	}
	return out
}

// hatype returns the ARPHRD_ type of an interface.
func hatype(ifi *net.Interface) int {
	if b, err := os.ReadFile("/sys/class/net/" + ifi.Name + "/type"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return v
		}
	}
	switch {
	case ifi.Flags&net.FlagLoopback != 0:
		return arphrdLoopback
	case len(ifi.HardwareAddr) == 6:
		return arphrdEther
	}
	return -1
}

func liveErr(iface, op string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%s: %w", iface, ErrLivePermission)
	}
	if errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("%s: %w", iface, ErrNoInterface)
	}
	return fmt.Errorf("%s: %s: %w", iface, op, err)
}

// recvmsg reads one packet; it reports false when none is waiting.
func (l *Live) recvmsg(fd uintptr) bool {
	for {
		l.msg.Namelen = uint32(unsafe.Sizeof(l.sa))
		l.msg.SetControllen(int(unsafe.Sizeof(l.oob)))
		n, _, e := syscall.Syscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&l.msg)), syscall.MSG_TRUNC)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		l.n, l.errno = int(n), e
		return true
	}
}

func (l *Live) isLoopback(ifindex int32) bool {
	for _, i := range l.loop {
		if i == ifindex {
			return true
		}
	}
	return false
}

// timestamp returns the kernel's receive time from the control messages, or now.
func (l *Live) timestamp() int64 {
	oob := unsafe.Slice((*byte)(unsafe.Pointer(&l.oob[0])), int(unsafe.Sizeof(l.oob)))
	oob = oob[:min(int(l.msg.Controllen), len(oob))]
	hdr := syscall.CmsgLen(0)
	for len(oob) >= hdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < hdr || int(h.Len) > len(oob) {
			break
		}
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS && int(h.Len) >= syscall.CmsgLen(int(unsafe.Sizeof(syscall.Timespec{}))) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&oob[hdr]))
			return ts.Nano()
		}
		next := syscall.CmsgSpace(int(h.Len) - hdr)
		if next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return time.Now().UnixNano()
}

// Next returns the next frame; Frame.Data is valid until the next call. It blocks until a
// frame arrives, and returns io.EOF once Close has been called, or once Stop has been
// called and the frames already queued in the kernel have been read.
func (l *Live) Next() (Frame, error) {
	for {
		if l.closed.Load() {
			return Frame{}, io.EOF
		}
		if l.stopping.Load() {
			// drain what the kernel has queued without waiting (Read would refuse to
			// try once the deadline set by Stop has passed)
			l.got = false
			if err := l.rc.Control(l.ctlFn); err != nil || !l.got {
				return Frame{}, io.EOF
			}
		} else if err := l.rc.Read(l.readFn); err != nil {
			if l.closed.Load() || errors.Is(err, os.ErrClosed) {
				return Frame{}, io.EOF
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue // Stop was called: drain
			}
			return Frame{}, fmt.Errorf("%s: %w", l.name, err)
		}
		if l.errno != 0 {
			if l.errno == syscall.ENETDOWN {
				return Frame{}, fmt.Errorf("%s: the interface went down", l.name)
			}
			return Frame{}, fmt.Errorf("%s: recvmsg: %w", l.name, l.errno)
		}
		if l.sa.Pkttype == packetOutgoing && l.isLoopback(l.sa.Ifindex) {
			continue // lo delivers each packet twice, outgoing and incoming; keep one, like tcpdump
		}
		orig := l.n
		caplen := min(orig, l.room)
		data := l.buf[:caplen]
		if l.cooked {
			h := l.buf[:sllHeaderLen]
			binary.BigEndian.PutUint16(h[0:], uint16(l.sa.Pkttype))
			binary.BigEndian.PutUint16(h[2:], l.sa.Hatype)
			alen := min(int(l.sa.Halen), 8)
			binary.BigEndian.PutUint16(h[4:], uint16(l.sa.Halen))
			copy(h[6:14], l.sa.Addr[:alen])
			clear(h[6+alen : 14])
			binary.NativeEndian.PutUint16(h[14:], l.sa.Protocol) // already in network order
			orig += sllHeaderLen
			caplen += sllHeaderLen
			data = l.buf[:caplen]
		}
		l.frame++
		return Frame{
			Data: data,
			Info: Info{
				Frame:    l.frame,
				TS:       l.timestamp(),
				CapLen:   caplen,
				OrigLen:  orig,
				LinkType: l.link,
			},
		}, nil
	}
}

// LinkType returns the link type of the frames.
func (l *Live) LinkType() LinkType { return l.link }

// Snaplen returns the snapshot length in effect.
func (l *Live) Snaplen() int { return l.snaplen }

// Stop makes Next return io.EOF once the frames already queued in the kernel have been
// read (for a clean stop on Ctrl-C without losing them). Close must still be called.
func (l *Live) Stop() {
	l.stopping.Store(true)
	l.file.SetReadDeadline(time.Now())
}

// Stats returns the kernel's counts since the capture was opened: packets received by the
// socket (including, on a loopback device, the outgoing copies that Next skips, and the
// dropped ones, as libpcap's ps_recv) and packets dropped because the socket buffer was full.
func (l *Live) Stats() (received, dropped uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed.Load() {
		l.fetchStats()
	}
	return l.received, l.dropped
}

// fetchStats adds the kernel counters (which reset when read) to the totals; l.mu held.
func (l *Live) fetchStats() {
	var st struct{ packets, drops uint32 }
	size := uint32(unsafe.Sizeof(st))
	l.rc.Control(func(fd uintptr) {
		_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, solPacket, packetStatistics,
			uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0)
		if e != 0 {
			st.packets, st.drops = 0, 0
		}
	})
	l.received += uint64(st.packets)
	l.dropped += uint64(st.drops)
}

// Close releases the socket; a Next blocked in another goroutine returns io.EOF.
func (l *Live) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Swap(true) {
		return nil
	}
	l.fetchStats()
	return l.file.Close()
}
