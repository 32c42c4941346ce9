//go:build linux

// Command pktgen sends full-size TCP frames of many connections out of an interface at a
// fixed rate, for the live-capture benchmark (scripts/live-bench.sh). Frames are built
// once: Ethernet, IPv4 (valid header checksum) and TCP (ACK|PSH, a 1460-byte payload),
// one per connection, each connection's sequence number advancing by the payload per
// frame; the TCP checksum is left zero (nothing on the benchmark link verifies it). It
// writes them through an AF_PACKET socket, sendmmsg batches of up to 64, paced against the
// clock, and prints the frames sent and the rate reached.
//
// Usage: pktgen -i IFACE -rate PPS -seconds S [-conns N] [-src IP] [-dst IP]
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	payloadLen = 1460
	frameLen   = 14 + 20 + 20 + payloadLen // 1514: a full-size frame on a 1500-byte MTU
	batch      = 64
)

func main() {
	iface := flag.String("i", "", "interface to send on")
	rate := flag.Int("rate", 100000, "frames per second")
	secs := flag.Float64("seconds", 5, "how long to send")
	conns := flag.Int("conns", 256, "number of TCP connections (source ports)")
	src := flag.String("src", "10.80.0.1", "source IPv4 address")
	dst := flag.String("dst", "10.80.0.2", "destination IPv4 address")
	flag.Parse()
	if *iface == "" || *rate <= 0 || *conns <= 0 || *conns > 60000 || *secs <= 0 {
		fmt.Fprintln(os.Stderr, "pktgen: error: need -i IFACE, a positive -rate and -seconds, 1 to 60000 -conns")
		os.Exit(2)
	}
	if err := run(*iface, *rate, *secs, *conns, *src, *dst); err != nil {
		fmt.Fprintln(os.Stderr, "pktgen: error:", err)
		os.Exit(1)
	}
}

func run(iface string, rate int, secs float64, conns int, srcIP, dstIP string) error {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return err
	}
	s, err := netip.ParseAddr(srcIP)
	if err != nil || !s.Is4() {
		return fmt.Errorf("bad -src %q", srcIP)
	}
	d, err := netip.ParseAddr(dstIP)
	if err != nil || !d.Is4() {
		return fmt.Errorf("bad -dst %q", dstIP)
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0)
	if err != nil {
		return fmt.Errorf("socket: %w (needs root)", err)
	}
	defer syscall.Close(fd)
	sll := &syscall.SockaddrLinklayer{Protocol: 0x0300, Ifindex: ifi.Index} // ETH_P_ALL, network order
	if err := syscall.Bind(fd, sll); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 8<<20)

	frames := make([][]byte, conns)
	seqs := make([]uint32, conns)
	for i := range frames {
		frames[i] = buildFrame(ifi.HardwareAddr, s.As4(), d.As4(), uint16(20000+i), 80)
		seqs[i] = uint32(i) * 1_000_003
	}
	// sendmmsg batch: one iovec and msghdr per frame (struct mmsghdr: msghdr + len, padded).
	type mmsghdr struct {
		hdr syscall.Msghdr
		n   uint32
		_   [4]byte
	}
	iovs := make([]syscall.Iovec, batch)
	msgs := make([]mmsghdr, batch)
	for i := range msgs {
		msgs[i].hdr.Iov = &iovs[i]
		msgs[i].hdr.Iovlen = 1
	}
	total := int(float64(rate) * secs)
	start := time.Now()
	sent, next := 0, 0
	for sent < total {
		// Pace: do not run ahead of rate * elapsed.
		due := int(float64(rate) * time.Since(start).Seconds())
		if sent >= due {
			time.Sleep(time.Duration(float64(min(batch, total-sent)) / float64(rate) * 1e9))
			continue
		}
		n := min(batch, total-sent, due-sent+batch)
		for k := 0; k < n; k++ {
			c := next
			next = (next + 1) % conns
			f := frames[c]
			binary.BigEndian.PutUint32(f[14+20+4:], seqs[c])
			seqs[c] += payloadLen
			iovs[k].Base = &f[0]
			iovs[k].SetLen(len(f))
		}
		r, _, e := syscall.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(n), 0, 0, 0)
		if e != 0 {
			if e == syscall.ENOBUFS || e == syscall.EAGAIN {
				continue
			}
			return fmt.Errorf("sendmmsg: %w", e)
		}
		sent += int(r)
	}
	el := time.Since(start).Seconds()
	fmt.Printf("pktgen: %d frames of %d bytes in %.2f s: %.0f frames/s over %d connections\n", sent, frameLen, el, float64(sent)/el, conns)
	return nil
}

// buildFrame returns an Ethernet/IPv4/TCP frame from src:sport to dst:dport.
func buildFrame(mac net.HardwareAddr, src, dst [4]byte, sport, dport uint16) []byte {
	f := make([]byte, frameLen)
	for i := range 6 {
		f[i] = 0xff // broadcast: every capture on the link sees it
	}
	copy(f[6:12], mac)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 20+20+payloadLen)
	ip[6] = 0x40 // DF
	ip[8] = 64
	ip[9] = 6
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	tcp := f[34:54]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[8:], 1)
	tcp[12] = 5 << 4
	tcp[13] = 0x18 // ACK|PSH
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	for i := range f[54:] {
		f[54+i] = byte('a' + i%26)
	}
	return f
}
