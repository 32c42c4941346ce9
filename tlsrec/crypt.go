package tlsrec

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"hash"

	// ChaCha20-Poly1305 is not in the standard library's public API (only vendored
	// inside crypto/tls); golang.org/x/crypto is the Go project's own module for it.
	"golang.org/x/crypto/chacha20poly1305"
)

type cipherKind uint8

const (
	kindNone cipherKind = iota
	kindGCM
	kindChaCha
	kindCBC
)

// suiteInfo is what decryption needs to know of a cipher suite.
type suiteInfo struct {
	kind   cipherKind
	keyLen int
	mac    crypto.Hash // CBC suites: the HMAC hash
	prf    crypto.Hash // TLS 1.2: the PRF hash; TLS 1.3: the HKDF hash
	tls13  bool
}

func (s suiteInfo) macLen() int {
	if s.kind != kindCBC {
		return 0
	}
	return s.mac.Size()
}

// fixedIVLen is the TLS 1.2 key block's IV length for the suite (RFC 5288, RFC 7905;
// CBC suites carry their IV in each record).
func (s suiteInfo) fixedIVLen() int {
	switch s.kind {
	case kindGCM:
		return 4
	case kindChaCha:
		return 12
	}
	return 0
}

// suites lists the cipher suites tlsrec decrypts.
var suites = map[Suite]suiteInfo{
	// TLS 1.3 (RFC 8446 §B.4)
	0x1301: {kindGCM, 16, 0, crypto.SHA256, true},
	0x1302: {kindGCM, 32, 0, crypto.SHA384, true},
	0x1303: {kindChaCha, 32, 0, crypto.SHA256, true},
	// TLS 1.2 AES-GCM (RFC 5288, RFC 5289)
	0x009C: {kindGCM, 16, 0, crypto.SHA256, false}, // RSA_WITH_AES_128_GCM_SHA256
	0x009D: {kindGCM, 32, 0, crypto.SHA384, false},
	0x009E: {kindGCM, 16, 0, crypto.SHA256, false}, // DHE_RSA
	0x009F: {kindGCM, 32, 0, crypto.SHA384, false},
	0xC02B: {kindGCM, 16, 0, crypto.SHA256, false}, // ECDHE_ECDSA
	0xC02C: {kindGCM, 32, 0, crypto.SHA384, false},
	0xC02F: {kindGCM, 16, 0, crypto.SHA256, false}, // ECDHE_RSA
	0xC030: {kindGCM, 32, 0, crypto.SHA384, false},
	// TLS 1.2 ChaCha20-Poly1305 (RFC 7905)
	0xCCA8: {kindChaCha, 32, 0, crypto.SHA256, false}, // ECDHE_RSA
	0xCCA9: {kindChaCha, 32, 0, crypto.SHA256, false}, // ECDHE_ECDSA
	0xCCAA: {kindChaCha, 32, 0, crypto.SHA256, false}, // DHE_RSA
	// TLS 1.2 AES-CBC with HMAC-SHA1 (RFC 5246, RFC 4492)
	0x002F: {kindCBC, 16, crypto.SHA1, crypto.SHA256, false}, // RSA_WITH_AES_128_CBC_SHA
	0x0035: {kindCBC, 32, crypto.SHA1, crypto.SHA256, false},
	0x0033: {kindCBC, 16, crypto.SHA1, crypto.SHA256, false}, // DHE_RSA
	0x0039: {kindCBC, 32, crypto.SHA1, crypto.SHA256, false},
	0xC009: {kindCBC, 16, crypto.SHA1, crypto.SHA256, false}, // ECDHE_ECDSA
	0xC00A: {kindCBC, 32, crypto.SHA1, crypto.SHA256, false},
	0xC013: {kindCBC, 16, crypto.SHA1, crypto.SHA256, false}, // ECDHE_RSA
	0xC014: {kindCBC, 32, crypto.SHA1, crypto.SHA256, false},
	// TLS 1.2 AES-CBC with HMAC-SHA256/384 (RFC 5246, RFC 5289)
	0x003C: {kindCBC, 16, crypto.SHA256, crypto.SHA256, false}, // RSA_WITH_AES_128_CBC_SHA256
	0x003D: {kindCBC, 32, crypto.SHA256, crypto.SHA256, false},
	0x0067: {kindCBC, 16, crypto.SHA256, crypto.SHA256, false}, // DHE_RSA
	0x006B: {kindCBC, 32, crypto.SHA256, crypto.SHA256, false},
	0xC023: {kindCBC, 16, crypto.SHA256, crypto.SHA256, false}, // ECDHE_ECDSA
	0xC024: {kindCBC, 32, crypto.SHA384, crypto.SHA384, false},
	0xC027: {kindCBC, 16, crypto.SHA256, crypto.SHA256, false}, // ECDHE_RSA
	0xC028: {kindCBC, 32, crypto.SHA384, crypto.SHA384, false},
}

func hashNew(h crypto.Hash) func() hash.Hash {
	switch h {
	case crypto.SHA1:
		return sha1.New
	case crypto.SHA384:
		return sha512.New384
	}
	return sha256.New
}

// expandLabel is HKDF-Expand-Label of RFC 8446 §7.1 with an empty context.
func expandLabel(h crypto.Hash, secret []byte, label string, n int) []byte {
	var info [2 + 1 + 6 + 32 + 1]byte
	binary.BigEndian.PutUint16(info[:2], uint16(n))
	info[2] = byte(6 + len(label))
	m := 3 + copy(info[3:], "tls13 ")
	m += copy(info[m:], label)
	info[m] = 0 // context length
	out, err := hkdf.Expand(hashNew(h), secret, string(info[:m+1]), n)
	if err != nil {
		return nil // n is at most 255*hash size here: cannot happen
	}
	return out
}

// prf12 is the TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label || seed).
func prf12(h crypto.Hash, secret []byte, label string, seed []byte, n int) []byte {
	mac := hmac.New(hashNew(h), secret)
	ls := append([]byte(label), seed...)
	out := make([]byte, 0, n+mac.Size())
	mac.Write(ls)
	a := mac.Sum(nil) // A(1)
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
	return out[:n]
}

// cipherState decrypts one direction's records under one set of keys.
type cipherState struct {
	kind   cipherKind
	tls13  bool
	etm    bool // TLS 1.2 CBC with encrypt_then_mac (RFC 7366)
	aead   cipher.AEAD
	block  cipher.Block
	cbc    cipher.BlockMode
	mac    hash.Hash
	macLen int
	iv     [12]byte
	seq    uint64
	suite  suiteInfo
	secret []byte // TLS 1.3 traffic secret, for KeyUpdate
	ad     [13]byte
	nonce  [12]byte
	macBuf [64]byte
}

// overhead is the fixed bytes a record adds to its plaintext under this state:
// explicit nonce and tag (AEAD), or IV, MAC and at least one padding byte (CBC), plus
// the TLS 1.3 inner content type.
func (c *cipherState) overhead() int {
	switch c.kind {
	case kindGCM:
		if c.tls13 {
			return 16 + 1
		}
		return 8 + 16
	case kindChaCha:
		if c.tls13 {
			return 16 + 1
		}
		return 16
	case kindCBC:
		return aes.BlockSize + c.macLen + 1
	}
	return 0
}

func newAEAD(kind cipherKind, key []byte) cipher.AEAD {
	if kind == kindChaCha {
		a, err := chacha20poly1305.New(key)
		if err != nil {
			return nil
		}
		return a
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil
	}
	return a
}

// newState13 returns the TLS 1.3 state for a traffic secret.
func newState13(s suiteInfo, secret []byte) *cipherState {
	key := expandLabel(s.prf, secret, "key", s.keyLen)
	iv := expandLabel(s.prf, secret, "iv", 12)
	c := &cipherState{kind: s.kind, tls13: true, suite: s, secret: secret}
	if c.aead = newAEAD(s.kind, key); c.aead == nil {
		return nil
	}
	copy(c.iv[:], iv)
	return c
}

// keyUpdate moves a TLS 1.3 state to the next generation of its traffic secret.
func (c *cipherState) keyUpdate() *cipherState {
	next := expandLabel(c.suite.prf, c.secret, "traffic upd", c.suite.prf.Size())
	return newState13(c.suite, next)
}

// newStates12 derives both directions' TLS 1.2 states from the master secret (RFC 5246
// §6.3). With extended master secret (RFC 7627) only the master secret's derivation
// differs; the key log gives the master secret itself, so nothing changes here.
func newStates12(s suiteInfo, master []byte, clientRandom, serverRandom []byte, etm bool) (client, server *cipherState) {
	macLen := s.macLen()
	ivLen := s.fixedIVLen()
	seed := make([]byte, 0, 64)
	seed = append(append(seed, serverRandom...), clientRandom...)
	kb := prf12(s.prf, master, "key expansion", seed, 2*(macLen+s.keyLen+ivLen))
	cMac, kb := kb[:macLen], kb[macLen:]
	sMac, kb := kb[:macLen], kb[macLen:]
	cKey, kb := kb[:s.keyLen], kb[s.keyLen:]
	sKey, kb := kb[:s.keyLen], kb[s.keyLen:]
	cIV, sIV := kb[:ivLen], kb[ivLen:2*ivLen]
	mk := func(key, macKey, iv []byte) *cipherState {
		c := &cipherState{kind: s.kind, suite: s, etm: etm, macLen: macLen}
		copy(c.iv[:], iv)
		if s.kind == kindCBC {
			b, err := aes.NewCipher(key)
			if err != nil {
				return nil
			}
			c.block = b
			c.cbc = cipher.NewCBCDecrypter(b, make([]byte, aes.BlockSize))
			c.mac = hmac.New(hashNew(s.mac), macKey)
			return c
		}
		if c.aead = newAEAD(s.kind, key); c.aead == nil {
			return nil
		}
		return c
	}
	return mk(cKey, cMac, cIV), mk(sKey, sMac, sIV)
}

type ivSetter interface{ SetIV([]byte) }

// open decrypts one record's fragment into dst (reused, capacity at least len(body)),
// and returns the plaintext and, for TLS 1.3, the inner content type. ok is false when
// the record fails authentication or is malformed. The sequence number advances either
// way: the sender used it.
func (c *cipherState) open(dst []byte, hdr *[5]byte, body []byte) (plain []byte, inner ContentType, ok bool) {
	seq := c.seq
	c.seq++
	typ := ContentType(hdr[0])
	switch {
	case c.tls13:
		if len(body) < c.aead.Overhead()+1 {
			return nil, 0, false
		}
		c.nonce = c.iv
		for i := 0; i < 8; i++ {
			c.nonce[4+i] ^= byte(seq >> (56 - 8*i))
		}
		p, err := c.aead.Open(dst[:0], c.nonce[:], body, hdr[:])
		if err != nil {
			return nil, 0, false
		}
		// strip the zero padding; the last non-zero byte is the real content type
		i := len(p) - 1
		for i >= 0 && p[i] == 0 {
			i--
		}
		if i < 0 {
			return nil, 0, false
		}
		return p[:i], ContentType(p[i]), true
	case c.kind == kindGCM:
		if len(body) < 8+16 {
			return nil, 0, false
		}
		copy(c.nonce[:4], c.iv[:4])
		copy(c.nonce[4:], body[:8])
		c.setAD(seq, typ, hdr, len(body)-8-16)
		p, err := c.aead.Open(dst[:0], c.nonce[:], body[8:], c.ad[:])
		return p, typ, err == nil
	case c.kind == kindChaCha:
		if len(body) < 16 {
			return nil, 0, false
		}
		c.nonce = c.iv
		for i := 0; i < 8; i++ {
			c.nonce[4+i] ^= byte(seq >> (56 - 8*i))
		}
		c.setAD(seq, typ, hdr, len(body)-16)
		p, err := c.aead.Open(dst[:0], c.nonce[:], body, c.ad[:])
		return p, typ, err == nil
	case c.kind == kindCBC:
		return c.openCBC(dst, seq, typ, hdr, body)
	}
	return nil, 0, false
}

func (c *cipherState) setAD(seq uint64, typ ContentType, hdr *[5]byte, n int) {
	binary.BigEndian.PutUint64(c.ad[:8], seq)
	c.ad[8] = byte(typ)
	c.ad[9], c.ad[10] = hdr[1], hdr[2]
	binary.BigEndian.PutUint16(c.ad[11:], uint16(n))
}

func (c *cipherState) macOf(seq uint64, typ ContentType, hdr *[5]byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	c.setAD(seq, typ, hdr, n)
	c.mac.Reset()
	c.mac.Write(c.ad[:])
	for _, p := range parts {
		c.mac.Write(p)
	}
	return c.mac.Sum(c.macBuf[:0])
}

// openCBC handles TLS 1.1/1.2 block-cipher records (explicit IV), MAC-then-encrypt
// (RFC 5246 §6.2.3.2) or encrypt-then-MAC (RFC 7366).
func (c *cipherState) openCBC(dst []byte, seq uint64, typ ContentType, hdr *[5]byte, body []byte) ([]byte, ContentType, bool) {
	const bs = aes.BlockSize
	if c.etm {
		if len(body) < bs+bs+c.macLen {
			return nil, 0, false
		}
		ct, tag := body[:len(body)-c.macLen], body[len(body)-c.macLen:]
		if (len(ct)-bs)%bs != 0 {
			return nil, 0, false
		}
		if subtle.ConstantTimeCompare(c.macOf(seq, typ, hdr, ct), tag) != 1 {
			return nil, 0, false
		}
		p := dst[:len(ct)-bs]
		c.cbc.(ivSetter).SetIV(ct[:bs])
		c.cbc.CryptBlocks(p, ct[bs:])
		pad := int(p[len(p)-1])
		if pad+1 > len(p) {
			return nil, 0, false
		}
		return p[:len(p)-pad-1], typ, true
	}
	if len(body) < bs+bs || (len(body)-bs)%bs != 0 || len(body)-bs < c.macLen+1 {
		return nil, 0, false
	}
	p := dst[:len(body)-bs]
	c.cbc.(ivSetter).SetIV(body[:bs])
	c.cbc.CryptBlocks(p, body[bs:])
	pad := int(p[len(p)-1])
	if pad+1+c.macLen > len(p) {
		return nil, 0, false
	}
	for _, b := range p[len(p)-pad-1:] {
		if int(b) != pad {
			return nil, 0, false
		}
	}
	content := p[:len(p)-pad-1-c.macLen]
	tag := p[len(content) : len(content)+c.macLen]
	if subtle.ConstantTimeCompare(c.macOf(seq, typ, hdr, content), tag) != 1 {
		return nil, 0, false
	}
	return content, typ, true
}
