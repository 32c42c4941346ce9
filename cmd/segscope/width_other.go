//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

import "os"

func terminalColumns(*os.File) int { return 0 }
