// Package conformance holds segscope's oracle tests, all in test files: its output
// against the expected outputs other projects ship with their captures, against peer
// tools (tshark, tcpdump, tcpflow), against the ground truth of its own captures, a
// golden table of every command on real captures, and its memory bound.
//
// The shared corpus is ../shared/pcaps next to the repository (see its README), or the
// directory SEGSCOPE_CORPUS names. When it is absent, every test that needs it skips
// with one line naming what was skipped; the tests on testdata/pcaps still run.
package conformance
