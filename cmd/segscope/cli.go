package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/internal/safefile"
	"github.com/segscope/segscope/render/export"
	"github.com/segscope/segscope/render/flowfiles"
	"github.com/segscope/segscope/render/har"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/parquet"
	"github.com/segscope/segscope/render/text"
	"github.com/segscope/segscope/render/zeek"
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

type options struct {
	cmd                       string // the command's name
	files                     []string
	args                      []string // the positional arguments: files, then a filter expression
	iface                     string
	count                     uint64
	output                    string
	format                    string
	conn                      string
	absolute                  bool
	quiet                     bool
	hex, raw                  bool
	dir                       string
	fillGaps                  bool
	force                     bool
	writeDir                  string
	msg                       int
	part                      string
	maxRows                   int
	write                     string
	pcap                      bool
	pcapng                    bool   // -w writes pcapng
	expr                      string // filter expression (-f, or after the files)
	dump                      bool   // -d: print the compiled filter and exit
	snaplen                   int
	maxConns                  int
	maxBuffer                 int
	workers                   int
	verify                    bool
	headers                   bool   // http: header lines under each row
	harBody                   int64  // har: body text up to this many bytes (0: none)
	bodyMax                   int64  // export: bodies kept up to this many bytes
	exportDir                 string // export: the directory
	cidSeed                   uint16
	merge                     bool
	rotMB                     float64
	rotFiles                  int
	rotSecs                   int
	ringBlockSize, ringBlocks int
}

// Bodies kept at once by har and export, all connections together: past it, bodies are
// cut (har: no text; export: skipped) and the run says how many. har also sets a soft
// memory limit (see runAnalysis).
const (
	harBudget    = 16 << 20
	exportBudget = 256 << 20
	harMemLimit  = 40 << 20
)

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
	return captureHint(err)
}

func runErr(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return &usageError{msg: "no command given", hint: "try `segscope packets FILE`; `segscope help` lists the commands"}
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			cmd, ok := lookupCommand(args[1])
			if !ok {
				return unknownCommand(args[1])
			}
			writeCommandHelp(stdout, cmd)
			return nil
		}
		io.WriteString(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintf(stdout, "segscope %s\n", version)
		return nil
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		return unknownCommand(name)
	}
	o := options{cmd: cmd.name, format: "text"} // format: har and export have no --format
	help, err := parseFlags(cmd, &o, args[1:])
	if err != nil {
		return err
	}
	if help {
		writeCommandHelp(stdout, cmd)
		return nil
	}
	if cmd.bit == cmdExport {
		// export DIR [FILE...]: DIR first, before the files and filter are told apart.
		if len(o.args) == 0 {
			return &usageError{msg: "export needs a directory", hint: "segscope export DIR FILE... (DIR is created if it does not exist)"}
		}
		o.exportDir, o.args = o.args[0], o.args[1:]
		if o.exportDir == "-" {
			return &usageError{msg: "export writes files into a directory, not to stdout", hint: "segscope export DIR FILE..."}
		}
	}
	if err := o.bodyFlags(); err != nil {
		return err
	}
	files, expr := splitArgs(&o, o.args)
	o.files = append(o.files, files...)
	if expr != "" {
		if o.expr != "" {
			return &usageError{msg: "a filter given both with -f and after the files", hint: "give the expression once: `segscope http x.pcap tcp port 80` or `-f 'tcp port 80'`"}
		}
		o.expr = expr
	}
	if cmd.bit == cmdCapture {
		return runCapture(&o, stdout, stderr)
	}
	return runAnalysis(cmd.mode, &o, stdout, stderr)
}

func unknownCommand(name string) error {
	names := make([]string, len(commandTable))
	for i, c := range commandTable {
		names[i] = c.name
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", name), hint: "commands: " + strings.Join(names, ", ") + "; `segscope help` for more"}
}

func (o *options) validate(mode segscope.Mode) error {
	if o.iface != "" && len(o.files) > 0 {
		return &usageError{msg: "both -i and capture files given", hint: "read files or capture live, not both"}
	}
	if o.iface == "" && len(o.files) == 0 {
		return &usageError{msg: "no input", hint: "name a capture file (or - for stdin), or -i IFACE for live capture"}
	}
	switch o.format {
	case "text", "json":
	case "zeek":
		if mode != segscope.ModeConns && mode != segscope.ModeHTTP {
			return &usageError{msg: fmt.Sprintf("%s has no Zeek log", mode), hint: "--format zeek is for conns (conn.log) and http (http.log)"}
		}
	case "parquet":
		if mode != segscope.ModePackets && mode != segscope.ModeConns && mode != segscope.ModeHTTP {
			return &usageError{msg: fmt.Sprintf("%s has no Parquet output", mode), hint: "--format parquet is for packets, conns and http"}
		}
		if o.output == "" || o.output == "-" && isTerminal(os.Stdout) {
			return &usageError{msg: "--format parquet needs -o FILE", hint: "Parquet is a binary file: add -o out.parquet"}
		}
	default:
		return &usageError{msg: fmt.Sprintf("unknown --format %q", o.format), hint: "--format text, json, zeek or parquet"}
	}
	if mode == segscope.ModeHTTP && o.msg != 0 && o.write == "" {
		return &usageError{msg: "http takes --msg only with -w", hint: "--msg K with -w FILE writes the frames of exchange K; `segscope anatomy --msg K` explains one exchange"}
	}
	if o.write != "" && o.msg != 0 {
		if mode != segscope.ModeHTTP && mode != segscope.ModeAnatomy {
			return &usageError{msg: fmt.Sprintf("-w with --msg is for http and anatomy, not %s", mode), hint: "--msg K picks the K-th exchange of a connection; drop --msg to write every selected frame"}
		}
		if o.iface != "" || isStream(o.files) || slices.Contains(o.files, "-") {
			return &usageError{msg: "-w with --msg needs capture files", hint: "the frames of an exchange are known at its end: segscope reads the files a second time to write them"}
		}
	}
	if o.write != "" && o.output == "" && o.write == "-" {
		return &usageError{msg: "-w - and the records both go to stdout", hint: "add -o FILE (or -o /dev/null) for the records, or -q"}
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

// bodyFlags checks the flags of har and http --headers.
func (o *options) bodyFlags() error {
	if o.headers && o.format == "json" {
		return &usageError{msg: "--headers is for text output", hint: "JSON records always carry req_headers and resp_headers"}
	}
	if o.harBody < 0 {
		return &usageError{msg: fmt.Sprintf("--har-body-max %d: must be 0 or more", o.harBody), hint: "0 writes no body text; the default is 1048576 (1 MiB)"}
	}
	return nil
}

func runAnalysis(mode segscope.Mode, o *options, stdout, stderr io.Writer) (err error) {
	if err := o.validate(mode); err != nil {
		return err
	}
	sel, err := parseConnSelect(o.conn)
	if err != nil {
		return err
	}
	flt, err := compileFilter(o.expr)
	if err != nil {
		return err
	}
	if o.dump {
		return dumpFilter(o, flt, o.expr, stdout)
	}
	if flt != nil {
		flt.SetSnaplen(o.snaplen)
	}
	if o.writeDir != "" {
		if st, err := os.Stat(o.writeDir); err != nil || !st.IsDir() {
			return &hinted{err: fmt.Errorf("--write-dir %s: not a directory", o.writeDir), hint: "create it first: mkdir -p " + o.writeDir}
		}
	}

	src, live, err := openSource(o, flt, stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	if live != nil && !o.quiet {
		defer dropReporter(live, stderr, 10*time.Second)()
	}
	var fw *frameWriter
	if o.write != "" {
		if fw, err = newFrameWriter(o, stdout); err != nil {
			return err
		}
	}

	out, commit, err := openOutput(o.output, stdout)
	if err != nil {
		return err
	}

	cfg := segscope.Config{Mode: mode, Select: sel, Filter: flt, Count: o.count, Absolute: o.absolute,
		MaxRows: o.maxRows, Msg: o.msg, MsgDir: o.part, Workers: o.workers, CommunityIDSeed: o.cidSeed}
	msgFrames := map[uint64][]uint64{}
	switch {
	case fw != nil && o.msg != 0:
		cfg.Workers = 1
		cfg.MsgFrames = func(conn uint64, frames []uint64) { msgFrames[conn] = frames }
	case fw != nil:
		cfg.Workers = 1 // frames are written as they are read, in order
		cfg.Keep = fw.Write
	}
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
	case o.format == "parquet":
		kind := parquet.Segments
		switch mode {
		case segscope.ModeConns:
			kind = parquet.Conns
		case segscope.ModeHTTP:
			kind = parquet.HTTP
		}
		sink = parquet.New(out, kind)
	case o.format == "zeek":
		log := zeek.ConnLog
		if mode == segscope.ModeHTTP {
			log = zeek.HTTPLog
		}
		zs := zeek.New(out, log)
		zs.FlushEach = streaming
		sink = zs
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
	var budget *http1.BodyBudget
	var exp *export.Sink
	switch o.cmd {
	case "har":
		// Bodies pass through as garbage (decoded, base64): a soft memory limit makes the
		// collector keep the peak near the live bytes (held entries and open bodies, about
		// 20 MiB) instead of twice them. GOMEMLIMIT, when set, wins.
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(harMemLimit)
		}
		bodyMax := o.harBody
		if bodyMax == 0 {
			bodyMax = -1 // no body text, and no bodies kept for it
		} else {
			budget = &http1.BodyBudget{Left: harBudget}
			cfg.HTTP.KeepBodies, cfg.HTTP.MaxBody, cfg.HTTP.Budget = true, o.harBody, budget
		}
		sink = har.New(out, har.Options{Version: version, BodyMax: bodyMax})
	case "export":
		budget = &http1.BodyBudget{Left: exportBudget}
		cfg.HTTP.KeepBodies, cfg.HTTP.MaxBody, cfg.HTTP.Budget = true, o.bodyMax, budget
		exp, err = export.Open(o.exportDir, export.Options{FillGaps: o.fillGaps, Force: o.force})
		if err != nil {
			commit(false)
			if errors.Is(err, safefile.ErrExists) || errors.Is(err, safefile.ErrLink) {
				return err
			}
			return &hinted{err: err, hint: "give a directory segscope may create files in (its parent must exist)"}
		}
		sink = exp
	case "http":
		if ts, ok := sink.(*text.Sink); ok {
			ts.Headers = o.headers
		}
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
	if fw != nil {
		link := capture.LinkType(1)
		if r, ok := src.(interface{ LinkTypes() []capture.LinkType }); ok && len(r.LinkTypes()) > 0 {
			link = r.LinkTypes()[0]
		} else if live != nil {
			link = live.LinkType()
		}
		if cfg.MsgFrames != nil && runErr == nil {
			link, runErr = writeFrames(o, fw, sortedUnion(msgFrames))
		}
		if err := fw.Close(runErr == nil || sum.Frames > 0, link); err != nil && runErr == nil {
			runErr = err
		}
		if !o.quiet && runErr == nil && o.write != "-" {
			fmt.Fprintf(stderr, "segscope: %d frames written to %s\n", fw.n, o.write)
		}
	}
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
	if exp != nil {
		if err := exp.Close(); err != nil && runErr == nil {
			runErr = err
		}
		if !o.quiet {
			st := exp.Stats()
			fmt.Fprintf(stderr, "segscope: export: %d files (%d bytes) in %s, %d bodies skipped; %s lists them all\n",
				st.Written, st.Bytes, o.exportDir, st.Skipped, export.IndexName)
		}
	}
	if budget != nil && budget.Cut > 0 {
		held := exportBudget
		if o.cmd == "har" {
			held = harBudget
		}
		fmt.Fprintf(stderr, "segscope: note: %d bodies cut: more than %d MiB of bodies were held at once (open exchanges of all connections)\n", budget.Cut, held>>20)
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

// openSource opens the live interface, or the input files: directories and glob
// patterns stand for the captures in them, read one after another, or merged into time
// order with --merge.
func openSource(o *options, flt *filter.Filter, stderr io.Writer) (capture.Source, liveSource, error) {
	if o.iface != "" {
		l, err := openLive(o, liveFilter(flt, o.snaplen))
		if err != nil {
			return nil, nil, err
		}
		return l, l, nil
	}
	in, err := capture.ExpandInputs(o.files)
	if err != nil {
		return nil, nil, &hinted{err: err, hint: "name capture files, a directory of them, or a quoted glob such as 'dir/*.pcap'"}
	}
	if len(in.Skipped) > 0 && !o.quiet {
		fmt.Fprintf(stderr, "segscope: %d files that are not captures skipped (%s", len(in.Skipped), in.Skipped[0])
		if len(in.Skipped) > 1 {
			fmt.Fprint(stderr, ", ...")
		}
		fmt.Fprintln(stderr, ")")
	}
	o.files = in.Paths
	if o.merge {
		m, err := capture.OpenMerged(in.Paths)
		if errors.Is(err, capture.ErrMergeStdin) {
			return nil, nil, &hinted{err: err, hint: "save the stream to a file first, or drop --merge to read it in order"}
		}
		if err != nil {
			return nil, nil, err
		}
		return m, nil, nil
	}
	src, err := capture.OpenFiles(in.Paths)
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

func printSummary(w io.Writer, s *report.Summary, live liveSource) {
	if s == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "segscope: %d frames, %d TCP segments", s.Frames, s.TCPSegments)
	if s.FilteredOut > 0 {
		fmt.Fprintf(&b, " (%d frames did not match the filter)", s.FilteredOut)
	}
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
