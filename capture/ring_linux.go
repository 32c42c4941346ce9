//go:build linux && !386

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Linux TPACKET_V3 constants (linux/if_packet.h).
const (
	packetRxRing       = 5
	packetVersion      = 10
	tpacketV3          = 2
	tpStatusKernel     = 0
	tpStatusUser       = 1
	tpStatusVLANValid  = 1 << 4
	tpStatusVLANTPIDOK = 1 << 6
	tpacket3HdrLen     = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
)

// Ring defaults: 64 blocks of 1 MiB (64 MiB of ring), blocks retired after 8 ms so a
// quiet link still delivers promptly.
const (
	DefaultRingBlockSize = 1 << 20
	DefaultRingBlocks    = 64
	ringRetireMS         = 8
)

// RingConfig sizes a TPACKET_V3 ring.
type RingConfig struct {
	BlockSize int // bytes per block, a multiple of the page size (0: DefaultRingBlockSize)
	Blocks    int // number of blocks (0: DefaultRingBlocks)
}

// Ring captures from an interface through an AF_PACKET socket with a TPACKET_V3 memory-
// mapped receive ring: the kernel writes packets into blocks shared with the process, and
// a block is handed back once every frame in it has been read, so a frame costs no system
// call and no copy (Frame.Data points into the ring, valid until the next call to Next).
// Frames with a VLAN tag the driver took out (and, on devices without Ethernet framing, a
// Linux cooked header) are assembled in a buffer of the Ring instead. Like Live it skips
// the outgoing copy of each packet on a loopback device, and Stats reports the kernel's
// counters (PACKET_STATISTICS); drops happen when every block is full.
//
// Next may be called from one goroutine while Close or Stop is called from another.
type Ring struct {
	name    string
	link    LinkType
	cooked  bool
	snaplen int
	loop    []int32
	file    *os.File
	rc      syscall.RawConn
	mem     []byte
	bsize   int
	nblocks int

	block        int    // index of the block being read
	pending      bool   // the block at index block is ours (TP_STATUS_USER) and not yet released
	left         uint32 // frames of the block not yet returned
	off          uint32 // offset in the block of the next frame
	frame        uint64
	scratch      []byte
	stopWaited   bool
	kernelFilter bool

	closed   atomic.Bool
	stopping atomic.Bool

	mu       sync.Mutex
	received uint64
	dropped  uint64
	waitFn   func(fd uintptr) bool
}

// OpenRing opens iface for capture through a TPACKET_V3 ring (see Ring).
func OpenRing(iface string, cfg LiveConfig, rcfg RingConfig) (*Ring, error) {
	snaplen := cfg.Snaplen
	if snaplen <= 0 || snaplen > MaxCapLen {
		snaplen = DefaultSnaplen
	}
	bsize, nblocks := rcfg.BlockSize, rcfg.Blocks
	if bsize == 0 {
		bsize = DefaultRingBlockSize
	}
	if nblocks == 0 {
		nblocks = DefaultRingBlocks
	}
	page := os.Getpagesize()
	if bsize < page || bsize%page != 0 || nblocks < 2 || bsize > 1<<30 || int64(bsize)*int64(nblocks) > 1<<34 {
		return nil, fmt.Errorf("%s: ring of %d blocks of %d bytes: blocks must be a multiple of %d bytes, at least 2 of them, at most 16 GiB in all", iface, nblocks, bsize, page)
	}
	ii, err := resolveIface(iface)
	if err != nil {
		return nil, err
	}
	r := &Ring{name: iface, snaplen: snaplen, link: ii.link, cooked: ii.cooked, loop: ii.loop, bsize: bsize, nblocks: nblocks}
	ifindex, typ := ii.index, ii.sockType
	fd, err := syscall.Socket(syscall.AF_PACKET, typ|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, liveErr(iface, "socket", err)
	}
	fail := func(op string, err error) (*Ring, error) {
		if r.mem != nil {
			syscall.Munmap(r.mem)
		}
		syscall.Close(fd)
		return nil, liveErr(iface, op, err)
	}
	if cfg.Filter != nil {
		// The filter helper's program, attached as Live attaches it (before the ring and
		// the bind: not one unfiltered packet is queued).
		prog, err := cfg.Filter(r.link)
		if err != nil {
			syscall.Close(fd)
			return nil, err
		}
		if r.cooked {
			prog = cookedProgram(prog)
		}
		if prog != nil {
			switch err := attachFilter(fd, prog); {
			case err == nil:
				r.kernelFilter = true
			case errors.Is(err, syscall.EINVAL):
				// the kernel refuses it (too long, say): the caller filters every frame
			default:
				return fail("attaching the filter", err)
			}
		}
	}
	if err := syscall.SetsockoptInt(fd, solPacket, packetVersion, tpacketV3); err != nil {
		return fail("TPACKET_V3", err)
	}
	// Frames are at most the snaplen (plus headers); the kernel cuts longer ones.
	frameSize := (tpacket3HdrLen + 32 + snaplen + 15) &^ 15
	if frameSize > bsize {
		frameSize = bsize
	}
	req := struct {
		blockSize, blockNr, frameSize, frameNr, retireTov, sizeofPriv, featureReq uint32
	}{uint32(bsize), uint32(nblocks), uint32(frameSize), uint32(bsize / frameSize * nblocks), ringRetireMS, 0, 0}
	if _, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), solPacket, packetRxRing,
		uintptr(unsafe.Pointer(&req)), unsafe.Sizeof(req), 0); e != 0 {
		return fail("PACKET_RX_RING", e)
	}
	r.mem, err = syscall.Mmap(fd, 0, bsize*nblocks, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return fail("mmap ring", err)
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
	r.file = os.NewFile(uintptr(fd), "packet ring on "+iface)
	if r.rc, err = r.file.SyscallConn(); err != nil {
		r.file.Close()
		syscall.Munmap(r.mem)
		return nil, liveErr(iface, "socket", err)
	}
	r.scratch = make([]byte, snaplen+sllHeaderLen+4)
	r.waitFn = func(uintptr) bool { return r.blockReady() }
	return r, nil
}

// status returns a pointer to the block_status word of block i.
func (r *Ring) status(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[i*r.bsize+8]))
}

func (r *Ring) blockReady() bool {
	return atomic.LoadUint32(r.status(r.block))&tpStatusUser != 0
}

// release hands the current block back to the kernel and moves to the next one.
func (r *Ring) release() {
	atomic.StoreUint32(r.status(r.block), tpStatusKernel)
	r.pending = false
	r.block = (r.block + 1) % r.nblocks
}

// Next returns the next frame; Frame.Data is valid until the next call. It blocks until a
// frame arrives, and returns io.EOF once Close has been called, or once Stop has been
// called and the blocks the kernel already filled have been read.
func (r *Ring) Next() (Frame, error) {
	for {
		if r.closed.Load() {
			return Frame{}, io.EOF
		}
		if r.pending && r.left == 0 {
			r.release()
		}
		if !r.pending {
			if !r.blockReady() {
				if r.stopping.Load() {
					// The block the kernel is filling is retired within ringRetireMS:
					// wait that long once, so its frames are read too.
					if !r.stopWaited {
						r.stopWaited = true
						time.Sleep(2 * ringRetireMS * time.Millisecond)
						continue
					}
					return Frame{}, io.EOF
				}
				if err := r.rc.Read(r.waitFn); err != nil {
					if r.closed.Load() || errors.Is(err, os.ErrClosed) {
						return Frame{}, io.EOF
					}
					if errors.Is(err, os.ErrDeadlineExceeded) {
						continue // Stop: read what is ready, then end
					}
					return Frame{}, fmt.Errorf("%s: %w", r.name, err)
				}
				continue
			}
			b := r.mem[r.block*r.bsize:]
			r.pending = true
			r.left = binary.NativeEndian.Uint32(b[12:])
			r.off = binary.NativeEndian.Uint32(b[16:])
			continue
		}
		if f, ok := r.frameAt(); ok {
			return f, nil
		}
	}
}

// frameAt returns the frame at r.off of the current block and moves past it; false for
// a frame that is skipped (the outgoing copy on a loopback device, or a malformed header).
func (r *Ring) frameAt() (Frame, bool) {
	blk := r.mem[r.block*r.bsize : (r.block+1)*r.bsize]
	off := int(r.off)
	r.left--
	if off+tpacket3HdrLen+20 > len(blk) {
		r.left = 0 // a header outside the block: give the block back
		return Frame{}, false
	}
	h := blk[off:]
	next := binary.NativeEndian.Uint32(h[0:])
	sec := binary.NativeEndian.Uint32(h[4:])
	nsec := binary.NativeEndian.Uint32(h[8:])
	snap := int(binary.NativeEndian.Uint32(h[12:]))
	orig := int(binary.NativeEndian.Uint32(h[16:]))
	status := binary.NativeEndian.Uint32(h[20:])
	mac := int(binary.NativeEndian.Uint16(h[24:]))
	tci := binary.NativeEndian.Uint32(h[32:])
	tpid := binary.NativeEndian.Uint16(h[36:])
	r.off += next
	if next == 0 {
		r.left = 0
	}
	// struct sockaddr_ll follows the header.
	sll := h[tpacket3HdrLen:]
	ifindex := int32(binary.NativeEndian.Uint32(sll[4:]))
	pkttype := sll[10]
	if pkttype == packetOutgoing && r.isLoopback(ifindex) {
		return Frame{}, false
	}
	if mac+snap > len(h) {
		return Frame{}, false
	}
	data := h[mac : mac+snap]
	if status&tpStatusVLANValid != 0 && !r.cooked && len(data) >= 12 {
		// The driver took the 802.1Q tag out: put it back, as libpcap does.
		if status&tpStatusVLANTPIDOK == 0 || tpid == 0 {
			tpid = 0x8100
		}
		n := min(len(data)+4, len(r.scratch))
		out := r.scratch[:n]
		copy(out, data[:12])
		binary.BigEndian.PutUint16(out[12:], tpid)
		binary.BigEndian.PutUint16(out[14:], uint16(tci))
		copy(out[16:], data[12:])
		data, orig = out, orig+4
	}
	if r.cooked {
		n := min(len(data)+sllHeaderLen, len(r.scratch))
		out := r.scratch[:n]
		binary.BigEndian.PutUint16(out[0:], uint16(pkttype))
		binary.BigEndian.PutUint16(out[2:], binary.NativeEndian.Uint16(sll[8:]))
		alen := min(int(sll[11]), 8)
		binary.BigEndian.PutUint16(out[4:], uint16(sll[11]))
		copy(out[6:14], sll[12:12+alen])
		clear(out[6+alen : 14])
		copy(out[14:16], sll[2:4]) // protocol, already in network order
		copy(out[sllHeaderLen:], data)
		data, orig = out, orig+sllHeaderLen
	}
	r.frame++
	return Frame{Data: data, Info: Info{
		Frame: r.frame, TS: int64(sec)*1e9 + int64(nsec), CapLen: len(data), OrigLen: max(orig, len(data)), LinkType: r.link,
	}}, true
}

func (r *Ring) isLoopback(ifindex int32) bool {
	for _, i := range r.loop {
		if i == ifindex {
			return true
		}
	}
	return false
}

// KernelFilter reports whether the kernel filters the frames (LiveConfig.Filter was
// attached to the socket).
func (r *Ring) KernelFilter() bool { return r.kernelFilter }

// LinkType returns the link type of the frames.
func (r *Ring) LinkType() LinkType { return r.link }

// Snaplen returns the snapshot length in effect.
func (r *Ring) Snaplen() int { return r.snaplen }

// Stop makes Next return io.EOF once the blocks the kernel already filled have been read.
// (A block the kernel is still filling is retired within 8 ms.) Close must still be called.
func (r *Ring) Stop() {
	r.stopping.Store(true)
	r.file.SetReadDeadline(time.Now())
}

// Stats returns the kernel's counts since the ring was opened: packets the socket received
// (dropped ones included, as libpcap's ps_recv) and packets dropped because every block of
// the ring was full.
func (r *Ring) Stats() (received, dropped uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed.Load() {
		r.fetchStats()
	}
	return r.received, r.dropped
}

// fetchStats adds the kernel counters (struct tpacket_stats_v3, reset when read); r.mu held.
func (r *Ring) fetchStats() {
	var st struct{ packets, drops, freezeQ uint32 }
	size := uint32(unsafe.Sizeof(st))
	r.rc.Control(func(fd uintptr) {
		_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, solPacket, packetStatistics,
			uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0)
		if e != 0 {
			st.packets, st.drops = 0, 0
		}
	})
	r.received += uint64(st.packets)
	r.dropped += uint64(st.drops)
}

// Close releases the socket and the ring; a Next blocked in another goroutine returns
// io.EOF. Frames returned before stay readable (the mapping is released only when the
// Ring is no longer used: after Close, Next never touches it).
func (r *Ring) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Swap(true) {
		return nil
	}
	r.fetchStats()
	return r.file.Close()
}

var _ Source = (*Ring)(nil)
