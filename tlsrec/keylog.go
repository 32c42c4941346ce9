package tlsrec

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Secrets are the key log's secrets of one TLS session, found by its client random.
// A nil slice is a secret the log did not have.
type Secrets struct {
	Master          []byte // CLIENT_RANDOM: the TLS 1.2 (and earlier) master secret, 48 bytes
	ClientEarly     []byte // CLIENT_EARLY_TRAFFIC_SECRET (TLS 1.3 0-RTT)
	ClientHandshake []byte // CLIENT_HANDSHAKE_TRAFFIC_SECRET
	ServerHandshake []byte // SERVER_HANDSHAKE_TRAFFIC_SECRET
	ClientTraffic   []byte // CLIENT_TRAFFIC_SECRET_0
	ServerTraffic   []byte // SERVER_TRAFFIC_SECRET_0
	Exporter        []byte // EXPORTER_SECRET (kept, not needed to decrypt)
}

// KeyLog holds the secrets of an NSS key log file (the SSLKEYLOGFILE format that
// browsers, curl, OpenSSL and Go's crypto/tls write): one "LABEL CLIENT_RANDOM SECRET"
// line per secret, hex encoded, # comments. It is read once; lookups do not allocate.
type KeyLog struct {
	m map[[32]byte]*Secrets
	// Skipped counts lines with labels tlsrec does not use (RSA, EARLY_EXPORTER_SECRET, …).
	Skipped int
}

// maxKeyLogLine bounds one line of a key log: the longest real line (a 48-byte secret
// of TLS 1.3 with SHA-384) is 32 + 64 + 96 characters and a label.
const maxKeyLogLine = 4096

// ErrKeyLog is wrapped by every error of ReadKeyLog.
var ErrKeyLog = errors.New("tlsrec: bad key log")

var knownLabel = map[string]bool{
	"CLIENT_RANDOM": true, "CLIENT_EARLY_TRAFFIC_SECRET": true, "CLIENT_HANDSHAKE_TRAFFIC_SECRET": true,
	"SERVER_HANDSHAKE_TRAFFIC_SECRET": true, "CLIENT_TRAFFIC_SECRET_0": true,
	"SERVER_TRAFFIC_SECRET_0": true, "EXPORTER_SECRET": true,
}

// ReadKeyLog reads an NSS key log. A line that is not LABEL SPACE 64-hex SPACE hex is an
// error naming its line number; a label tlsrec does not know is skipped and counted.
func ReadKeyLog(r io.Reader) (*KeyLog, error) {
	kl := &KeyLog{m: map[[32]byte]*Secrets{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxKeyLogLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: want LABEL CLIENT_RANDOM SECRET, got %d fields", ErrKeyLog, n, len(f))
		}
		var dst *[]byte
		if !knownLabel[f[0]] {
			kl.Skipped++
			continue
		}
		s := kl.get(f[1])
		if s == nil {
			return nil, fmt.Errorf("%w: line %d: client random of %s is not 64 hex digits", ErrKeyLog, n, f[0])
		}
		switch f[0] {
		case "CLIENT_RANDOM":
			dst = &s.Master
		case "CLIENT_EARLY_TRAFFIC_SECRET":
			dst = &s.ClientEarly
		case "CLIENT_HANDSHAKE_TRAFFIC_SECRET":
			dst = &s.ClientHandshake
		case "SERVER_HANDSHAKE_TRAFFIC_SECRET":
			dst = &s.ServerHandshake
		case "CLIENT_TRAFFIC_SECRET_0":
			dst = &s.ClientTraffic
		case "SERVER_TRAFFIC_SECRET_0":
			dst = &s.ServerTraffic
		case "EXPORTER_SECRET":
			dst = &s.Exporter
		}
		b, err := hex.DecodeString(f[2])
		if err != nil || len(b) < 16 || len(b) > 64 {
			return nil, fmt.Errorf("%w: line %d: %s secret is not 32 to 128 hex digits", ErrKeyLog, n, f[0])
		}
		if f[0] == "CLIENT_RANDOM" && len(b) != 48 {
			return nil, fmt.Errorf("%w: line %d: CLIENT_RANDOM master secret is %d bytes, want 48", ErrKeyLog, n, len(b))
		}
		*dst = b
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: a line longer than %d bytes", ErrKeyLog, maxKeyLogLine)
		}
		return nil, fmt.Errorf("%w: %v", ErrKeyLog, err)
	}
	return kl, nil
}

func (kl *KeyLog) get(cr string) *Secrets {
	var k [32]byte
	if len(cr) != 64 {
		return nil
	}
	if _, err := hex.Decode(k[:], []byte(cr)); err != nil {
		return nil
	}
	s := kl.m[k]
	if s == nil {
		s = &Secrets{}
		kl.m[k] = s
	}
	return s
}

// Lookup returns the secrets of the session with this client random, or nil.
func (kl *KeyLog) Lookup(clientRandom [32]byte) *Secrets {
	if kl == nil {
		return nil
	}
	return kl.m[clientRandom]
}

// Len is the number of sessions in the log.
func (kl *KeyLog) Len() int {
	if kl == nil {
		return 0
	}
	return len(kl.m)
}

// Add records secrets for a client random (tests, and programs that hold keys already).
func (kl *KeyLog) Add(clientRandom [32]byte, s Secrets) {
	if kl.m == nil {
		kl.m = map[[32]byte]*Secrets{}
	}
	c := s
	kl.m[clientRandom] = &c
}
