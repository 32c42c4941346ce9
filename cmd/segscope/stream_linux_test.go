package main

import (
	"bufio"
	"encoding/binary"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStdinStream feeds a capture into `segscope packets -` through a pipe in two parts,
// as `tcpdump -U -w - | segscope packets -` would, and checks that the lines of the first
// part come out before the second part is written: a stream is reported as it arrives.
func TestStdinStream(t *testing.T) {
	data, err := os.ReadFile("../../testdata/pcaps/keepalive.pcap")
	if err != nil {
		t.Skip(err)
	}
	// The end of the third record (pcap: 24-byte file header, 16-byte record headers
	// with the captured length at offset 8; the file is little-endian).
	end := 24
	for range 3 {
		end += 16 + int(binary.LittleEndian.Uint32(data[end+8:]))
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "packets", "-q", "-")
	cmd.Env = append(os.Environ(), "SEGSCOPE_TEST_MAIN=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(outPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	if _, err := in.Write(data[:end]); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for i := 1; i <= 3; i++ {
		select {
		case l := <-lines:
			if !strings.HasPrefix(strings.TrimSpace(l), string(rune('0'+i))+" ") {
				t.Errorf("line %d: %q", i, l)
			}
		case <-timeout:
			t.Fatalf("line %d of the first part did not come while the rest was held back", i)
		}
	}
	in.Write(data[end:])
	in.Close()
	n := 3
	for range lines {
		n++
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if n != 27 {
		t.Errorf("%d lines, want 27 (keepalive.pcap's frames)", n)
	}
}

// TestSignalEndsIdleStream: a capture piped into stdin whose writer goes idle is ended by
// SIGINT or SIGTERM (the blocked read is interrupted), the records of what was read are
// written, the summary is printed, the interruption is stated, and the exit status is
// 128 + the signal's number.
func TestSignalEndsIdleStream(t *testing.T) {
	data, err := os.ReadFile("../../testdata/pcaps/keepalive.pcap")
	if err != nil {
		t.Skip(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		cmd := exec.Command(exe, "http", "-")
		cmd.Env = append(os.Environ(), "SEGSCOPE_TEST_MAIN=1")
		in, _ := cmd.StdinPipe()
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		in.Write(data) // and then nothing: the writer stays idle, the pipe open
		time.Sleep(500 * time.Millisecond)
		cmd.Process.Signal(tc.sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s did not end a run blocked on an idle stdin", tc.name)
		}
		in.Close()
		if code := cmd.ProcessState.ExitCode(); code != tc.code {
			t.Errorf("%s: exit status %d, want %d (err %v)", tc.name, code, tc.code, err)
		}
		if !strings.Contains(errb.String(), "27 frames") || !strings.Contains(errb.String(), "interrupted by "+tc.name) {
			t.Errorf("%s: stderr %q, want the summary and the interruption", tc.name, errb.String())
		}
		if n := strings.Count(out.String(), "\n"); n < 5 {
			t.Errorf("%s: %d lines of output, want the 5 exchanges read before the signal", tc.name, n)
		}
	}
}
