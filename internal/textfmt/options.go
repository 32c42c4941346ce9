package textfmt

import (
	"strconv"

	"github.com/segscope/segscope/report"
)

// AppendTCPOptions appends a segment's TCP options as tcpdump prints them, with the
// separator before them: ", options [mss 1460,sackOK,TS val 1 ecr 0,wscale 7]"; nothing
// when the segment has none.
func AppendTCPOptions(b []byte, o *report.Options) []byte {
	n := len(b)
	sep := func() {
		if len(b) == n {
			b = append(b, ", options ["...)
		} else {
			b = append(b, ',')
		}
	}
	if o.MSS != 0 {
		sep()
		b = append(b, "mss "...)
		b = AppendUint(b, uint64(o.MSS))
	}
	if o.SACKPerm {
		sep()
		b = append(b, "sackOK"...)
	}
	if o.HasTS {
		sep()
		b = append(b, "TS val "...)
		b = AppendUint(b, uint64(o.TSVal))
		b = append(b, " ecr "...)
		b = AppendUint(b, uint64(o.TSEcr))
	}
	if o.HasWScale {
		sep()
		b = append(b, "wscale "...)
		b = strconv.AppendInt(b, int64(o.WScale), 10)
	}
	if len(o.SACK) > 0 {
		sep()
		b = append(b, "sack "...)
		b = strconv.AppendInt(b, int64(len(o.SACK)), 10)
		for _, blk := range o.SACK {
			b = append(b, " {"...)
			b = strconv.AppendUint(b, uint64(blk[0]), 10)
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(blk[1]), 10)
			b = append(b, '}')
		}
	}
	if o.TFO {
		sep()
		b = append(b, "tfo"...)
	}
	if o.MPTCP {
		sep()
		b = append(b, "mptcp"...)
	}
	if o.Unknown > 0 {
		sep()
		b = append(b, "unknown-"...)
		b = strconv.AppendInt(b, int64(o.Unknown), 10)
	}
	if o.Malformed {
		sep()
		b = append(b, "malformed"...)
	}
	if len(b) > n {
		b = append(b, ']')
	}
	return b
}

// Brief is what the brief options text of the explanatory views names.
type Brief struct {
	MSS                             uint16
	HasMSS, SACKPerm, TS, HasWScale bool
	WScale                          uint8
	SACKBlocks                      int
	TFO, MPTCP, Malformed           bool
}

// String names the options briefly, the way tcpdump orders them:
// "mss 1460,sackOK,TS,wscale 7", "sack 2", "" for none.
func (o Brief) String() string {
	var b []byte
	add := func(s string) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	if o.HasMSS {
		add("mss " + strconv.Itoa(int(o.MSS)))
	}
	if o.SACKPerm {
		add("sackOK")
	}
	if o.TS {
		add("TS")
	}
	if o.HasWScale {
		add("wscale " + strconv.Itoa(int(o.WScale)))
	}
	if o.SACKBlocks > 0 {
		add("sack " + strconv.Itoa(o.SACKBlocks))
	}
	if o.TFO {
		add("tfo")
	}
	if o.MPTCP {
		add("mptcp")
	}
	if o.Malformed {
		add("malformed")
	}
	return string(b)
}
