package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"

	"github.com/andybalholm/brotli"
)

// decoder undoes content codings, reusing its readers between messages.
type decoder struct {
	src  bytes.Reader
	gz   *gzip.Reader
	zl   io.ReadCloser
	fl   io.ReadCloser
	br   *brotli.Reader
	buf  []byte
	cods [4]string
}

var errTooLarge = errors.New("http1: decoded body too large")

type countWriter struct {
	n, max int64
}

func (w *countWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	if w.n > w.max {
		return 0, errTooLarge
	}
	return len(b), nil
}

// decodedLen returns the length of body after undoing the codings listed in
// ce (applied in order, so undone in reverse), or -1 and an anomaly.
// Unsupported codings give -1 without an anomaly.
func (d *decoder) decodedLen(ce string, body []byte, max int64) (int64, Anomaly) {
	cods := d.cods[:0]
	tooMany := false
	forEachListItem(ce, func(item string) {
		if equalFold(item, "identity") {
			return
		}
		if len(cods) == cap(cods) {
			tooMany = true
			return
		}
		cods = append(cods, item)
	})
	if tooMany {
		return -1, AnomNone
	}
	for _, c := range cods {
		switch {
		case equalFold(c, "gzip"), equalFold(c, "x-gzip"), equalFold(c, "deflate"), equalFold(c, "br"):
		default:
			return -1, AnomNone
		}
	}
	if d.buf == nil {
		d.buf = make([]byte, 32<<10)
	}
	var r io.Reader
	if len(cods) == 1 {
		d.src.Reset(body)
		var err error
		r, err = d.reader(cods[0], &d.src, body)
		if err != nil {
			return -1, AnomBadContentEncoding
		}
	} else {
		// Chained codings are rare: decode each layer into memory.
		cur := body
		for i := len(cods) - 1; i >= 1; i-- {
			var out bytes.Buffer
			src := bytes.NewReader(cur)
			rr, err := newReader(cods[i], src, cur)
			if err != nil {
				return -1, AnomBadContentEncoding
			}
			if _, err := io.Copy(&out, io.LimitReader(rr, max+1)); err != nil {
				return -1, AnomBadContentEncoding
			}
			if int64(out.Len()) > max {
				return -1, AnomDecodedTooLarge
			}
			cur = out.Bytes()
		}
		rr, err := newReader(cods[0], bytes.NewReader(cur), cur)
		if err != nil {
			return -1, AnomBadContentEncoding
		}
		r = rr
	}
	w := countWriter{max: max}
	_, err := io.CopyBuffer(&w, r, d.buf)
	switch {
	case errors.Is(err, errTooLarge):
		return -1, AnomDecodedTooLarge
	case err != nil:
		return -1, AnomBadContentEncoding
	}
	return w.n, AnomNone
}

func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// reader returns a reused decoder for one coding.
func (d *decoder) reader(c string, src *bytes.Reader, body []byte) (io.Reader, error) {
	switch {
	case equalFold(c, "gzip"), equalFold(c, "x-gzip"):
		if d.gz == nil {
			gz, err := gzip.NewReader(src)
			if err != nil {
				return nil, err
			}
			d.gz = gz
			return gz, nil
		}
		if err := d.gz.Reset(src); err != nil {
			return nil, err
		}
		return d.gz, nil
	case equalFold(c, "deflate"):
		if isZlib(body) {
			if d.zl == nil {
				zl, err := zlib.NewReader(src)
				if err != nil {
					return nil, err
				}
				d.zl = zl
				return zl, nil
			}
			if err := d.zl.(zlib.Resetter).Reset(src, nil); err != nil {
				return nil, err
			}
			return d.zl, nil
		}
		if d.fl == nil {
			d.fl = flate.NewReader(src)
			return d.fl, nil
		}
		if err := d.fl.(flate.Resetter).Reset(src, nil); err != nil {
			return nil, err
		}
		return d.fl, nil
	default: // br
		if d.br == nil {
			d.br = brotli.NewReader(src)
			return d.br, nil
		}
		if err := d.br.Reset(src); err != nil {
			return nil, err
		}
		return d.br, nil
	}
}

func newReader(c string, src *bytes.Reader, body []byte) (io.Reader, error) {
	switch {
	case equalFold(c, "gzip"), equalFold(c, "x-gzip"):
		return gzip.NewReader(src)
	case equalFold(c, "deflate"):
		if isZlib(body) {
			return zlib.NewReader(src)
		}
		return flate.NewReader(src), nil
	default:
		return brotli.NewReader(src), nil
	}
}

// coding says how the DecodedLen of the body being parsed is found.
type coding uint8

const (
	codNone        coding = iota // identity, or decoding not asked for
	codGzipTrailer               // a single gzip coding: length from the member trailer (ISIZE)
	codBuffered                  // deflate, br, chains, or VerifyCoding: body kept and decoded at its end
	codUnsupported               // an unknown coding or over four: DecodedLen -1, no anomaly
)

// classifyCoding classifies a Content-Encoding value (identity items ignored).
func classifyCoding(ce string, verify bool) coding {
	n, gz, bad := 0, false, false
	forEachListItem(ce, func(item string) {
		switch {
		case equalFold(item, "identity"):
			return
		case equalFold(item, "gzip"), equalFold(item, "x-gzip"):
			gz = true
		case equalFold(item, "deflate"), equalFold(item, "br"):
		default:
			bad = true
		}
		n++
	})
	switch {
	case n == 0:
		return codNone
	case bad || n > len(decoder{}.cods):
		return codUnsupported
	case n == 1 && gz && !verify:
		return codGzipTrailer
	}
	return codBuffered
}

// gzWindow keeps the first 10 and the last 8 bytes of a body; seen is the
// number of body bytes before b.
func (h *half) gzWindow(seen int64, b []byte) {
	if seen < int64(len(h.gzHead)) {
		copy(h.gzHead[seen:], b)
	}
	if len(b) >= len(h.gzTail) {
		copy(h.gzTail[:], b[len(b)-len(h.gzTail):])
	} else {
		copy(h.gzTail[:], h.gzTail[len(b):])
		copy(h.gzTail[len(h.gzTail)-len(b):], b)
	}
}

// gzipMinMember is the size of the smallest gzip member: a 10-byte header,
// an empty final stored or fixed-Huffman deflate block (2 bytes) and the
// 8-byte trailer.
const gzipMinMember = 20

// gzipTrailerLen returns the decoded length of a complete gzip body of n
// bytes from its header and trailer windows: the trailer's ISIZE, after
// checking the header magic, method and reserved flag bits. The deflate data
// is not read.
func gzipTrailerLen(head *[10]byte, tail *[8]byte, n, max int64) (int64, Anomaly) {
	if n < gzipMinMember || head[0] != 0x1f || head[1] != 0x8b || head[2] != 8 || head[3]&0xe0 != 0 {
		return -1, AnomBadContentEncoding
	}
	size := int64(binary.LittleEndian.Uint32(tail[4:]))
	if size > max || n > max {
		return -1, AnomDecodedTooLarge
	}
	return size, AnomNone
}
