package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
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
