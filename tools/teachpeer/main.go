// Command teachpeer is the program side of testdata/pcaps/make-teach-captures.sh: the
// traffic shapes of the connection-management lessons that curl and nginx cannot make on
// their own.
//
//	-mode dns     a tiny authoritative DNS responder on UDP: A queries for -name get
//	              -a as the answer (TTL 60), AAAA queries for it an empty NOERROR
//	              answer, every other name NXDOMAIN. Each query is logged.
//	-mode nagle   one keep-alive connection to -addr; -n POST requests to /echo, each
//	              written as two write()s (the head, then a 10-byte body) before reading
//	              the response: the write-write-read pattern that makes Nagle's algorithm
//	              wait for the peer's delayed ACK. -nodelay sets TCP_NODELAY (Go's
//	              default); without it the socket runs Nagle. Each request is logged with
//	              its duration.
//	-mode get     one GET of -path from -addr over a connection bound to local port
//	              -lport with SO_REUSEADDR (curl --local-port does not set it), closed
//	              by this client first once the response is read: the client holds
//	              TIME_WAIT. Logged: local port, status, body length.
//
// Log lines are tab-separated and go to -log (default stdout).
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := flag.String("mode", "", "dns or nagle")
	listen := flag.String("listen", "127.0.0.1:53", "dns: UDP listen address")
	name := flag.String("name", "www.segscope.test", "dns: the name answered")
	answer := flag.String("a", "127.0.0.1", "dns: the IPv4 address answered")
	addr := flag.String("addr", "127.0.0.1:8080", "nagle: server address")
	n := flag.Int("n", 20, "nagle: requests")
	nodelay := flag.Bool("nodelay", true, "nagle: set TCP_NODELAY")
	path := flag.String("path", "/", "get: request path")
	lport := flag.Int("lport", 0, "get: local port to bind")
	logPath := flag.String("log", "", "log file (default stdout)")
	flag.Parse()
	out := io.Writer(os.Stdout)
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		out = f
	}
	switch *mode {
	case "dns":
		a, err := netip.ParseAddr(*answer)
		if err != nil || !a.Is4() {
			log.Fatalf("-a %q: not an IPv4 address", *answer)
		}
		dnsServe(*listen, strings.TrimSuffix(strings.ToLower(*name), "."), a.As4(), out)
	case "nagle":
		nagle(*addr, *n, *nodelay, out)
	case "get":
		get(*addr, *path, *lport, out)
	default:
		log.Fatalf("unknown -mode %q (dns, nagle or get)", *mode)
	}
}

// dnsServe answers queries until killed. Log columns: unix_time remote qname qtype rcode answer.
func dnsServe(listen, name string, a [4]byte, out io.Writer) {
	pc, err := net.ListenPacket("udp", listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "ready")
	buf := make([]byte, 1500)
	for {
		k, from, err := pc.ReadFrom(buf)
		if err != nil {
			log.Fatal(err)
		}
		resp, qname, qtype, rcode, ans, ok := dnsAnswer(buf[:k], name, a)
		if !ok {
			continue
		}
		if _, err := pc.WriteTo(resp, from); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(out, "%.6f\t%s\t%s\t%d\t%d\t%s\n", float64(time.Now().UnixNano())/1e9, from, qname, qtype, rcode, ans)
	}
}

// dnsAnswer builds the response to query q: header and question copied, one A record
// (name compressed to the question) when the question is IN A for name.
func dnsAnswer(q []byte, name string, a [4]byte) (resp []byte, qname string, qtype uint16, rcode int, ans string, ok bool) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 || q[2]&0x80 != 0 {
		return nil, "", 0, 0, "", false
	}
	p := 12
	var labels []string
	for {
		if p >= len(q) {
			return nil, "", 0, 0, "", false
		}
		l := int(q[p])
		p++
		if l == 0 {
			break
		}
		if l > 63 || p+l > len(q) {
			return nil, "", 0, 0, "", false
		}
		labels = append(labels, strings.ToLower(string(q[p:p+l])))
		p += l
	}
	if p+4 > len(q) {
		return nil, "", 0, 0, "", false
	}
	qtype = binary.BigEndian.Uint16(q[p:])
	qclass := binary.BigEndian.Uint16(q[p+2:])
	p += 4
	qname = strings.Join(labels, ".")
	resp = append([]byte(nil), q[:p]...)
	flags := uint16(0x8400) | uint16(q[2]&0x01)<<8 // QR, AA, RD copied
	binary.BigEndian.PutUint16(resp[6:], 0)        // ANCOUNT
	binary.BigEndian.PutUint16(resp[8:], 0)        // NSCOUNT
	binary.BigEndian.PutUint16(resp[10:], 0)       // ARCOUNT
	ans = "-"
	switch {
	case qname != name || qclass != 1:
		rcode = 3 // NXDOMAIN
	case qtype == 1:
		binary.BigEndian.PutUint16(resp[6:], 1)
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, a[0], a[1], a[2], a[3])
		ans = netip.AddrFrom4(a).String()
	}
	binary.BigEndian.PutUint16(resp[2:], flags|uint16(rcode))
	return resp, qname, qtype, rcode, ans, true
}

// nagle runs the write-write-read requests. Log columns: request method uri status
// local_port nodelay duration_ms.
func nagle(addr string, n int, nodelay bool, out io.Writer) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	tc := c.(*net.TCPConn)
	if err := tc.SetNoDelay(nodelay); err != nil {
		log.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	lport := c.LocalAddr().(*net.TCPAddr).Port
	br := bufio.NewReader(c)
	body := "0123456789"
	for i := 1; i <= n; i++ {
		head := "POST /echo HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: segscope-testdata-teachpeer\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
		if i == n {
			head += "Connection: close\r\n"
		}
		head += "\r\n"
		t0 := time.Now()
		if _, err := io.WriteString(c, head); err != nil {
			log.Fatal(err)
		}
		if _, err := io.WriteString(c, body); err != nil {
			log.Fatal(err)
		}
		status, err := readResponse(br)
		if err != nil {
			log.Fatalf("request %d: %v", i, err)
		}
		fmt.Fprintf(out, "%d\tPOST\t/echo\t%d\t%d\t%t\t%.3f\n", i, status, lport, nodelay, float64(time.Since(t0))/1e6)
	}
}

// readResponse reads one response with a Content-Length body.
func readResponse(br *bufio.Reader) (int, error) {
	status, _, err := readResponseLen(br)
	return status, err
}

// readResponseLen reads one response with a Content-Length body; n is the body length.
func readResponseLen(br *bufio.Reader) (status int, n int64, err error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	status, _ = strconv.Atoi(f[1])
	cl := 0
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return 0, 0, err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "content-length") {
			cl, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	n, err = io.CopyN(io.Discard, br, int64(cl))
	return status, n, err
}

// get runs one GET from local port lport (SO_REUSEADDR set) and closes first.
func get(addr, path string, lport int, out io.Writer) {
	d := net.Dialer{
		Timeout:   5 * time.Second,
		LocalAddr: &net.TCPAddr{Port: lport},
		Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\nUser-Agent: segscope-testdata-teachpeer\r\n\r\n"); err != nil {
		log.Fatal(err)
	}
	br := bufio.NewReader(c)
	status, n, err := readResponseLen(br)
	if err != nil {
		log.Fatal(err)
	}
	c.Close()
	fmt.Fprintf(out, "%d\t%d\t%d\n", c.LocalAddr().(*net.TCPAddr).Port, status, n)
}
