package tlsrec

import (
	"crypto/tls"
	"testing"
)

// BenchmarkDecrypt replays a recorded 16 MiB download (handshake included) through a
// Conn with its key log: the throughput of the record layer and decryption on one core,
// in bytes of TCP stream per second.
func BenchmarkDecrypt(b *testing.B) {
	cases := []struct {
		name    string
		version uint16
		suite   uint16
	}{
		{"tls13-aes128gcm", tls.VersionTLS13, 0},
		{"tls12-aes128gcm", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{"tls12-aes256gcm", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{"tls12-chacha20", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
		{"tls12-cbc-sha", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		{"tls12-cbc-sha256", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			s := newSession(b, sessionOpts{version: tc.version, suite: tc.suite,
				reqs: []string{req("/big")}, respSize: 16 << 20})
			kl := mustKeyLog(b, s.keylog)
			total := 0
			for _, w := range s.writes {
				total += len(w.data)
			}
			h := &nopHandler{}
			c := NewConn(h, kl, Limits{})
			b.SetBytes(int64(total))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.Reset()
				h.n = 0
				var off [2]uint64
				for _, w := range s.writes {
					c.Feed(w.dir, off[w.dir], w.data, 1, 1)
					off[w.dir] += uint64(len(w.data))
				}
			}
			if h.n < 16<<20 {
				b.Fatalf("decrypted %d bytes", h.n)
			}
		})
	}
}
