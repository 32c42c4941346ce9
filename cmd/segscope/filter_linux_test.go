//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLiveFilterNetns loads two HTTP servers (ports 8080 and 8081) in a network
// namespace made by the test, while `segscope http -i VETH tcp port 8080` runs: it must
// report exactly 8080's exchanges, and its kernel counters (the filter is attached to
// the socket) must count only 8080's packets, which an unfiltered capture of the same
// interface shows to be a part of the traffic.
func TestLiveFilterNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces and AF_PACKET)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip)")
	}
	// Names with this process's ID and a /30 of 10.78.0.0/24 of its own.
	pid := os.Getpid()
	ns, hostIf, nsIf := fmt.Sprintf("sgf-%d", pid), fmt.Sprintf("sgfh%d", pid), fmt.Sprintf("sgfn%d", pid)
	k := pid % 64
	hostIP, nsIP := fmt.Sprintf("10.78.0.%d", 4*k+1), fmt.Sprintf("10.78.0.%d", 4*k+2)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	exec.Command("ip", "netns", "del", ns).Run()
	exec.Command("ip", "link", "del", hostIf).Run()
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf)
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostIf).Run() })
	ip("link", "set", nsIf, "netns", ns)
	ip("addr", "add", hostIP+"/30", "dev", hostIf)
	ip("link", "set", hostIf, "up")
	ip("-n", ns, "addr", "add", nsIP+"/30", "dev", nsIf)
	ip("-n", ns, "link", "set", nsIf, "up")

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []string{"8080", "8081"} {
		srv := exec.Command("ip", "netns", "exec", ns, exe)
		srv.Env = append(os.Environ(), "SEGSCOPE_LIVE_SERVER="+nsIP+":"+port)
		srv.Stderr = os.Stderr
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", nsIP+":"+port, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %s in %s did not start: %v", port, ns, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	dir := t.TempDir()
	env := append(os.Environ(), "SEGSCOPE_TEST_MAIN=1")
	seg := exec.Command(exe, "http", "--format", "json", "-i", hostIf, "-o", dir+"/http.jsonl", "tcp", "port", "8080")
	seg.Env = env
	var segErr bytes.Buffer
	seg.Stderr = &segErr
	all := exec.Command(exe, "packets", "--format", "json", "-i", hostIf, "-o", dir+"/all.jsonl")
	all.Env = env
	var allErr bytes.Buffer
	all.Stderr = &allErr
	for _, c := range []*exec.Cmd{seg, all} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // let the sockets attach

	// load both servers at once: 4 clients each, 5 requests per connection
	const clients, perConn = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	for _, port := range []string{"8080", "8081"} {
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := &http.Transport{MaxIdleConnsPerHost: 1}
				defer tr.CloseIdleConnections()
				cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
				for j := 0; j < perConn; j++ {
					resp, err := cl.Get(fmt.Sprintf("http://%s:%s/c%d/r%d", nsIP, port, i, j))
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the last FIN/ACKs
	seg.Process.Signal(os.Interrupt)
	all.Process.Signal(os.Interrupt)
	if err := seg.Wait(); err != nil {
		t.Fatalf("segscope http -i ... tcp port 8080: %v\n%s", err, segErr.String())
	}
	all.Wait()

	data, _ := os.ReadFile(dir + "/http.jsonl")
	got := 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r struct {
			Server, Verdict string
			Status          int
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("bad record %q: %v", line, err)
		}
		if r.Server != nsIP+":8080" || r.Status != 200 || r.Verdict != "complete" {
			t.Errorf("exchange %+v, want server %s:8080, 200, complete", r, nsIP)
		}
		got++
	}
	if got != clients*perConn {
		t.Errorf("%d exchanges, want %d (8080's only)\n%s", got, clients*perConn, segErr.String())
	}
	// every packet of the interface, from the unfiltered capture
	pk, _ := os.ReadFile(dir + "/all.jsonl")
	total, to8080 := 0, 0
	for _, line := range bytes.Split(bytes.TrimSpace(pk), []byte("\n")) {
		var r struct{ Src, Dst string }
		json.Unmarshal(line, &r)
		total++
		if strings.HasSuffix(r.Src, ":8080") || strings.HasSuffix(r.Dst, ":8080") {
			to8080++
		}
	}
	m := regexp.MustCompile(`kernel: (\d+) received, (\d+) dropped`).FindStringSubmatch(segErr.String())
	if m == nil {
		t.Fatalf("no kernel counters in the summary:\n%s", segErr.String())
	}
	recv, _ := strconv.Atoi(m[1])
	// the kernel counted what passed the filter: 8080's packets (plus whatever else on
	// the veth matched, such as nothing), never 8081's
	if recv < to8080 || recv > to8080+10 || recv >= total {
		t.Errorf("kernel received %d with the filter; the interface carried %d packets, %d of them to or from 8080", recv, total, to8080)
	}
	t.Logf("%d exchanges of 8080; kernel counted %d packets with the filter, of %d on the interface (%d of 8080)\n%s", got, recv, total, to8080, segErr.String())
}
