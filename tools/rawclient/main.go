// Command rawclient drives request shapes curl cannot produce, over a plain
// net.Conn, for testdata/pcaps/make-captures.sh:
//
//	-mode pipeline  write several requests with a single write() and read the
//	                responses until the server closes; with -separate, one write()
//	                (one TCP segment, Nagle off) per request, all before any response
//	-mode ws        WebSocket handshake, one masked text frame, a ping, a close
//	-mode abort     send a GET, read -abort-after bytes, reset the connection
//	                (SO_LINGER 0) while the response is still arriving
//
// It prints what it received to stdout (summaries, never a parse of HTTP
// framing beyond what the mode needs).
package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:80", "server address")
	host := flag.String("host", "", "Host header (default: addr)")
	mode := flag.String("mode", "pipeline", "pipeline, ws or abort")
	paths := flag.String("paths", "GET /,HEAD /,GET /", "pipeline: comma-separated METHOD PATH list; the last request carries Connection: close")
	path := flag.String("path", "/", "ws/abort: request path")
	abortAfter := flag.Int("abort-after", 20000, "abort: bytes to read before resetting")
	separate := flag.Bool("separate", false, "pipeline: one write() per request")
	flag.Parse()
	if *host == "" {
		*host = *addr
	}
	c, err := net.DialTimeout("tcp", *addr, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	switch *mode {
	case "pipeline":
		pipeline(c, *host, strings.Split(*paths, ","), *separate)
	case "ws":
		ws(c, *host, *path)
	case "abort":
		abort(c, *host, *path, *abortAfter)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}

func pipeline(c net.Conn, host string, reqs []string, separate bool) {
	var b strings.Builder
	for i, r := range reqs {
		start := b.Len()
		fmt.Fprintf(&b, "%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: segscope-testdata-rawclient\r\nAccept: */*\r\n", r, host)
		if i == len(reqs)-1 {
			b.WriteString("Connection: close\r\n")
		}
		b.WriteString("\r\n")
		if separate { // its own write(): its own segment (Go sets TCP_NODELAY)
			if _, err := io.WriteString(c, b.String()[start:]); err != nil {
				log.Fatal(err)
			}
		}
	}
	how := "in one write"
	if separate {
		how = "one write each"
	} else if _, err := io.WriteString(c, b.String()); err != nil { // one write() for all requests
		log.Fatal(err)
	}
	n, err := io.Copy(io.Discard, c)
	fmt.Printf("pipeline: wrote %d requests (%d bytes) %s, read %d bytes, err=%v\n", len(reqs), b.Len(), how, n, err)
}

func frame(op byte, payload []byte, mask [4]byte) []byte {
	f := []byte{0x80 | op}
	n := len(payload)
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 65536:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		log.Fatal("frame too large")
	}
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var e [2]byte
		if _, err := io.ReadFull(r, e[:]); err != nil {
			return 0, nil, err
		}
		n = int(e[0])<<8 | int(e[1])
	} else if n == 127 {
		return 0, nil, fmt.Errorf("64-bit length not supported")
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return h[0] & 0x0f, p, err
}

func ws(c net.Conn, host, path string) {
	// Fixed key and masks keep the capture's payload bytes deterministic.
	key := base64.StdEncoding.EncodeToString([]byte("segscope-ws-key!"))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: segscope-testdata-rawclient\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host, key)
	br := bufio.NewReader(c)
	status, err := br.ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ws: status line %q\n", strings.TrimSpace(status))
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	want := base64.StdEncoding.EncodeToString(h[:])
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			log.Fatal(err)
		}
		if l == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Accept") && strings.TrimSpace(v) != want {
			log.Fatalf("bad accept %q", v)
		}
	}
	c.Write(frame(0x1, []byte("hello from segscope"), [4]byte{0x12, 0x34, 0x56, 0x78}))
	for i := 0; i < 2; i++ {
		op, p, err := readFrame(br)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("ws: frame op=%d len=%d\n", op, len(p))
	}
	time.Sleep(50 * time.Millisecond)
	c.Write(frame(0x9, []byte("ping"), [4]byte{1, 2, 3, 4}))
	op, p, err := readFrame(br)
	fmt.Printf("ws: frame op=%d len=%d err=%v\n", op, len(p), err)
	time.Sleep(50 * time.Millisecond)
	c.Write(frame(0x8, []byte{0x03, 0xe8}, [4]byte{9, 8, 7, 6})) // close, 1000
	op, p, err = readFrame(br)
	fmt.Printf("ws: frame op=%d len=%d err=%v\n", op, len(p), err)
	n, _ := io.Copy(io.Discard, br)
	fmt.Printf("ws: %d bytes after close, then EOF\n", n)
	c.Close()
}

func abort(c net.Conn, host, path string, after int) {
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: segscope-testdata-rawclient\r\nAccept: */*\r\n\r\n", path, host)
	n, err := io.ReadAtLeast(c, make([]byte, after+65536), after)
	fmt.Printf("abort: read %d bytes (err=%v), resetting\n", n, err)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	os.Exit(0)
}
