package http1

const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// maxSniff caps the bytes buffered to read a TLS ClientHello.
const maxSniff = 32 << 10

type sniffResult uint8

const (
	sniffMore sniffResult = iota // undecided, need more bytes
	sniffHTTP                    // not TLS nor HTTP/2: parse as HTTP/1.x
	sniffTLS
	sniffH2
)

func sniffProto(b []byte) sniffResult {
	if len(b) == 0 {
		return sniffMore
	}
	if b[0] == 0x16 {
		if len(b) >= 2 && b[1] != 0x03 {
			return sniffHTTP
		}
		if len(b) >= 3 {
			if b[2] <= 0x04 {
				return sniffTLS
			}
			return sniffHTTP
		}
		return sniffMore
	}
	n := len(b)
	if n > len(h2Preface) {
		n = len(h2Preface)
	}
	if string(b[:n]) != h2Preface[:n] {
		return sniffHTTP
	}
	if n < len(h2Preface) {
		return sniffMore
	}
	return sniffH2
}

// sniffFeed buffers the first client bytes until TLS and the HTTP/2 preface
// are ruled in or out. It returns the bytes to parse as HTTP/1.x, or nil.
func (p *Parser) sniffFeed(h *half, data []byte) []byte {
	buf := data
	if len(h.sniff) > 0 {
		h.sniff = append(h.sniff, data...)
		buf = h.sniff
	}
	if h.sniffTLS {
		return p.sniffSNI(h, buf, data)
	}
	switch sniffProto(buf) {
	case sniffMore:
		if len(h.sniff) == 0 {
			h.sniff = append(h.sniff, data...)
		}
		return nil
	case sniffTLS:
		p.proto = ProtoTLS
		h.sniffTLS = true
		p.kill()
		return p.sniffSNI(h, buf, data)
	case sniffH2:
		p.proto = ProtoHTTP2
		p.kill()
		h.sniffing = false
		h.off += uint64(len(buf))
		h.sniff = h.sniff[:0]
		return nil
	}
	h.sniffing = false
	if len(h.sniff) > len(data) {
		// Parse the bytes held from earlier calls as carried by the frame
		// that brought the first of them.
		old := h.sniff[:len(h.sniff)-len(data)]
		h.sniff = nil
		fr, ts, ak := p.frame, p.ts, p.ack
		p.frame, p.ts, p.ack = h.sniffFr, h.sniffTS, h.sniffAck
		p.run(h, old)
		p.frame, p.ts, p.ack = fr, ts, ak
	}
	return data
}

func (p *Parser) sniffSNI(h *half, buf, data []byte) []byte {
	sni, res := clientHelloSNI(buf)
	if res == helloMore && len(buf) < maxSniff {
		if len(h.sniff) == 0 {
			h.sniff = append(h.sniff, data...)
		}
		return nil
	}
	p.sni = sni
	h.sniffing = false
	h.off += uint64(len(buf))
	h.sniff = h.sniff[:0]
	return nil
}

type helloResult uint8

const (
	helloMore helloResult = iota
	helloDone
	helloBad
)

// clientHelloSNI extracts the host_name of the server_name extension from
// the TLS records at the start of b. Every length is bounds-checked.
func clientHelloSNI(b []byte) (string, helloResult) {
	// Reassemble the handshake message from the record fragments.
	var hs []byte
	var stack [512]byte
	hs = stack[:0]
	for len(b) >= 5 {
		if b[0] != 0x16 {
			break
		}
		n := int(b[3])<<8 | int(b[4])
		if len(b) < 5+n {
			hs = append(hs, b[5:]...)
			b = nil
			break
		}
		hs = append(hs, b[5:5+n]...)
		b = b[5+n:]
		if len(hs) >= 4 && len(hs) >= 4+(int(hs[1])<<16|int(hs[2])<<8|int(hs[3])) {
			break
		}
	}
	if len(hs) < 4 {
		return "", helloMore
	}
	if hs[0] != 1 {
		return "", helloBad
	}
	n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
	if len(hs) < 4+n {
		return "", helloMore
	}
	r := reader(hs[4 : 4+n])
	if !r.skip(2 + 32) { // version, random
		return "", helloBad
	}
	if !r.skipVec(1) || !r.skipVec(2) || !r.skipVec(1) { // session id, cipher suites, compression
		return "", helloBad
	}
	if len(r) == 0 {
		return "", helloDone // no extensions
	}
	exts, ok := r.vec(2)
	if !ok {
		return "", helloBad
	}
	for len(exts) >= 4 {
		typ := int(exts[0])<<8 | int(exts[1])
		exts = exts[2:]
		body, ok := exts.vec(2)
		if !ok {
			return "", helloBad
		}
		if typ != 0 {
			continue
		}
		list, ok := body.vec(2)
		if !ok {
			return "", helloBad
		}
		for len(list) >= 3 {
			nt := list[0]
			list = list[1:]
			name, ok := list.vec(2)
			if !ok {
				return "", helloBad
			}
			if nt == 0 {
				return string(name), helloDone
			}
		}
		return "", helloDone
	}
	return "", helloDone
}

type reader []byte

func (r *reader) skip(n int) bool {
	if len(*r) < n {
		return false
	}
	*r = (*r)[n:]
	return true
}

func (r *reader) vec(lenBytes int) (reader, bool) {
	if len(*r) < lenBytes {
		return nil, false
	}
	n := 0
	for i := 0; i < lenBytes; i++ {
		n = n<<8 | int((*r)[i])
	}
	*r = (*r)[lenBytes:]
	if len(*r) < n {
		return nil, false
	}
	v := (*r)[:n]
	*r = (*r)[n:]
	return v, true
}

func (r *reader) skipVec(lenBytes int) bool {
	_, ok := r.vec(lenBytes)
	return ok
}
