package main

import (
	"io"
	"os"
	"strconv"
)

// textWidth is the width text output fits: $COLUMNS when set, else the terminal's width
// when stdout is a terminal, at least 80; 0 (the default 100-column layout) with --wide,
// or when neither is known (a pipe, a file: output stays the same wherever it goes).
func textWidth(wide bool, stdout io.Writer) int {
	if wide {
		return 0
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		return max(c, 80)
	}
	if f, ok := stdout.(*os.File); ok && isTerminal(stdout) {
		if c := terminalColumns(f); c > 0 {
			return max(c, 80)
		}
	}
	return 0
}
