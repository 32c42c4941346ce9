package main

import (
	"fmt"
	"io"

	"github.com/segscope/segscope/render/svg"
)

// validateVisual checks the flags of the pictures: --format svg (ladder, anatomy, tseq),
// tseq's --dir, and report's HTML.
func (o *options) validateVisual() error {
	switch o.cmd {
	case "tseq":
		if o.format == "text" {
			o.format = "svg" // the graph's only format
		}
		if o.format != "svg" {
			return &usageError{msg: fmt.Sprintf("tseq has no --format %s", o.format), hint: "tseq draws SVG: --format svg (the default)"}
		}
		if o.dir != "c2s" && o.dir != "s2c" {
			return &usageError{msg: "tseq needs --dir c2s or --dir s2c", hint: "the graph shows one direction's sequence numbers: --dir s2c for the server's data"}
		}
	case "report":
		o.format = "text" // it takes no --format: it writes HTML
		if o.workers > 1 {
			o.workers = 1 // not sharded; one core reads while another analyses
		}
	case "ladder", "anatomy":
		return nil
	default:
		if o.format == "svg" {
			return &usageError{msg: fmt.Sprintf("%s has no --format svg", o.cmd), hint: "pictures: ladder, anatomy and tseq --format svg; segscope report -o FILE.html for all of them"}
		}
	}
	return nil
}

func newSVGSink(o *options, out io.Writer) *svg.Sink {
	switch o.cmd {
	case "anatomy":
		return svg.New(out, svg.KindAnatomy)
	case "tseq":
		s := svg.New(out, svg.KindTSeq)
		s.Dir = o.dir
		return s
	}
	return svg.New(out, svg.KindLadder)
}
