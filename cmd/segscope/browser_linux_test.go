package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The browser oracle: nginx serves a page on 127.0.0.1 (keep-alive, gzip, a redirect, a
// 304, a cookie, a POST form, six images loaded in parallel), Debian's chromium loads it
// headless (puppeteer-core, tools/js/browser-har.js) while tcpdump captures lo, chrome-har
// builds Chrome's own HAR from the DevTools Protocol events, and segscope's HAR of the
// capture is compared with it entry by entry.

const oracleHTML = `<!doctype html>
<html><head><title>segscope browser oracle</title>
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="data:,">
</head><body>
<h1>segscope</h1>
<img src="/img/1.png"><img src="/img/2.png"><img src="/img/3.png">
<img src="/img/4.png"><img src="/img/5.png"><img src="/img/6.png">
<script src="/app.js"></script>
</body></html>
`

const oracleJS = `// After the images: a cookie, a redirect, a revalidation (304), a form POST.
window.addEventListener('load', async () => {
  await fetch('/cookie');
  await fetch('/redirect');
  await fetch('/etag.txt');
  await fetch('/etag.txt', { cache: 'no-cache' });
  await fetch('/form', { method: 'POST', body: new URLSearchParams({ name: 'seg scope', n: '42' }) });
  window.__done = true;
});
`

const oracleNginx = `user root;
worker_processes 1;
daemon off;
pid {{DIR}}/nginx.pid;
error_log {{DIR}}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path {{DIR}}/tmp;
  proxy_temp_path {{DIR}}/tmp;
  fastcgi_temp_path {{DIR}}/tmp;
  uwsgi_temp_path {{DIR}}/tmp;
  scgi_temp_path {{DIR}}/tmp;
  types { text/html html; text/css css; application/javascript js; image/png png; text/plain txt; }
  keepalive_timeout 30;
  gzip on;
  gzip_min_length 0;
  gzip_types text/css application/javascript text/plain;
  server {
    listen 127.0.0.1:{{PORT}};
    root {{DIR}}/www;
    location = /cookie { add_header Set-Cookie "session=s3gsc0pe; Path=/; HttpOnly"; return 200 "cookie set\n"; }
    location = /redirect { return 302 /target.txt; }
    location = /form { return 200 "form received\n"; }
  }
}
`

func writeSite(t *testing.T, dir string) {
	t.Helper()
	www := filepath.Join(dir, "www")
	for _, d := range []string{www, filepath.Join(www, "img"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"index.html": oracleHTML,
		"app.js":     oracleJS,
		"style.css":  strings.Repeat("body { font-family: sans-serif; color: #222; }\n", 200),
		"target.txt": "the target of the redirect\n",
		"etag.txt":   "revalidate me\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(www, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 6; i++ {
		img := image.NewRGBA(image.Rect(0, 0, 64, 64))
		for p := range img.Pix {
			img.Pix[p] = uint8(i * (p%4 + 1) * 20)
		}
		img.Set(i, i, color.RGBA{255, 0, 0, 255})
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(www, "img", fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// harDoc is the part of a HAR the comparison reads.
type harDoc struct {
	Log struct {
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harNV struct{ Name, Value string }

type harEntry struct {
	Started    string `json:"startedDateTime"`
	Connection string `json:"connection"`
	FromCache  string `json:"_fromCache"`
	Request    struct {
		Method, URL string
		Headers     []harNV
		BodySize    int64 `json:"bodySize"`
	} `json:"request"`
	Response struct {
		Status      int
		Headers     []harNV
		HeadersSize int64 `json:"headersSize"`
		BodySize    int64 `json:"bodySize"`
		Content     struct {
			Size int64 `json:"size"`
		} `json:"content"`
		RedirectURL string `json:"redirectURL"`
	} `json:"response"`
	Timings map[string]any `json:"timings"`
}

func (e *harEntry) timing(k string) float64 {
	if v, ok := e.Timings[k].(float64); ok {
		return v
	}
	return -1
}

// reqStart is when the request went to the socket, in ms since the epoch: the start plus
// the phases before sending.
func (e *harEntry) reqStart(t *testing.T) float64 {
	ts, err := time.Parse(time.RFC3339Nano, e.Started)
	if err != nil {
		t.Fatalf("startedDateTime %q: %v", e.Started, err)
	}
	ms := float64(ts.UnixNano()) / 1e6
	for _, k := range []string{"blocked", "dns", "connect", "ssl"} {
		if v := e.timing(k); v > 0 {
			ms += v
		}
	}
	return ms
}

func headerSet(hs []harNV) map[string]bool {
	m := map[string]bool{}
	for _, h := range hs {
		if strings.HasPrefix(h.Name, ":") { // HTTP/2 pseudo-headers never are HTTP/1.1 bytes
			continue
		}
		for _, v := range strings.Split(h.Value, "\n") { // CDP joins repeated fields with \n
			m[strings.ToLower(h.Name)+": "+v] = true
		}
	}
	return m
}

func setDiff(a, b map[string]bool) []string {
	var d []string
	for k := range a {
		if !b[k] {
			d = append(d, k)
		}
	}
	slices.Sort(d)
	return d
}

func readHAR(t *testing.T, path string) []harEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d harDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d.Log.Entries
}

func TestBrowserOracle(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("browser oracle: chromium not installed (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("browser oracle: node not installed")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("browser oracle: nginx not installed")
	}
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("browser oracle: tcpdump not installed")
	}
	js := filepath.Join("..", "..", "tools", "js")
	for _, m := range []string{"puppeteer-core", "chrome-har"} {
		if _, err := os.Stat(filepath.Join(js, "node_modules", m)); err != nil {
			t.Skipf("browser oracle: tools/js/node_modules/%s not installed (npm ci --prefix tools/js)", m)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("browser oracle: capturing lo needs root")
	}
	dir := t.TempDir()
	writeSite(t, dir)
	port := freePort(t)
	conf := strings.NewReplacer("{{DIR}}", dir, "{{PORT}}", fmt.Sprint(port)).Replace(oracleNginx)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	srv := exec.CommandContext(ctx, nginx, "-c", filepath.Join(dir, "nginx.conf"), "-p", dir+"/", "-e", filepath.Join(dir, "error.log"))
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(syscall.SIGQUIT)
		srv.Wait()
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx does not listen on %s: %v\n%s%s", addr, err, srvOut.String(), b)
		}
		time.Sleep(50 * time.Millisecond)
	}

	pcap := filepath.Join(dir, "lo.pcap")
	cap := exec.CommandContext(ctx, tcpdump, "-i", "lo", "-U", "--immediate-mode", "-B", "32768", "-w", pcap, fmt.Sprintf("tcp port %d", port))
	capErr, _ := cap.StderrPipe()
	if err := cap.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	var capLog bytes.Buffer
	go func() {
		sc := bufio.NewScanner(capErr)
		for sc.Scan() {
			capLog.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "listening on") {
				ready <- sc.Text()
			}
		}
		close(ready)
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("tcpdump did not start")
	}

	chromeHAR := filepath.Join(dir, "chrome.har")
	out, err := exec.CommandContext(ctx, node, filepath.Join(js, "browser-har.js"), "http://"+addr+"/", chromeHAR, chromium).CombinedOutput()
	time.Sleep(300 * time.Millisecond) // the last ACKs and FINs reach the capture
	cap.Process.Signal(syscall.SIGINT)
	cap.Wait()
	if err != nil {
		t.Fatalf("chromium via puppeteer-core: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))

	oursHAR := filepath.Join(dir, "segscope.har")
	runCLI(t, "har", "-q", "-o", oursHAR, pcap)
	compareHAR(t, readHAR(t, chromeHAR), readHAR(t, oursHAR))
	if t.Failed() {
		if keep := os.Getenv("SEGSCOPE_KEEP"); keep != "" {
			for _, f := range []string{pcap, chromeHAR, oursHAR} {
				b, _ := os.ReadFile(f)
				os.WriteFile(filepath.Join(keep, filepath.Base(f)), b, 0o644)
			}
			t.Logf("capture and HARs kept in %s", keep)
		}
		t.Logf("tcpdump: %s", capLog.String())
	}
}

// compareHAR matches Chrome's entries with segscope's by method, URL and order, and
// compares them (see the README's "The browser as oracle" for each rule).
func compareHAR(t *testing.T, chrome, ours []harEntry) {
	used := make([]bool, len(ours))
	connMap := map[string]string{}
	matched := 0
	for i := range chrome {
		c := &chrome[i]
		if strings.HasPrefix(c.Request.URL, "data:") || c.FromCache != "" {
			continue // never on the wire
		}
		j := -1
		for k := range ours {
			if !used[k] && ours[k].Request.Method == c.Request.Method && ours[k].Request.URL == c.Request.URL {
				j = k
				break
			}
		}
		if j < 0 {
			t.Errorf("Chrome's %s %s (status %d) is not in segscope's HAR", c.Request.Method, c.Request.URL, c.Response.Status)
			continue
		}
		used[j] = true
		matched++
		o := &ours[j]
		what := c.Request.Method + " " + c.Request.URL
		oreq := headerSet(o.Request.Headers)
		conditional := false
		for h := range oreq {
			conditional = conditional || strings.HasPrefix(h, "if-none-match: ") || strings.HasPrefix(h, "if-modified-since: ")
		}
		revalidated := o.Response.Status == 304 && c.Response.Status == 200 && conditional
		switch {
		case revalidated:
			t.Logf("%s: 304 on the wire; Chrome's HAR shows the cached copy it revalidated (200)", what)
		case c.Response.Status != o.Response.Status:
			t.Errorf("%s: status %d, Chrome %d", what, o.Response.Status, c.Response.Status)
		}
		// The same connections: Chrome's socket ids and segscope's connection ids pair 1:1.
		if prev, ok := connMap["c"+c.Connection]; ok && prev != o.Connection {
			t.Errorf("%s: Chrome's connection %s was segscope's %s before, now %s", what, c.Connection, prev, o.Connection)
		}
		if prev, ok := connMap["o"+o.Connection]; ok && prev != c.Connection {
			t.Errorf("%s: segscope's connection %s was Chrome's %s before, now %s", what, o.Connection, prev, c.Connection)
		}
		connMap["c"+c.Connection], connMap["o"+o.Connection] = o.Connection, c.Connection

		// Request headers: Chrome's HAR has the wire headers when CDP reported them
		// (requestWillBeSentExtraInfo; they include Host), else only the provisional ones
		// the renderer knew, all of which must be on the wire.
		ch, oh := headerSet(c.Request.Headers), headerSet(o.Request.Headers)
		if d := setDiff(ch, oh); len(d) > 0 {
			t.Errorf("%s: request headers Chrome sent that are not on the wire: %q", what, d)
		}
		if d := setDiff(oh, ch); len(d) > 0 {
			if ch["host: "+strings.TrimPrefix(strings.SplitN(strings.TrimPrefix(c.Request.URL, "http://"), "/", 2)[0], "")] {
				t.Errorf("%s: request headers on the wire that Chrome's HAR lacks: %q", what, d)
			} else {
				t.Logf("%s: Chrome's HAR has provisional request headers only (no ExtraInfo); the wire also has %d more", what, len(d))
			}
		}
		// Response headers: the same set, except that chrome-har gives a redirect's target
		// the raw headers of the redirect (same CDP request id).
		rh, orh := headerSet(c.Response.Headers), headerSet(o.Response.Headers)
		if len(setDiff(rh, orh))+len(setDiff(orh, rh)) > 0 {
			explained := false
			for k := range ours {
				if ours[k].Response.RedirectURL != "" && strings.HasSuffix(c.Request.URL, ours[k].Response.RedirectURL) {
					rr := headerSet(ours[k].Response.Headers)
					explained = len(setDiff(rh, rr))+len(setDiff(rr, rh)) == 0
				}
			}
			if !explained {
				t.Errorf("%s: response headers differ: Chrome only %q, segscope only %q", what, setDiff(rh, orh), setDiff(orh, rh))
			} else {
				t.Logf("%s: chrome-har shows the redirect's response headers for its target", what)
			}
		}
		// Sizes. Request bodies alike. Response: the bytes on the wire, headers and body
		// together (Chrome leaves Set-Cookie out of headersSize and counts it in bodySize),
		// except a redirect, whose body Chrome does not read; the decoded size, except a
		// 304, for which Chrome reports its cached copy.
		if c.Request.BodySize != o.Request.BodySize {
			t.Errorf("%s: request bodySize %d, Chrome %d", what, o.Request.BodySize, c.Request.BodySize)
		}
		redirect := c.Response.Status >= 300 && c.Response.Status < 400 && c.Response.Status != 304
		switch {
		case redirect:
			if c.Response.HeadersSize != o.Response.HeadersSize {
				t.Errorf("%s: response headersSize %d, Chrome %d", what, o.Response.HeadersSize, c.Response.HeadersSize)
			}
		case c.Response.HeadersSize+c.Response.BodySize != o.Response.HeadersSize+o.Response.BodySize:
			t.Errorf("%s: response bytes (headersSize+bodySize) %d+%d, Chrome %d+%d", what,
				o.Response.HeadersSize, o.Response.BodySize, c.Response.HeadersSize, c.Response.BodySize)
		}
		if !revalidated && c.Response.Status != 304 && !redirect && c.Response.Content.Size != o.Response.Content.Size {
			t.Errorf("%s: content.size %d, Chrome %d", what, o.Response.Content.Size, c.Response.Content.Size)
		}
		// Timings. Chrome's phases are durations on its monotonic clock; the wire's are
		// durations between packets. Each wire span lies inside the browser's: the request's
		// first byte is on the wire after Chrome's sendStart, the response's first byte
		// before Chrome has read the headers, its last before loadingFinished. So, within
		// 2 ms: segscope's send+wait is not longer than Chrome's, nor send+wait+receive. Chrome's absolute times are its
		// wall clock at requestWillBeSent plus monotonic offsets, off by tens of ms on a
		// loaded machine, so the request time is only checked within 100 ms.
		const tol, loose = 2.0, 100.0
		cs, os_ := c.reqStart(t), o.reqStart(t)
		if math.Abs(cs-os_) > loose {
			t.Errorf("%s: request on the wire at %.3f ms, Chrome sent it at %.3f ms: %+.3f ms", what, os_, cs, os_-cs)
		}
		if redirect {
			// chrome-har times a redirect from the redirectResponse of the next request's
			// requestWillBeSent, which holds no send/wait split of its own.
			t.Logf("%s: a redirect: Chrome's timings for it are not compared", what)
		} else if ow, cw := o.timing("send")+o.timing("wait"), c.timing("send")+c.timing("wait"); ow > cw+tol {
			t.Errorf("%s: send+wait on the wire %.3f ms, longer than Chrome's %.3f ms", what, ow, cw)
		}
		span := func(e *harEntry) float64 { return e.timing("send") + e.timing("wait") + max(e.timing("receive"), 0) }
		if os, cs := span(o), span(c); !redirect && os > cs+tol {
			t.Errorf("%s: send+wait+receive on the wire %.3f ms, longer than Chrome's %.3f ms", what, os, cs)
		}
		t.Logf("%s: %d, sent %+.3f ms, wait %.3f (Chrome %.3f), receive %.3f (Chrome %.3f)", what, o.Response.Status,
			os_-cs, o.timing("wait"), c.timing("wait"), o.timing("receive"), c.timing("receive"))
	}
	for k := range ours {
		if !used[k] {
			t.Errorf("segscope's %s %s (status %d) is not in Chrome's HAR", ours[k].Request.Method, ours[k].Request.URL, ours[k].Response.Status)
		}
	}
	if matched < 14 {
		t.Errorf("%d entries matched; the page makes 15 requests", matched)
	}
}
