package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/segscope/segscope/analysis"
)

// explainArg finds --explain KIND (or --explain=KIND) anywhere on the command line: it
// prints the concept behind a finding kind and needs no input, with any command or none.
func explainArg(args []string) (string, bool) {
	for i, a := range args {
		if a == "--" {
			break
		}
		if k, ok := strings.CutPrefix(a, "--explain="); ok {
			return k, true
		}
		if a == "--explain" {
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", true
		}
	}
	return "", false
}

func explain(kind string, stdout io.Writer) error {
	if kind == "" {
		return &usageError{msg: "--explain needs a finding kind", hint: "kinds: " + strings.Join(analysis.Kinds(), ", ")}
	}
	t, ok := analysis.Explain(kind)
	if !ok {
		return &usageError{msg: fmt.Sprintf("--explain: unknown finding kind %q", kind), hint: "kinds: " + strings.Join(analysis.Kinds(), ", ")}
	}
	_, err := io.WriteString(stdout, t+"\n")
	return err
}
