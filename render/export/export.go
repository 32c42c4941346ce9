// Package export writes the bodies of HTTP messages as files in one directory, as
// `tshark --export-objects http,DIR` does, with an index.jsonl manifest of every body
// (written or not). It formats only: bodies arrive in http records with chunked framing
// removed and the content-coding undone (report.Body); this package names the files,
// writes them and describes them.
//
// Names follow tshark: the last path element of the request URI (the query string cut
// off), percent-decoded and made safe — bytes other than letters, digits and ".-_+~,=@"
// become '_', a leading '.' becomes '_', at most 200 bytes — or "object<frame>" when
// the URI has none (a URI ending in '/'); a name used before gets "(1)", "(2)" before its
// extension. Request bodies (POST, PUT) are exported too, named after their URI.
//
// Safety: files are created through safefile.Dir: never outside the directory, never
// through a symbolic link, never over an existing file unless Force.
//
// A body with bytes lost in gaps is written with the gap zero-filled only with FillGaps;
// otherwise it is skipped and listed in the manifest with "skipped":"gap". A body cut by
// a retention cap is skipped ("cut"), and so is one whose message ended early
// ("incomplete"), unless FillGaps (then what was seen is written, listed as such).
package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segscope/segscope/internal/safefile"
	"github.com/segscope/segscope/report"
)

// Options configure a Sink.
type Options struct {
	FillGaps bool // write bodies with gaps zero-filled (and incomplete bodies as seen)
	Force    bool // overwrite existing files
}

// IndexName is the manifest's file name in the directory.
const IndexName = "index.jsonl"

// Stats counts what a Sink did.
type Stats struct {
	Written, Skipped int
	Bytes            int64
}

// Sink writes bodies from http records; other records are ignored. Close must be called.
type Sink struct {
	dir   *safefile.Dir
	o     Options
	index *os.File
	ibuf  []byte
	used  map[string]int // name → how many times used (the next suffix)
	err   error
	st    Stats
}

// Open returns a Sink writing into the directory path, which is created if it does not
// exist (its parent must).
func Open(path string, o Options) (*Sink, error) {
	if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	d, err := safefile.OpenDir(path, o.Force)
	if err != nil {
		return nil, err
	}
	idx, err := d.Create(IndexName)
	if err != nil {
		d.Close()
		return nil, err
	}
	return &Sink{dir: d, o: o, index: idx, used: map[string]int{IndexName: 1}}, nil
}

// Stats returns what was written so far.
func (s *Sink) Stats() Stats { return s.st }

func (s *Sink) Segment(*report.Segment) error { return s.err }
func (s *Sink) Conn(*report.Conn) error       { return s.err }
func (s *Sink) Anatomy(*report.Anatomy) error { return s.err }
func (s *Sink) Event(*report.Event) error     { return s.err }
func (s *Sink) Finding(*report.Finding) error { return s.err }

// HTTP writes the exchange's request and response bodies.
func (s *Sink) HTTP(r *report.HTTP) error {
	if s.err != nil {
		return s.err
	}
	// A response that ended early is listed even when none of its body was seen.
	if r.ReqBodyLen > 0 {
		s.body(r, "req", &r.ReqBody, r.ReqBodyLen, r.ReqGapBytes, r.ReqFrames[0], header(r.ReqHeaders, "Content-Type"))
	}
	if (r.RespBodyLen > 0 || r.RespBody.Incomplete) && s.err == nil {
		s.body(r, "resp", &r.RespBody, r.RespBodyLen, r.RespGapBytes, r.RespFrames[0], r.ContentType)
	}
	return s.err
}

func header(hs []report.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func (s *Sink) body(r *report.HTTP, dir string, b *report.Body, wireLen int64, gap uint64, frame uint64, ctype string) {
	skip := ""
	switch {
	case !b.Kept:
		skip = "not_retained"
	case b.Cut:
		skip = "cut"
	case gap > 0 && !s.o.FillGaps:
		skip = "gap"
	case b.Incomplete && !s.o.FillGaps:
		skip = "incomplete"
	}
	name := ""
	var sum [sha256.Size]byte
	size := int64(len(b.Data))
	if skip == "" {
		name = s.unique(BaseName(r.URI, frame))
		f, err := s.dir.Create(name)
		if err != nil {
			s.err = err
			return
		}
		_, err = f.Write(b.Data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			s.err = err
			return
		}
		sum = sha256.Sum256(b.Data)
		s.st.Written++
		s.st.Bytes += size
	} else {
		s.st.Skipped++
	}
	l := s.ibuf[:0]
	l = append(l, `{"conn":`...)
	l = strconv.AppendUint(l, r.Conn, 10)
	l = append(l, `,"depth":`...)
	l = strconv.AppendInt(l, int64(r.Depth), 10)
	l = append(l, `,"dir":"`...)
	l = append(l, dir...)
	l = append(l, `","method":`...)
	l = appendJSON(l, r.Method)
	l = append(l, `,"host":`...)
	l = appendJSON(l, r.Host)
	l = append(l, `,"uri":`...)
	l = appendJSON(l, r.URI)
	l = append(l, `,"status":`...)
	l = strconv.AppendInt(l, int64(r.Status), 10)
	l = append(l, `,"content_type":`...)
	l = appendJSON(l, ctype)
	l = append(l, `,"content_encoding":`...)
	l = appendJSON(l, b.Coding)
	l = append(l, `,"decoded":`...)
	l = strconv.AppendBool(l, b.Decoded)
	if b.DecodeErr != "" {
		l = append(l, `,"decode_error":`...)
		l = appendJSON(l, b.DecodeErr)
	}
	l = append(l, `,"wire_size":`...)
	l = strconv.AppendInt(l, wireLen, 10)
	l = append(l, `,"size":`...)
	l = strconv.AppendInt(l, size, 10)
	l = append(l, `,"sha256":`...)
	if skip == "" {
		l = append(l, '"')
		l = hex.AppendEncode(l, sum[:])
		l = append(l, '"')
	} else {
		l = append(l, `""`...)
	}
	l = append(l, `,"verdict":`...)
	l = appendJSON(l, r.Verdict)
	l = append(l, `,"gap_bytes":`...)
	l = strconv.AppendUint(l, gap, 10)
	l = append(l, `,"file":`...)
	l = appendJSON(l, name)
	if skip != "" {
		l = append(l, `,"skipped":"`...)
		l = append(l, skip...)
		l = append(l, '"')
	}
	l = append(l, "}\n"...)
	s.ibuf = l
	if _, err := s.index.Write(l); err != nil {
		s.err = err
	}
}

// unique returns name, or name(N).ext for the Nth repeat.
func (s *Sink) unique(name string) string {
	n := s.used[name]
	s.used[name] = n + 1
	if n == 0 {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		stem, ext = name[:i], name[i:]
	}
	for {
		c := stem + "(" + strconv.Itoa(n) + ")" + ext
		if s.used[c] == 0 {
			s.used[c] = 1
			return c
		}
		n++
	}
}

// maxName bounds a file name's length in bytes.
const maxName = 200

// BaseName is the file name for a body of the request to uri, before "(N)" is added for
// a repeat: the last path element made safe (see the package doc), or object<frame>.
func BaseName(uri string, frame uint64) string {
	p := uri
	if i := strings.Index(p, "://"); i >= 0 { // absolute form: drop scheme and authority
		p = p[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			p = ""
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(".-_+~,=@", c) >= 0:
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	if len(b) > 0 && b[0] == '.' {
		b[0] = '_'
	}
	if len(b) > maxName {
		ext := ""
		if i := strings.LastIndexByte(string(b), '.'); i > 0 && len(b)-i <= 16 {
			ext = string(b[i:])
		}
		b = append(b[:maxName-len(ext)], ext...)
	}
	if len(b) == 0 {
		return "object" + strconv.FormatUint(frame, 10)
	}
	return string(b)
}

// appendJSON appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSON(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// Close finishes the manifest and releases the directory.
func (s *Sink) Close() error {
	if s.dir == nil {
		return s.err
	}
	if err := s.index.Close(); err != nil && s.err == nil {
		s.err = err
	}
	if err := s.dir.Close(); err != nil && s.err == nil {
		s.err = err
	}
	s.dir = nil
	if s.err != nil {
		return fmt.Errorf("export: %w", s.err)
	}
	return nil
}
