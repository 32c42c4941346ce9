// Command httpsrv is the Go side of segscope's test-data generator: a small
// net/http server producing the HTTP/1.x shapes nginx cannot (100 Continue,
// chunked responses with trailers, HTTP/1.0 close-delimited bodies,
// WebSocket upgrade, a reset in the middle of a response) and, with -proxy,
// a CONNECT forward proxy.
//
// Every exchange is logged as one tab-separated line, in the same column
// order as the nginx log_format used by testdata/pcaps/make-captures.sh:
//
//	connection  connection_requests  remote_port  server_port  method  uri  status  resp_body_len  req_body_len  note
//
// connection is a 1-based serial in accept order, connection_requests the
// 1-based request number on that connection, resp_body_len the body bytes
// the handler wrote (after chunked framing is removed, before any
// content-coding is undone) and req_body_len the body bytes the handler read.
package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type connInfo struct {
	id    int64
	lport string
	reqs  atomic.Int64
}

type ctxKey struct{}

var (
	connSerial atomic.Int64
	logMu      sync.Mutex
	logOut     io.Writer = os.Stdout
)

func logLine(ci *connInfo, n int64, r *http.Request, status int, respLen, reqLen int64, note string) {
	_, port, _ := net.SplitHostPort(r.RemoteAddr)
	if note == "" {
		note = "-"
	}
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(logOut, "%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", ci.id, n, port, ci.lport, r.Method, r.RequestURI, status, respLen, reqLen, note)
	if f, ok := logOut.(*os.File); ok {
		f.Sync()
	}
}

// body returns n bytes of deterministic text.
func body(n int) []byte {
	var b strings.Builder
	for i := 1; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %06d of the segscope test body: the quick brown fox jumps over the lazy dog\n", i)
	}
	return []byte(b.String()[:n])
}

type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
func (c *countingReader) Close() error { return c.r.Close() }

type recorder struct {
	http.ResponseWriter
	status   int
	n        int64
	hijacked bool
}

func (w *recorder) WriteHeader(s int) {
	if w.status == 0 || s < 200 {
		if s >= 200 {
			w.status = s
		}
	}
	w.ResponseWriter.WriteHeader(s)
}
func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}
func (w *recorder) Flush() { w.ResponseWriter.(http.Flusher).Flush() }
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.ResponseWriter.(http.Hijacker).Hijack()
}
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hijackedLog lets a hijacking handler report what it did.
type hijackedLog struct {
	status    int
	resp, req int64
	note      string
}

type hlKey struct{}

func wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ci := r.Context().Value(ctxKey{}).(*connInfo)
		n := ci.reqs.Add(1)
		cr := &countingReader{r: r.Body}
		r.Body = cr
		hl := &hijackedLog{}
		r = r.WithContext(context.WithValue(r.Context(), hlKey{}, hl))
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.hijacked {
			logLine(ci, n, r, hl.status, hl.resp, hl.req, hl.note)
			return
		}
		st := rec.status
		if st == 0 {
			st = 200
		}
		resp := rec.n
		if r.Method == http.MethodHead {
			resp = 0
		}
		note := hl.note
		if r.Header.Get("Expect") != "" {
			note = strings.TrimPrefix(note+",expect:"+strings.ToLower(r.Header.Get("Expect")), ",")
			if strings.EqualFold(r.Header.Get("Expect"), "100-continue") && cr.n > 0 {
				// net/http wrote "100 Continue" when the handler first read the body
				note += ",interim:100"
			}
		}
		if len(r.TransferEncoding) > 0 {
			note = strings.TrimPrefix(note+",req_te:"+strings.Join(r.TransferEncoding, ","), ",")
		}
		logLine(ci, n, r, st, resp, cr.n, note)
	})
}

func echo(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "received %d bytes\n", n)
}

func trailers(w http.ResponseWriter, r *http.Request) {
	r.Context().Value(hlKey{}).(*hijackedLog).note = "resp_te:chunked,trailers:X-Body-Length,X-Checksum"
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Trailer", "X-Body-Length, X-Checksum")
	b := body(20000)
	var sum uint32
	for i := 0; i < len(b); i += 4000 {
		w.Write(b[i : i+4000])
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range b {
		sum = sum*31 + uint32(c)
	}
	w.Header().Set("X-Body-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Checksum", fmt.Sprintf("%08x", sum))
}

// stream writes a body without Content-Length. For an HTTP/1.0 request
// net/http cannot use chunked encoding, so it closes the connection to
// delimit the body.
func stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	b := body(12000)
	for i := 0; i < len(b); i += 4000 {
		w.Write(b[i : i+4000])
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
	}
}

// reset sends a response head promising 100000 bytes, 30000 bytes of body,
// and then aborts the connection with SO_LINGER 0 (RST).
func reset(w http.ResponseWriter, r *http.Request) {
	hl := r.Context().Value(hlKey{}).(*hijackedLog)
	c, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	b := body(30000)
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
	bw.Write(b)
	bw.Flush()
	time.Sleep(300 * time.Millisecond) // let every byte reach the wire and be acked
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	*hl = hijackedLog{status: 200, resp: int64(len(b)), note: "truncated:content_length=100000,server_rst"}
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsFrame(op byte, payload []byte) []byte {
	f := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		f = append(f, byte(n))
	case n < 65536:
		f = append(f, 126, byte(n>>8), byte(n))
	default:
		f = append(f, 127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	return append(f, payload...)
}

func wsRead(r *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	op = h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(r, e[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(r, e[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	var mask [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err = io.ReadFull(r, mask[:]); err != nil {
			return
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	if masked {
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
	}
	return
}

// ws performs the RFC 6455 handshake, echoes text frames, sends one larger
// binary frame after the first message, and answers a close frame.
func ws(w http.ResponseWriter, r *http.Request) {
	hl := r.Context().Value(hlKey{}).(*hijackedLog)
	key := r.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || key == "" {
		http.Error(w, "websocket upgrade required", http.StatusBadRequest)
		return
	}
	c, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	h := sha1.Sum([]byte(key + wsGUID))
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(h[:]))
	brw.Flush()
	*hl = hijackedLog{status: 101, note: "upgrade:websocket"}
	first := true
	for {
		op, p, err := wsRead(brw.Reader)
		if err != nil {
			return
		}
		switch op {
		case 0x1, 0x2:
			c.Write(wsFrame(op, p))
			if first {
				c.Write(wsFrame(0x2, body(3000)))
				first = false
			}
		case 0x8:
			c.Write(wsFrame(0x8, p))
			return
		case 0x9:
			c.Write(wsFrame(0xA, p))
		}
	}
}

// connect implements a minimal CONNECT forward proxy.
func connect(w http.ResponseWriter, r *http.Request) {
	hl := r.Context().Value(hlKey{}).(*hijackedLog)
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT", http.StatusMethodNotAllowed)
		return
	}
	up, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	c, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	*hl = hijackedLog{status: 200, note: "tunnel"}
	done := make(chan struct{}, 2)
	go func() {
		// bytes the client sent right after the CONNECT head are buffered in brw
		io.Copy(up, brw.Reader)
		up.(*net.TCPConn).CloseWrite()
		done <- struct{}{}
	}()
	go func() {
		io.Copy(c, up)
		c.(*net.TCPConn).CloseWrite()
		done <- struct{}{}
	}()
	<-done
	<-done
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "comma-separated listen addresses")
	logPath := flag.String("log", "", "access log file (default stdout)")
	proxy := flag.Bool("proxy", false, "act as a CONNECT proxy instead of the test server")
	flag.Parse()
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		logOut = f
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/upload", echo)
	mux.HandleFunc("/trailers", trailers)
	mux.HandleFunc("/stream", stream)
	mux.HandleFunc("/reset", reset)
	mux.HandleFunc("/ws", ws)
	var h http.Handler = mux
	if *proxy {
		h = http.HandlerFunc(connect)
	}
	srv := &http.Server{
		Handler: wrap(h),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			_, lport, _ := net.SplitHostPort(c.LocalAddr().String())
			return context.WithValue(ctx, ctxKey{}, &connInfo{id: connSerial.Add(1), lport: lport})
		},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(os.Stderr, "httpsrv: ", 0),
	}
	var wg sync.WaitGroup
	for _, a := range strings.Split(*listen, ",") {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			log.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); log.Print(srv.Serve(ln)) }()
	}
	fmt.Fprintln(os.Stderr, "httpsrv: ready")
	wg.Wait()
}
