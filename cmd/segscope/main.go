// Command segscope inspects TCP segments and reassembles HTTP/1.x from capture files and
// live interfaces. See the README for a manual; `segscope help` for the usage text.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
