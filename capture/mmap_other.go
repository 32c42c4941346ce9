//go:build !linux

package capture

import "os"

// mapFile is only implemented on Linux; elsewhere files are read with read(2).
func mapFile(f *os.File) []byte { return nil }

func unmapFile(m []byte) {}

func releaseMapped(m []byte) {}

var pageSize = 4096
