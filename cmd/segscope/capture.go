package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
)

// runCapture writes frames from a live interface to a pcapng (or pcap) file until -c
// frames, SIGINT or SIGTERM, then reports the kernel's counters.
func runCapture(o *options, stdout, stderr io.Writer) error {
	if o.dump {
		flt, err := compileFilter(o.expr)
		if err != nil {
			return err
		}
		return dumpFilter(o, flt, o.expr, stdout)
	}
	if o.iface == "" {
		return &usageError{msg: "capture needs -i IFACE", hint: "e.g. segscope capture -i lo -w out.pcapng"}
	}
	if o.write == "" {
		return &usageError{msg: "capture needs -w FILE", hint: "e.g. segscope capture -i lo -w out.pcapng (- for stdout)"}
	}
	if len(o.files) > 0 {
		return &usageError{msg: "capture reads only a live interface", hint: "to convert a file, use editcap"}
	}
	flt, err := compileFilter(o.expr)
	if err != nil {
		return err
	}
	if flt != nil {
		flt.SetSnaplen(o.snaplen)
	}
	live, err := capture.OpenLive(o.iface, capture.LiveConfig{Snaplen: o.snaplen, Promisc: true, Filter: liveFilter(flt, o.snaplen)})
	if err != nil {
		return err
	}
	defer live.Close()
	// A regular file is written beside the target and renamed into place at the end (an
	// interrupted capture keeps every frame written); a FIFO or device is written in place.
	f, commit, err := openOutput(o.write, stdout)
	if err != nil {
		return err
	}
	var w *capture.Writer
	if o.pcap {
		w, err = capture.NewPcapWriter(f, live.LinkType(), live.Snaplen())
	} else {
		w, err = capture.NewPcapngWriter(f, live.LinkType(), live.Snaplen())
	}
	if err != nil {
		commit(false)
		return err
	}
	defer onInterrupt(func(os.Signal) { live.Stop() })() // Stop: the frames already queued in the kernel are still written
	var n uint64
	var runErr error
	for o.count == 0 || n < o.count {
		fr, err := live.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				runErr = err
			}
			break
		}
		if flt != nil && !live.KernelFilter() {
			// the kernel could not take the program (a cooked socket reading other header
			// bytes): filter here
			ok, err := flt.Match(filter.LinkType(fr.LinkType), fr.Data, fr.OrigLen)
			if err != nil {
				runErr = filterErr(o.expr, err)
				break
			}
			if !ok {
				continue
			}
		}
		if err := w.WritePacket(fr.Info, fr.Data); err != nil {
			runErr = err
			break
		}
		n++
	}
	if err := w.Flush(); err != nil && runErr == nil {
		runErr = err
	}
	if err := commit(true); err != nil && runErr == nil {
		runErr = err
	}
	recv, drop := live.Stats()
	if !o.quiet {
		fmt.Fprintf(stderr, "segscope: %d frames written to %s; kernel: %d received, %d dropped\n", n, o.write, recv, drop)
	}
	return runErr
}
