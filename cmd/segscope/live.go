package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/segscope/segscope/capture"
)

// liveSource is a live capture: a TPACKET_V3 ring (capture.Ring, the default) or a plain
// packet socket (capture.Live, with --ring-blocks 0).
type liveSource interface {
	capture.Source
	Stop()
	Stats() (received, dropped uint64)
	LinkType() capture.LinkType
	Snaplen() int
	KernelFilter() bool
}

// openLive opens -i IFACE with the ring flags and the kernel filter (nil for none).
func openLive(o *options, kernel func(capture.LinkType) ([]capture.SockFilter, error)) (liveSource, error) {
	cfg := capture.LiveConfig{Snaplen: o.snaplen, Promisc: true, Filter: kernel}
	if o.ringBlocks == 0 {
		l, err := capture.OpenLive(o.iface, cfg)
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	r, err := capture.OpenRing(o.iface, cfg, capture.RingConfig{BlockSize: o.ringBlockSize, Blocks: o.ringBlocks})
	if err != nil {
		return nil, &hinted{err: err, hint: captureHint(err) + ringHint}
	}
	return r, nil
}

const ringHint = " (--ring-block-size takes a multiple of the page size; --ring-blocks 0 uses a plain packet socket instead of the ring)"

// dropReporter prints the kernel's drop count on stderr every interval while it grows,
// until the returned function is called.
func dropReporter(live liveSource, stderr io.Writer, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		var last uint64
		for {
			select {
			case <-done:
				return
			case <-t.C:
				recv, drop := live.Stats()
				if drop > last {
					fmt.Fprintf(stderr, "segscope: kernel dropped %d packets (%d in the last %s); %d received\n", drop, drop-last, every, recv)
					last = drop
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
