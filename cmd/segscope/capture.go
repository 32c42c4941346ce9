package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
	"github.com/segscope/segscope/internal/safefile"
)

// runCapture writes frames from a live interface to a pcapng (or pcap) file until -c
// frames, SIGINT or SIGTERM, then reports the kernel's counters. With -C, -W or -G it
// rotates files as tcpdump does (capture.Rotator).
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
	rotate := o.rotMB != 0 || o.rotSecs != 0 || o.rotFiles != 0
	if rotate {
		switch {
		case o.rotMB < 0 || o.rotSecs < 0 || o.rotFiles < 0:
			return &usageError{msg: "-C, -W and -G take positive numbers", hint: "-C MB (millions of bytes), -W FILES, -G SECONDS"}
		case o.rotFiles > 0 && o.rotMB == 0 && o.rotSecs == 0:
			return &usageError{msg: "-W needs -C or -G", hint: "-C MB -W N keeps a ring of N files; -G SECONDS -W N stops after N files"}
		case o.write == "-":
			return &usageError{msg: "-C and -G rotate files, not standard output", hint: "give -w a file name"}
		}
	}
	flt, err := compileFilter(o.expr)
	if err != nil {
		return err
	}
	if flt != nil {
		flt.SetSnaplen(o.snaplen)
	}
	// As every -w: an existing file is replaced only with --force, never through a link.
	if o.write != "-" {
		if err := checkNewFile(o.write, o.force); err != nil {
			return err
		}
	}
	live, err := openLive(o, liveFilter(flt, o.snaplen))
	if err != nil {
		return err
	}
	defer live.Close()
	if !o.quiet {
		defer dropReporter(live, stderr, 10*time.Second)()
	}
	var out packetWriter
	var commit func(bool) error
	if rotate {
		r, err := capture.NewRotator(capture.RotateConfig{
			Name: o.write, Size: int64(o.rotMB * 1e6), Files: o.rotFiles, Every: int64(o.rotSecs) * 1e9,
			Pcapng: !o.pcap, Link: live.LinkType(), Snaplen: live.Snaplen(),
			Create: func(name string) (capture.RotFile, error) {
				f, err := safefile.CreateOutput(name)
				if err != nil {
					return nil, &hinted{err: err, hint: "check that the directory of -w exists and is writable"}
				}
				return f, nil
			},
		}, time.Now().UnixNano())
		if err != nil {
			return err
		}
		out, commit = r, func(bool) error { return r.Close() }
	} else {
		// A regular file is written beside the target and renamed into place at the end (an
		// interrupted capture keeps every frame written); a FIFO or device is written in place.
		f, fcommit, err := openOutput(o.write, stdout)
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
			fcommit(false)
			return err
		}
		out, commit = w, func(keep bool) error {
			err := w.Flush()
			if cerr := fcommit(keep); err == nil {
				err = cerr
			}
			return err
		}
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
		if err := out.WritePacket(fr.Info, fr.Data); err != nil {
			if !errors.Is(err, capture.ErrRotationDone) {
				runErr = err
			}
			break
		}
		n++
	}
	if err := commit(true); err != nil && runErr == nil {
		runErr = err
	}
	recv, drop := live.Stats()
	if !o.quiet {
		where := o.write
		if r, ok := out.(*capture.Rotator); ok {
			names := r.Names()
			where = fmt.Sprintf("%d files (%s ... %s)", len(names), names[0], names[len(names)-1])
			if len(names) == 1 {
				where = names[0]
			}
		}
		fmt.Fprintf(stderr, "segscope: %d frames written to %s; kernel: %d received, %d dropped\n", n, where, recv, drop)
	}
	return runErr
}

// packetWriter is a capture.Writer or a capture.Rotator.
type packetWriter interface {
	WritePacket(info capture.Info, data []byte) error
}
