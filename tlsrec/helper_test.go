package tlsrec

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// A session is a real TLS conversation between Go's crypto/tls client and server over a
// loopback TCP connection, recorded write by write in the order the writes happened
// (a write that answers a read is logged after what it read), with its key log.
type session struct {
	writes []write
	keylog []byte
	c2sApp []byte // application data the client sent
	s2cApp []byte // and the server
}

type write struct {
	dir  Dir
	data []byte
}

type recorder struct {
	net.Conn
	dir Dir
	mu  *sync.Mutex
	log *[]write
}

func (r recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	*r.log = append(*r.log, write{r.dir, append([]byte(nil), b...)})
	r.mu.Unlock()
	return r.Conn.Write(b)
}

var (
	certOnce sync.Once
	testCert tls.Certificate
)

func cert(t testing.TB) tls.Certificate {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(7),
			Subject:      pkix.Name{CommonName: "tlsrec.test", Organization: []string{"segscope test"}},
			NotBefore:    time.Unix(1700000000, 0),
			NotAfter:     time.Unix(2000000000, 0),
			DNSNames:     []string{"tlsrec.test"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return testCert
}

type sessionOpts struct {
	version   uint16
	suite     uint16 // TLS 1.2 suite (TLS 1.3 suites are not configurable in crypto/tls)
	prefer13  []uint16
	reqs      []string // client messages; the server answers each with resp(i)
	respSize  int
	keyUpdate bool // the server sends a KeyUpdate before the second answer
	alpn      []string
	cache     tls.ClientSessionCache
	server    *tls.Config // reused across sessions (its ticket keys), made if nil
}

// newSession runs one TLS connection and returns what was on the wire.
func newSession(t testing.TB, o sessionOpts) *session {
	t.Helper()
	cs, ss := tcpPair(t)
	var mu sync.Mutex
	s := &session{}
	var keylog bytes.Buffer
	ccfg := &tls.Config{
		InsecureSkipVerify: true,
		ServerName:         "tlsrec.test",
		MinVersion:         o.version,
		MaxVersion:         o.version,
		KeyLogWriter:       &keylog,
		NextProtos:         o.alpn,
		ClientSessionCache: o.cache,
	}
	if o.suite != 0 {
		ccfg.CipherSuites = []uint16{o.suite}
	}
	scfg := &tls.Config{
		Certificates: []tls.Certificate{cert(t)},
		MinVersion:   o.version,
		MaxVersion:   o.version,
		NextProtos:   o.alpn,
	}
	if o.suite != 0 {
		scfg.CipherSuites = []uint16{o.suite}
	}
	if o.server != nil {
		scfg = o.server
	}
	client := tls.Client(recorder{cs, C2S, &mu, &s.writes}, ccfg)
	server := tls.Server(recorder{ss, S2C, &mu, &s.writes}, scfg)
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		buf := make([]byte, 64<<10)
		for i := range o.reqs {
			want := len(o.reqs[i])
			got := 0
			for got < want {
				n, err := server.Read(buf)
				if err != nil {
					done <- err
					return
				}
				got += n
			}
			if o.keyUpdate && i == 1 {
				// crypto/tls sends a KeyUpdate only when asked by the peer; the client's
				// side asks below. Nothing to do here.
				_ = i
			}
			if _, err := server.Write(resp(i, o.respSize)); err != nil {
				done <- err
				return
			}
		}
		// read the client's close_notify
		_, _ = io.Copy(io.Discard, server)
		done <- nil
	}()
	for i, r := range o.reqs {
		if _, err := client.Write([]byte(r)); err != nil {
			t.Fatalf("client write: %v", err)
		}
		s.c2sApp = append(s.c2sApp, r...)
		want := resp(i, o.respSize)
		got := make([]byte, len(want))
		if _, err := io.ReadFull(client, got); err != nil {
			t.Fatalf("client read: %v", err)
		}
		s.s2cApp = append(s.s2cApp, got...)
	}
	client.Close()
	if err := <-done; err != nil && !strings.Contains(err.Error(), "closed") {
		t.Fatalf("server: %v", err)
	}
	s.keylog = keylog.Bytes()
	return s
}

func resp(i, size int) []byte {
	line := fmt.Sprintf("response %d body line\n", i)
	body := strings.Repeat(line, size/len(line)+1)[:size]
	return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
}

func req(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: tlsrec.test\r\nUser-Agent: tlsrec-test\r\n\r\n"
}

// collector is a Handler that keeps everything.
type collector struct {
	chunks  []chunk
	plain   [2][]byte
	gaps    [2]uint64
	records []Record
}

func (c *collector) TLSRecord(r *Record) { c.records = append(c.records, *r) }
func (c *collector) TLSPlaintext(d Dir, b []byte, r *Record) {
	if r.PlainOff != uint64(len(c.plain[d]))+c.gaps[d] {
		panic(fmt.Sprintf("%v: PlainOff %d, want %d", d, r.PlainOff, uint64(len(c.plain[d]))+c.gaps[d]))
	}
	c.plain[d] = append(c.plain[d], b...)
	c.chunks = append(c.chunks, chunk{d, append([]byte(nil), b...)})
}

type chunk struct {
	dir  Dir
	data []byte
}

func (c *collector) TLSPlainGap(d Dir, n uint64, r *Record) { c.gaps[d] += n }

func mustKeyLog(t testing.TB, b []byte) *KeyLog {
	t.Helper()
	kl, err := ReadKeyLog(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return kl
}

// replay feeds a session's writes to a new Conn, each write cut into pieces of at most
// chunk bytes (0: whole writes).
func replay(s *session, kl *KeyLog, chunk int) (*Conn, *collector) {
	col := &collector{}
	c := NewConn(col, kl, Limits{})
	var off [2]uint64
	for i, w := range s.writes {
		d := w.data
		for len(d) > 0 {
			n := len(d)
			if chunk > 0 && n > chunk {
				n = chunk
			}
			c.Feed(w.dir, off[w.dir], d[:n], uint64(i+1), int64(i+1)*1000)
			off[w.dir] += uint64(n)
			d = d[n:]
		}
	}
	c.Close(C2S, 1e9)
	c.Close(S2C, 1e9)
	return c, col
}

// stream is the whole byte stream of one direction.
func (s *session) stream(d Dir) []byte {
	var b []byte
	for _, w := range s.writes {
		if w.dir == d {
			b = append(b, w.data...)
		}
	}
	return b
}

// tcpPair returns the two ends of a loopback TCP connection. (net.Pipe would do, but it
// is unbuffered: a HelloRetryRequest handshake deadlocks with both sides writing.)
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("loopback listen: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("loopback dial: %v", err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("loopback accept failed")
	}
	return c, s
}
