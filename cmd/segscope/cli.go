package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/internal/safefile"
	"github.com/segscope/segscope/render/flowfiles"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/text"
	"github.com/segscope/segscope/report"
)

const version = "0.1.0"

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

// hinted is an error with a hint for the user.
type hinted struct {
	err  error
	hint string
}

func (e *hinted) Error() string { return e.err.Error() }
func (e *hinted) Unwrap() error { return e.err }

var commands = map[string]segscope.Mode{
	"packets": segscope.ModePackets, "conns": segscope.ModeConns, "http": segscope.ModeHTTP,
	"follow": segscope.ModeFollow, "anatomy": segscope.ModeAnatomy, "ladder": segscope.ModeLadder,
	"diagnose": segscope.ModeDiagnose,
}

type options struct {
	files     []string
	iface     string
	count     uint64
	output    string
	format    string
	conn      string
	absolute  bool
	quiet     bool
	hex, raw  bool
	dir       string
	fillGaps  bool
	force     bool
	writeDir  string
	msg       int
	part      string
	maxRows   int
	write     string
	pcap      bool
	snaplen   int
	maxConns  int
	maxBuffer int
	workers   int
	verify    bool
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// No input may crash segscope with a Go stack trace: a panic is a bug, reported
		// as one, with exit status 1.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "segscope: error: internal error: %v\n", r)
			fmt.Fprintf(stderr, "segscope: hint: this is a bug in segscope; please report it with the capture (or its first frames, see editcap -r)\n")
			code = 1
		}
	}()
	err := runErr(args, stdout, stderr)
	if err == nil {
		return 0
	}
	var se *signalError
	if errors.As(err, &se) {
		fmt.Fprintf(stderr, "segscope: %v\n", err)
		return se.code()
	}
	fmt.Fprintf(stderr, "segscope: error: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.hint != "" {
			fmt.Fprintf(stderr, "segscope: hint: %s\n", ue.hint)
		}
		return 2
	}
	if h := hintFor(err); h != "" {
		fmt.Fprintf(stderr, "segscope: hint: %s\n", h)
	}
	return 1
}

func hintFor(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	switch {
	case errors.Is(err, safefile.ErrExists):
		return "add --force to overwrite files that exist, or write to an empty directory"
	case errors.Is(err, safefile.ErrLink):
		return "segscope never writes through a symbolic link in its output directory; remove the link or choose another directory"
	}
	return capture.Hint(err)
}

func runErr(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return &usageError{msg: "no command given", hint: "try `segscope packets FILE`; `segscope help` lists the commands"}
	}
	cmd := args[0]
	switch cmd {
	case "help", "-h", "--help":
		io.WriteString(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintf(stdout, "segscope %s\n", version)
		return nil
	}
	mode, isAnalysis := commands[cmd]
	if !isAnalysis && cmd != "capture" {
		return &usageError{msg: fmt.Sprintf("unknown command %q", cmd), hint: "commands: packets, conns, http, follow, anatomy, ladder, diagnose, capture; `segscope help` for more"}
	}
	var o options
	fs := pflag.NewFlagSet(cmd, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.StringArrayVarP(&o.files, "read", "r", nil, "")
	fs.StringVarP(&o.iface, "interface", "i", "", "")
	fs.Uint64VarP(&o.count, "count", "c", 0, "")
	fs.StringVarP(&o.output, "output", "o", "", "")
	fs.StringVar(&o.format, "format", "text", "")
	fs.StringVar(&o.conn, "conn", "", "")
	fs.BoolVarP(&o.absolute, "absolute", "S", false, "")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "")
	fs.BoolVar(&o.hex, "hex", false, "")
	fs.BoolVar(&o.raw, "raw", false, "")
	fs.StringVar(&o.dir, "dir", "", "")
	fs.BoolVar(&o.fillGaps, "fill-gaps", false, "")
	fs.StringVar(&o.writeDir, "write-dir", "", "")
	fs.BoolVar(&o.force, "force", false, "")
	fs.IntVar(&o.msg, "msg", 0, "")
	fs.StringVar(&o.part, "part", "", "")
	fs.IntVar(&o.maxRows, "max-rows", 0, "")
	fs.StringVarP(&o.write, "write", "w", "", "")
	fs.BoolVar(&o.pcap, "pcap", false, "")
	fs.IntVarP(&o.snaplen, "snaplen", "s", capture.DefaultSnaplen, "")
	fs.IntVar(&o.maxConns, "max-conns", 0, "")
	fs.IntVar(&o.maxBuffer, "max-buffer", 0, "")
	fs.IntVar(&o.workers, "workers", 1, "")
	fs.BoolVar(&o.verify, "verify-coding", false, "")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			io.WriteString(stdout, usage)
			return nil
		}
		return &usageError{msg: err.Error(), hint: "`segscope help` lists the flags"}
	}
	o.files = append(o.files, fs.Args()...)
	// A limit given on the command line must be positive: 0 would read as "no limit" or
	// "the default", and neither is what someone typing it means.
	for _, name := range []string{"max-conns", "max-buffer", "snaplen", "max-rows", "workers", "count"} {
		if f := fs.Lookup(name); f != nil && f.Changed {
			if v, err := strconv.ParseInt(f.Value.String(), 10, 64); err == nil && v <= 0 {
				return &usageError{msg: fmt.Sprintf("--%s %s: must be a positive number", name, f.Value.String()), hint: "leave the flag out for the default; `segscope help` lists the defaults"}
			}
		}
	}
	if cmd == "capture" {
		return runCapture(&o, stdout, stderr)
	}
	return runAnalysis(mode, &o, stdout, stderr)
}

func (o *options) validate(mode segscope.Mode) error {
	if o.iface != "" && len(o.files) > 0 {
		return &usageError{msg: "both -i and capture files given", hint: "read files or capture live, not both"}
	}
	if o.iface == "" && len(o.files) == 0 {
		return &usageError{msg: "no input", hint: "name a capture file (or - for stdin), or -i IFACE for live capture"}
	}
	if o.format != "text" && o.format != "json" {
		return &usageError{msg: fmt.Sprintf("unknown --format %q", o.format), hint: "--format text or --format json"}
	}
	if o.write != "" {
		return &usageError{msg: "-w is for `segscope capture`", hint: "use -o FILE to write this command's output to a file"}
	}
	needConn := mode == segscope.ModeAnatomy || mode == segscope.ModeLadder || (mode == segscope.ModeFollow && o.writeDir == "")
	if needConn && o.conn == "" {
		return &usageError{msg: fmt.Sprintf("%s needs --conn", mode), hint: "find the connection with `segscope conns FILE`, then add --conn N"}
	}
	if mode == segscope.ModeFollow {
		n := 0
		for _, b := range []bool{o.hex, o.raw, o.writeDir != ""} {
			if b {
				n++
			}
		}
		if n > 1 {
			return &usageError{msg: "--hex, --raw and --write-dir exclude each other"}
		}
		if o.raw && o.dir != "c2s" && o.dir != "s2c" {
			return &usageError{msg: "--raw needs --dir c2s or --dir s2c", hint: "raw output is the bytes of one direction"}
		}
		if o.format == "json" {
			return &usageError{msg: "follow has no JSON output", hint: "use --raw, --hex or --write-dir for bytes"}
		}
	}
	if o.workers < 1 || o.workers > segscope.MaxWorkers {
		return &usageError{msg: fmt.Sprintf("--workers %d", o.workers),
			hint: fmt.Sprintf("--workers takes 1 to %d (usually the number of cores)", segscope.MaxWorkers)}
	}
	if o.part != "" && o.part != "req" && o.part != "resp" {
		return &usageError{msg: fmt.Sprintf("unknown --part %q", o.part), hint: "--part req or --part resp"}
	}
	return nil
}

// parseConn accepts a connection id or two endpoints "ip:port-ip:port".
func parseConn(s string) (uint64, *flow.Key, error) {
	if s == "" {
		return 0, nil, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
		return n, nil, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '-' && s[i] != ',' && s[i] != ' ' {
			continue
		}
		a, err1 := netip.ParseAddrPort(strings.TrimSpace(s[:i]))
		b, err2 := netip.ParseAddrPort(strings.TrimSpace(s[i+1:]))
		if err1 == nil && err2 == nil {
			k, _ := flow.Tuple{Src: a, Dst: b}.Key()
			return 0, &k, nil
		}
	}
	return 0, nil, &usageError{msg: fmt.Sprintf("bad --conn %q", s), hint: "--conn takes a connection number from `segscope conns`, or ip:port-ip:port ([v6]:port for IPv6)"}
}

func runAnalysis(mode segscope.Mode, o *options, stdout, stderr io.Writer) (err error) {
	if err := o.validate(mode); err != nil {
		return err
	}
	connID, connKey, err := parseConn(o.conn)
	if err != nil {
		return err
	}
	if o.writeDir != "" {
		if st, err := os.Stat(o.writeDir); err != nil || !st.IsDir() {
			return &hinted{err: fmt.Errorf("--write-dir %s: not a directory", o.writeDir), hint: "create it first: mkdir -p " + o.writeDir}
		}
	}

	src, live, err := openSource(o)
	if err != nil {
		return err
	}
	defer src.Close()

	out, commit, err := openOutput(o.output, stdout)
	if err != nil {
		return err
	}

	cfg := segscope.Config{Mode: mode, Conn: connID, ConnKey: connKey, Count: o.count, Absolute: o.absolute,
		MaxRows: o.maxRows, Msg: o.msg, MsgDir: o.part, Workers: o.workers}
	// Live capture, or a capture streamed into stdin (tcpdump -U -w - | segscope ... -):
	// records are written as soon as they are complete, and one worker handles each
	// packet as it arrives (workers take segments in batches, which a stream may take
	// long to fill).
	streaming := live != nil || isStream(o.files)
	if streaming {
		cfg.Workers = 1
	}
	cfg.HTTP.VerifyCoding = o.verify
	cfg.Tracker.MaxConns = o.maxConns
	cfg.Tracker.MaxBufferedPerConn = o.maxBuffer
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var signalled atomic.Value // the os.Signal that stopped the run
	defer onInterrupt(func(sig os.Signal) {
		signalled.Store(sig)
		stop()
		if live != nil {
			// Stop, not Close: the frames the kernel already queued are still read.
			live.Stop()
		} else if in, ok := src.(interface{ Interrupt() }); ok {
			in.Interrupt() // a read waiting on an idle pipe returns
		}
	})()

	var sink report.Sink
	var follow *text.Follow
	var files *flowfiles.Writer
	// Live, every record is written as soon as it is complete, as tcpdump does on a
	// terminal; from files, output is written in large blocks.
	switch {
	case o.format == "json":
		js := jsonl.New(out)
		js.FlushEach = streaming
		sink = js
	default:
		ts := text.New(out)
		ts.MaxRows = o.maxRows
		ts.FlushEach = streaming
		sink = ts
	}
	if mode == segscope.ModeFollow {
		switch {
		case o.writeDir != "":
			files, err = flowfiles.Open(o.writeDir, o.force)
			if err != nil {
				commit(false)
				return &hinted{err: fmt.Errorf("--write-dir: %w", err), hint: "give an existing directory"}
			}
			cfg.Stream = files
		default:
			fm := text.FollowText
			if o.hex {
				fm = text.FollowHex
			} else if o.raw {
				fm = text.FollowRaw
			}
			follow = text.NewFollow(out, fm)
			follow.Dir, follow.FillGaps = o.dir, o.fillGaps
			follow.FlushEach = streaming
			cfg.Stream = follow
		}
	}

	progress := isTerminal(stderr) && !o.quiet && live == nil
	if progress {
		cfg.Progress = func(frames uint64) {
			if frames%(1<<18) == 0 {
				fmt.Fprintf(stderr, "\rsegscope: %d frames read...", frames)
			}
		}
	}
	sum, runErr := segscope.Run(ctx, src, sink, cfg)
	if progress && sum != nil && sum.Frames >= 1<<18 {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if follow != nil {
		if err := follow.Flush(); err != nil && runErr == nil {
			runErr = err
		}
	}
	if files != nil {
		if err := files.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	var sig os.Signal
	if v := signalled.Load(); v != nil {
		sig = v.(os.Signal)
	}
	if errors.Is(runErr, context.Canceled) || (sig != nil && errors.Is(runErr, capture.ErrInterrupted)) { // stopped by a signal
		runErr = nil
	}
	if errors.Is(runErr, text.ErrGapTooLarge) {
		runErr = &hinted{err: runErr, hint: "--fill-gaps writes at most 1 MiB of zeros more than the bytes delivered; use --write-dir (which cuts such holes and lists them) or text mode"}
	}
	if errors.Is(runErr, text.ErrGapInRaw) {
		runErr = &hinted{err: runErr, hint: "add --fill-gaps to write zero bytes for missing data, or use text mode, which marks the gap"}
	}
	// The output is kept when the input was cut short: it is correct for every frame read.
	keep := runErr == nil || sum.Frames > 0
	if cerr := commit(keep); cerr != nil && runErr == nil {
		runErr = cerr
	}
	if !o.quiet {
		printSummary(stderr, sum, live)
	}
	// Ctrl-C is how a live capture ends (exit 0, as tcpdump); a file or a stream cut off by
	// a signal says so and exits 128 + the signal's number.
	if sig != nil && live == nil && runErr == nil {
		return interruptedBy(sig, sum)
	}
	if o.conn != "" && sum != nil && sum.Selected == 0 && runErr == nil {
		return &hinted{err: fmt.Errorf("no connection matches --conn %s: the capture has %d", o.conn, sum.Conns), hint: "list them with `segscope conns FILE`"}
	}
	return runErr
}

func openSource(o *options) (capture.Source, *capture.Live, error) {
	if o.iface != "" {
		l, err := capture.OpenLive(o.iface, capture.LiveConfig{Snaplen: o.snaplen, Promisc: true})
		if err != nil {
			return nil, nil, err
		}
		return l, l, nil
	}
	src, err := capture.OpenFiles(o.files)
	return src, nil, err
}

// isStream reports whether the input is stdin and not a file (a pipe, a socket, a
// terminal), so packets may arrive over time.
func isStream(files []string) bool {
	if len(files) != 1 || files[0] != "-" {
		return false
	}
	st, err := os.Stdin.Stat()
	return err == nil && !st.Mode().IsRegular()
}

// openOutput returns the writer for results and a function that finishes it: with -o a
// regular file is written to a temporary file renamed into place by commit(true) and
// removed by commit(false), so a failed run leaves no partial file; a device, FIFO or
// socket is written in place (safefile's rules).
func openOutput(path string, stdout io.Writer) (io.Writer, func(keep bool) error, error) {
	if path == "" || path == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	out, err := safefile.CreateOutput(path)
	if err != nil {
		return nil, nil, &hinted{err: err, hint: "check that the directory of -o exists and is writable"}
	}
	return out, out.Commit, nil
}

func printSummary(w io.Writer, s *report.Summary, live *capture.Live) {
	if s == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "segscope: %d frames, %d TCP segments", s.Frames, s.TCPSegments)
	if len(s.Other) > 0 {
		keys := make([]string, 0, len(s.Other))
		var total uint64
		for k, v := range s.Other {
			keys = append(keys, k)
			total += v
		}
		slices.Sort(keys)
		fmt.Fprintf(&b, ", %d other (", total)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", k, s.Other[k])
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ", %d truncated, %d malformed, %d bad IP checksums", s.Truncated, s.Malformed, s.BadChecksums)
	if s.Fragments > 0 {
		fmt.Fprintf(&b, ", %d IP fragments", s.Fragments)
	}
	fmt.Fprintf(&b, "; %d connections", s.Conns)
	if s.Exchanges > 0 {
		fmt.Fprintf(&b, ", %d HTTP exchanges", s.Exchanges)
	}
	if s.Evicted > 0 {
		fmt.Fprintf(&b, ", %d evicted at the connection limit", s.Evicted)
	}
	if live != nil {
		recv, drop := live.Stats()
		fmt.Fprintf(&b, "; kernel: %d received, %d dropped", recv, drop)
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// isTerminal reports whether w is a character device (a terminal), for the progress line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// onInterrupt calls fn once on the first SIGINT or SIGTERM, so a run can end cleanly with
// everything read so far reported; it returns the function that stops listening.
func onInterrupt(fn func(os.Signal)) func() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if s, ok := <-sigs; ok {
			fn(s)
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(sigs)
	}
}

// signalError ends a run cut short by a signal: exit status 128 + its number (130 for
// SIGINT, 143 for SIGTERM), after the output for every frame read was written.
type signalError struct {
	sig    os.Signal
	frames uint64
}

func (e *signalError) Error() string {
	return fmt.Sprintf("interrupted by %s after %d frames; the output covers every frame read", sigName(e.sig), e.frames)
}

func (e *signalError) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

func sigName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

func interruptedBy(sig os.Signal, sum *report.Summary) error {
	e := &signalError{sig: sig}
	if sum != nil {
		e.frames = sum.Frames
	}
	return e
}
