//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The live test needs a server inside a network namespace. The test binary re-executes
// itself there with SEGSCOPE_LIVE_SERVER set; this hook runs before testscript.Main.
func init() {
	if os.Getenv("SEGSCOPE_TEST_MAIN") != "" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if addr := os.Getenv("SEGSCOPE_LIVE_SERVER"); addr != "" {
		body := bytes.Repeat([]byte("segscope live test body\n"), 2000) // 48,000 bytes
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(body)
		})
		fmt.Fprintln(os.Stderr, http.ListenAndServe(addr, nil))
		os.Exit(1)
	}
}

// TestLiveCaptureNetns captures real HTTP traffic on a veth whose far end is in a network
// namespace made by the test, with `segscope http -i`, and checks that every exchange the
// client made is seen complete with its exact body length, and that segscope saw exactly
// the TCP segments tcpdump saw on the same interface (when tcpdump is installed).
func TestLiveCaptureNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces and AF_PACKET)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip)")
	}
	// Names and a /30 of 10.128.0.0/9 of this process's own, so that runs of the test
	// side by side (other checkouts, other engineers) do not take each other's down.
	pid := os.Getpid()
	ns, hostIf, nsIf := fmt.Sprintf("sgl-live-%d", pid), fmt.Sprintf("sglh%d", pid), fmt.Sprintf("sgln%d", pid)
	net30 := 10<<24 | 1<<23 | (pid&(1<<21-1))<<2 // the /30 numbered pid mod 2^21
	hostIP := fmt.Sprintf("%d.%d.%d.%d", net30>>24, net30>>16&255, net30>>8&255, net30&255+1)
	nsIP := fmt.Sprintf("%d.%d.%d.%d", net30>>24, net30>>16&255, net30>>8&255, net30&255+2)
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
	ip("-n", ns, "link", "set", "lo", "up")

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command("ip", "netns", "exec", ns, exe)
	srv.Env = append(os.Environ(), "SEGSCOPE_LIVE_SERVER="+nsIP+":8080")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", nsIP+":8080", time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server in %s did not start: %v", ns, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// segscope and (if present) tcpdump capture the same interface.
	dir := t.TempDir()
	seg := exec.Command(exe, "http", "--format", "json", "-i", hostIf, "-o", dir+"/http.jsonl")
	seg.Env = append(os.Environ(), "SEGSCOPE_TEST_MAIN=1")
	var segErr bytes.Buffer
	seg.Stderr = &segErr
	if err := seg.Start(); err != nil {
		t.Fatal(err)
	}
	pk := exec.Command(exe, "packets", "--format", "json", "-i", hostIf, "-o", dir+"/packets.jsonl")
	pk.Env = seg.Env
	if err := pk.Start(); err != nil {
		t.Fatal(err)
	}
	// A third one writes text to a pipe: its lines must come while it runs, not only when
	// it stops (live output is written record by record).
	tx := exec.Command(exe, "packets", "-q", "-i", hostIf)
	tx.Env = seg.Env
	txOut, err := tx.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Start(); err != nil {
		t.Fatal(err)
	}
	var txLines atomic.Int64
	txDone := make(chan struct{})
	go func() {
		defer close(txDone)
		sc := bufio.NewScanner(txOut)
		for sc.Scan() {
			txLines.Add(1)
		}
	}()
	var td *exec.Cmd
	if p, err := exec.LookPath("tcpdump"); err == nil {
		td = exec.Command(p, "-i", hostIf, "-nn", "-U", "-w", dir+"/tcpdump.pcap", "tcp")
		td.Start()
	}
	time.Sleep(time.Second) // let the sockets attach

	const conns, perConn = 3, 4
	for i := 0; i < conns; i++ {
		tr := &http.Transport{MaxIdleConnsPerHost: 1}
		cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		for j := 0; j < perConn; j++ {
			resp, err := cl.Get(fmt.Sprintf("http://%s:8080/c%d/r%d", nsIP, i, j))
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != 48000 {
				t.Fatalf("client read %d bytes", n)
			}
		}
		tr.CloseIdleConnections()
	}
	time.Sleep(time.Second) // the last FIN/ACKs
	if n := txLines.Load(); n == 0 {
		t.Errorf("segscope packets -i wrote no line while the traffic ran (output held back until it stops)")
	} else {
		t.Logf("segscope packets -i had written %d lines before it was stopped", n)
	}
	for _, c := range []*exec.Cmd{seg, pk, tx, td} {
		if c != nil {
			c.Process.Signal(os.Interrupt)
		}
	}
	<-txDone
	tx.Wait()
	if err := seg.Wait(); err != nil {
		t.Fatalf("segscope http -i: %v\n%s", err, segErr.String())
	}
	pk.Wait()
	if td != nil {
		td.Wait()
	}

	data, err := os.ReadFile(dir + "/http.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var got int
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r struct {
			Method, URI, Verdict string
			Status               int
			RespBodyLen          int64 `json:"resp_body_len"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("bad record %q: %v", line, err)
		}
		if r.Method != "GET" || r.Status != 200 || r.RespBodyLen != 48000 || r.Verdict != "complete" {
			t.Errorf("exchange %+v, want GET 200 48000 complete", r)
		}
		got++
	}
	if got != conns*perConn {
		t.Errorf("segscope saw %d exchanges live, want %d\n%s", got, conns*perConn, segErr.String())
	}
	if td != nil {
		rd := exec.Command(exe, "packets", "-q", "--format", "json", dir+"/tcpdump.pcap")
		rd.Env = seg.Env
		out, err := rd.Output()
		if err != nil {
			t.Fatalf("reading tcpdump's capture: %v", err)
		}
		live, _ := os.ReadFile(dir + "/packets.jsonl")
		n, m := bytes.Count(live, []byte("\n")), bytes.Count(out, []byte("\n"))
		if n != m || n == 0 {
			t.Errorf("segscope saw %d segments live, tcpdump %d\nsegscope:\n%s\ntcpdump:\n%s", n, m, summarize(live), summarize(out))
		}
		t.Logf("%d exchanges; %d TCP segments seen live by segscope and by tcpdump", got, n)
	}
}

// summarize lists segment records as "src>dst flags seq_raw len" lines for a diff.
func summarize(jsonl []byte) string {
	var b strings.Builder
	for _, line := range bytes.Split(bytes.TrimSpace(jsonl), []byte("\n")) {
		var r struct {
			Src, Dst string
			Flags    []string
			SeqRaw   uint32 `json:"seq_raw"`
			AckRaw   uint32 `json:"ack_raw"`
			Len      int
		}
		json.Unmarshal(line, &r)
		fmt.Fprintf(&b, "%s>%s %v %d %d %d\n", r.Src, r.Dst, r.Flags, r.SeqRaw, r.AckRaw, r.Len)
	}
	return b.String()
}
