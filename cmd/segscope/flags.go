package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
)

// cmdSet is a set of commands, for the commands a flag belongs to.
type cmdSet uint32

// One bit per command. To add a command: a bit here, a row in commandTable, and its bit
// in the cmds of every flag it takes.
const (
	cmdPackets cmdSet = 1 << iota
	cmdConns
	cmdHTTP
	cmdFollow
	cmdAnatomy
	cmdLadder
	cmdDiagnose
	cmdCapture
	cmdHAR
	cmdExport

	// analysisCmds are the commands that read captures and write records.
	analysisCmds = cmdPackets | cmdConns | cmdHTTP | cmdFollow | cmdAnatomy | cmdLadder | cmdDiagnose | cmdHAR | cmdExport
	// recordCmds write records to -o in a --format: all but har (HAR) and export (files).
	recordCmds = analysisCmds &^ (cmdHAR | cmdExport)
)

// command is one row of the command table.
type command struct {
	name  string
	bit   cmdSet
	mode  segscope.Mode // analysis commands
	args  string        // what follows the flags in the usage line
	about string        // one line for `segscope help COMMAND`
}

var commandTable = []command{
	{"packets", cmdPackets, segscope.ModePackets, "[FILE...]", "one line per TCP segment, tcpdump style, with Wireshark's frame numbers"},
	{"conns", cmdConns, segscope.ModeConns, "[FILE...]", "one row per TCP connection"},
	{"http", cmdHTTP, segscope.ModeHTTP, "[FILE...]", "one row per HTTP exchange (request and response)"},
	{"follow", cmdFollow, segscope.ModeFollow, "--conn N [FILE...]", "the reassembled bytes of a connection"},
	{"anatomy", cmdAnatomy, segscope.ModeAnatomy, "--conn N [FILE...]", "how each HTTP message of a connection was cut into segments"},
	{"ladder", cmdLadder, segscope.ModeLadder, "--conn N [FILE...]", "a connection as a sequence diagram"},
	{"diagnose", cmdDiagnose, segscope.ModeDiagnose, "[FILE...]", "connection-management findings in plain words"},
	{"har", cmdHAR, segscope.ModeHTTP, "[FILE...]", "an HTTP Archive (HAR 1.2) of every exchange, for browsers' tools and HAR viewers"},
	{"export", cmdExport, segscope.ModeHTTP, "DIR [FILE...]", "every HTTP body as a file in DIR, named like tshark's export objects, with an index.jsonl manifest"},
	{"capture", cmdCapture, 0, "-i IFACE -w FILE", "write live packets to a pcapng (or pcap) file"},
}

// lookupCommand returns the row of the command named name.
func lookupCommand(name string) (*command, bool) {
	for i := range commandTable {
		if commandTable[i].name == name {
			return &commandTable[i], true
		}
	}
	return nil, false
}

// flagDef is one row of the flag table: a flag, its help, the commands that accept it,
// and the options field it sets.
type flagDef struct {
	long, short string
	arg         string // the value's name in the help ("" for a boolean)
	help        string
	cmds        cmdSet
	bind        func(fs *pflag.FlagSet, o *options, d *flagDef)
}

// flagTable lists every flag of every command. Adding a flag to a command is one row
// here (and the options field it sets); giving an existing flag to one more command is
// adding that command's bit to its cmds. The flag set of a command, its --help text and
// the "--hex is a follow flag" hint are all made from this table.
var flagTable = []flagDef{
	{"read", "r", "FILE", "read FILE (may repeat; files are read as one capture, in order)", analysisCmds, strs(func(o *options) *[]string { return &o.files })},
	{"interface", "i", "IFACE", "capture live from IFACE (root or CAP_NET_RAW)", analysisCmds | cmdCapture, str(func(o *options) *string { return &o.iface }, "")},
	{"count", "c", "N", "stop after N frames", analysisCmds | cmdCapture, u64(func(o *options) *uint64 { return &o.count })},
	{"output", "o", "FILE", "write output to FILE instead of stdout (no partial file on failure)", analysisCmds &^ cmdExport, str(func(o *options) *string { return &o.output }, "")},
	{"format", "", "FORMAT", "text, json (JSON Lines), zeek (conns: conn.log, http: http.log) or parquet (packets, conns, http; needs -o)", recordCmds, str(func(o *options) *string { return &o.format }, "text")},
	{"merge", "", "", "merge the input files into time order frame by frame, as mergecap (without it they are read one after another; a directory or a quoted glob stands for the captures in it)", analysisCmds, boolean(func(o *options) *bool { return &o.merge })},
	{"community-id-seed", "", "N", "seed of the records' Community IDs (0 to 65535)", cmdConns | cmdHTTP | cmdHAR, u16(func(o *options) *uint16 { return &o.cidSeed })},
	{"conn", "", "LIST", "only these connections: numbers and ranges (3,5-9), a 4-tuple (ip:port-ip:port, either order), a host (10.0.0.1), a port (:8080) or an endpoint (10.0.0.1:8080), comma-separated", analysisCmds, str(func(o *options) *string { return &o.conn }, "")},
	{"absolute", "S", "", "raw sequence numbers instead of relative ones", cmdPackets, boolean(func(o *options) *bool { return &o.absolute })},
	{"verify-coding", "", "", "inflate gzip bodies instead of trusting the gzip trailer's length", cmdHTTP, boolean(func(o *options) *bool { return &o.verify })},
	{"headers", "", "", "each exchange's start lines and header fields under its row, like curl -v", cmdHTTP, boolean(func(o *options) *bool { return &o.headers })},
	{"har-body-max", "", "BYTES", "body text for bodies up to BYTES (decoded); 0: no body text", cmdHAR, i64(func(o *options) *int64 { return &o.harBody }, 1<<20)},
	{"body-max", "", "BYTES", "bodies kept up to BYTES each (longer ones are listed, not written)", cmdExport, i64(func(o *options) *int64 { return &o.bodyMax }, 64<<20)},
	{"hex", "", "", "hex dump of the bytes", cmdFollow, boolean(func(o *options) *bool { return &o.hex })},
	{"raw", "", "", "the raw bytes of one direction (with --dir)", cmdFollow, boolean(func(o *options) *bool { return &o.raw })},
	{"dir", "", "c2s|s2c", "only one direction", cmdFollow, str(func(o *options) *string { return &o.dir }, "")},
	{"fill-gaps", "", "", "write zero bytes for missing data (follow --raw; export: bodies with gaps)", cmdFollow | cmdExport, boolean(func(o *options) *bool { return &o.fillGaps })},
	{"write-dir", "", "DIR", "write each connection's streams to files in DIR, tcpflow style (all connections)", cmdFollow, str(func(o *options) *string { return &o.writeDir }, "")},
	{"force", "", "", "overwrite files that exist (-w, --write-dir, export's DIR; never through a symbolic link)", analysisCmds | cmdCapture, boolean(func(o *options) *bool { return &o.force })},
	{"msg", "", "K", "only exchange K (http: with -w, write the frames of exchange K)", cmdAnatomy | cmdHTTP, integer(func(o *options) *int { return &o.msg }, 0)},
	{"part", "", "req|resp", "only the request or only the response", cmdAnatomy, str(func(o *options) *string { return &o.part }, "")},
	{"max-rows", "", "N", "collapse long runs of data segments beyond N rows", cmdLadder, integer(func(o *options) *int { return &o.maxRows }, 0)},
	{"write", "w", "FILE", "write the selected frames to FILE (capture: the frames captured); pcap, pcapng with --pcapng or a .pcapng name; - for stdout", analysisCmds | cmdCapture, str(func(o *options) *string { return &o.write }, "")},
	{"pcap", "", "", "write pcap instead of pcapng", cmdCapture, boolean(func(o *options) *bool { return &o.pcap })},
	{"file-size", "C", "MB", "start a new file every MB million bytes (FILE, FILE1, ...), as tcpdump -C", cmdCapture, float(func(o *options) *float64 { return &o.rotMB })},
	{"file-count", "W", "N", "with -C: a ring of N files (FILE0 ...); with -G: stop after N files", cmdCapture, integer(func(o *options) *int { return &o.rotFiles }, 0)},
	{"rotate-seconds", "G", "SECONDS", "start a new file every SECONDS of packet time (strftime %Y%m%d%H%M%S in FILE), as tcpdump -G", cmdCapture, integer(func(o *options) *int { return &o.rotSecs }, 0)},
	{"pcapng", "", "", "-w writes pcapng instead of pcap", analysisCmds, boolean(func(o *options) *bool { return &o.pcapng })},
	{"filter", "f", "EXPR", "a tcpdump filter expression (pcap-filter(7)); may also follow the files", analysisCmds | cmdCapture, str(func(o *options) *string { return &o.expr }, "")},
	{"dump-filter", "d", "", "print the filter's compiled BPF program, as tcpdump -d, and exit", analysisCmds | cmdCapture, boolean(func(o *options) *bool { return &o.dump })},
	{"snaplen", "s", "N", "bytes kept of each live frame", analysisCmds | cmdCapture, integer(func(o *options) *int { return &o.snaplen }, capture.DefaultSnaplen)},
	{"ring-blocks", "", "N", "blocks of the live capture's TPACKET_V3 ring (0: a plain packet socket)", analysisCmds | cmdCapture, integer(func(o *options) *int { return &o.ringBlocks }, capture.DefaultRingBlocks)},
	{"ring-block-size", "", "BYTES", "bytes per ring block (a multiple of the page size)", analysisCmds | cmdCapture, integer(func(o *options) *int { return &o.ringBlockSize }, capture.DefaultRingBlockSize)},
	{"max-conns", "", "N", "connections tracked at once (the oldest idle one is evicted beyond)", analysisCmds, integer(func(o *options) *int { return &o.maxConns }, 0)},
	{"max-buffer", "", "BYTES", "out-of-order bytes buffered per direction", analysisCmds, integer(func(o *options) *int { return &o.maxBuffer }, 0)},
	{"workers", "", "N", "cores to use (packets, conns and http split the connections; the others read on a second core)", analysisCmds, integer(func(o *options) *int { return &o.workers }, 1)},
	{"quiet", "q", "", "no summary on stderr", analysisCmds | cmdCapture, boolean(func(o *options) *bool { return &o.quiet })},
}

// Binders for the flag table's rows, one per value type.

func str(field func(*options) *string, def string) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.StringVarP(field(o), d.long, d.short, def, d.help) }
}

func strs(field func(*options) *[]string) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) {
		fs.StringArrayVarP(field(o), d.long, d.short, nil, d.help)
	}
}

func boolean(field func(*options) *bool) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.BoolVarP(field(o), d.long, d.short, false, d.help) }
}

func integer(field func(*options) *int, def int) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.IntVarP(field(o), d.long, d.short, def, d.help) }
}

func u16(field func(*options) *uint16) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.Uint16VarP(field(o), d.long, d.short, 0, d.help) }
}

func float(field func(*options) *float64) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.Float64VarP(field(o), d.long, d.short, 0, d.help) }
}

func i64(field func(*options) *int64, def int64) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.Int64VarP(field(o), d.long, d.short, def, d.help) }
}

func u64(field func(*options) *uint64) func(*pflag.FlagSet, *options, *flagDef) {
	return func(fs *pflag.FlagSet, o *options, d *flagDef) { fs.Uint64VarP(field(o), d.long, d.short, 0, d.help) }
}

// flagSet returns the flag set of cmd, bound to o: only the flags of cmd.
func flagSet(cmd *command, o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	for i := range flagTable {
		if d := &flagTable[i]; d.cmds&cmd.bit != 0 {
			d.bind(fs, o, d)
		}
	}
	return fs
}

// parseFlags parses args with cmd's flag set into o. A flag of another command is a
// usage error that names the commands it belongs to.
func parseFlags(cmd *command, o *options, args []string) (help bool, err error) {
	fs := flagSet(cmd, o)
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return true, nil
		}
		return false, flagError(cmd, err)
	}
	o.args = fs.Args() // files, then a filter expression: split by splitArgs
	// A limit given on the command line must be positive: 0 would read as "no limit" or
	// "the default", and neither is what someone typing it means.
	for _, name := range []string{"max-conns", "max-buffer", "snaplen", "max-rows", "workers", "count", "body-max"} {
		if f := fs.Lookup(name); f != nil && f.Changed {
			if v, err := strconv.ParseInt(f.Value.String(), 10, 64); err == nil && v <= 0 {
				return false, &usageError{msg: fmt.Sprintf("--%s %s: must be a positive number", name, f.Value.String()), hint: "leave the flag out for the default; `segscope help " + cmd.name + "` lists the defaults"}
			}
		}
	}
	return false, nil
}

// flagError turns pflag's error into a usage error with a hint: for a flag that another
// command has, which commands those are.
func flagError(cmd *command, err error) error {
	msg := err.Error()
	var d *flagDef
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name := strings.TrimPrefix(msg, "unknown flag: --")
		d = findFlag(func(d *flagDef) bool { return d.long == name })
	case strings.HasPrefix(msg, "unknown shorthand flag: '"):
		if r := strings.TrimPrefix(msg, "unknown shorthand flag: '"); len(r) > 0 {
			d = findFlag(func(d *flagDef) bool { return d.short != "" && d.short[0] == r[0] })
		}
	}
	if d == nil {
		return &usageError{msg: msg, hint: fmt.Sprintf("`segscope help %s` lists its flags", cmd.name)}
	}
	name := "--" + d.long
	if d.short != "" {
		name = "-" + d.short + "/--" + d.long
	}
	owners := commandNames(d.cmds) + " flag"
	if d.cmds&analysisCmds == analysisCmds {
		owners = "flag of the commands that read captures"
	}
	article := "a"
	if strings.ContainsRune("aeiou", rune(owners[0])) || strings.HasPrefix(owners, "http") {
		article = "an"
	}
	return &usageError{msg: fmt.Sprintf("%s does not take %s", cmd.name, name),
		hint: fmt.Sprintf("--%s is %s %s; `segscope help %s` lists the flags of %s", d.long, article, owners, cmd.name, cmd.name)}
}

func findFlag(match func(*flagDef) bool) *flagDef {
	for i := range flagTable {
		if match(&flagTable[i]) {
			return &flagTable[i]
		}
	}
	return nil
}

// commandNames names the commands of s: "follow", "packets or capture".
func commandNames(s cmdSet) string {
	var names []string
	for _, c := range commandTable {
		if s&c.bit != 0 {
			names = append(names, c.name)
		}
	}
	switch len(names) {
	case 0:
		return "?"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// writeCommandHelp writes the usage of one command: its line, what it does, its flags.
func writeCommandHelp(w io.Writer, cmd *command) {
	var o options
	fs := flagSet(cmd, &o)
	fmt.Fprintf(w, "Usage: segscope %s [flags] %s\n\n%s.\n\nFlags:\n", cmd.name, cmd.args, upperFirst(cmd.about))
	fs.VisitAll(func(f *pflag.Flag) {
		d := findFlag(func(d *flagDef) bool { return d.long == f.Name })
		left := "    "
		if d.short != "" {
			left += "-" + d.short + ", "
		} else {
			left += "    "
		}
		left += "--" + d.long
		if d.arg != "" {
			left += " " + d.arg
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "%-28s %s%s\n", left, d.help, def)
	})
	if cmd.bit&analysisCmds != 0 {
		fmt.Fprintf(w, "\nFILE is a pcap or pcapng file (gzip ok), - for stdin.\n")
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
