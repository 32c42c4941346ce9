package pipeline

import (
	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
)

// hdrBuf holds the header fields of the http record being filled, reused from one
// record to the next: the fields' strings are the parser's own (immutable, cut from its
// string chunks), so filling a record copies two words per field and allocates nothing
// once the buffer has grown to the largest exchange.
type hdrBuf struct {
	fields []report.Header
	cuts   []int
}

func (h *hdrBuf) reset() {
	clear(h.fields) // do not keep old connections' strings alive
	h.fields = h.fields[:0]
	h.cuts = h.cuts[:0]
}

// empty returns an empty, non-nil list (JSON []).
func (h *hdrBuf) empty() []report.Header { return h.fields[len(h.fields):len(h.fields)] }

func (h *hdrBuf) add(src []http1.Header) []report.Header {
	n := len(h.fields)
	for _, f := range src {
		h.fields = append(h.fields, report.Header{Name: f.Name, Value: f.Value})
	}
	return h.fields[n:len(h.fields):len(h.fields)]
}

func (h *hdrBuf) addCuts(src []int) []int {
	if len(src) == 0 {
		return nil
	}
	n := len(h.cuts)
	h.cuts = append(h.cuts, src...)
	return h.cuts[n:len(h.cuts):len(h.cuts)]
}

// fillHeaders sets a record's header, trailer and cut lists from message m. Growing the
// buffer leaves earlier lists on the old array, so lists filled before stay valid.
func (p *Pipeline) fillHeaders(m *http1.Message, hd, tr *[]report.Header, hdCut, trCut *[]int) {
	*hd = p.hdrs.add(m.Headers)
	*hdCut = p.hdrs.addCuts(m.HeadersCut)
	if len(m.Trailers) > 0 {
		*tr = p.hdrs.add(m.Trailers)
		*trCut = p.hdrs.addCuts(m.TrailersCut)
	}
}

// fillBody sets a record's body from message m when the run keeps bodies: the bytes as
// retained (borrowed from the parser until the record is written), with the
// content-coding undone when it is known and the body whole.
func (p *Pipeline) fillBody(m *http1.Message, b *report.Body) {
	if !p.cfg.HTTP.KeepBodies || m.BodyLen == 0 && m.Complete {
		return
	}
	*b = report.Body{Data: m.Body, Kept: true, Cut: int64(len(m.Body)) < m.BodyLen, Incomplete: !m.Complete}
	ce := m.ContentEncoding
	if http1.IsIdentity(ce) {
		return
	}
	b.Coding = ce
	if b.Cut || b.Incomplete || m.GapBytes > 0 {
		b.DecodeErr = "body not whole"
		return
	}
	if m.DecodedLen > p.cfg.HTTP.MaxBody {
		// Known (gzip's trailer) to decode past the cap: not worth inflating.
		b.Cut, b.DecodeErr = true, http1.ErrDecodedTooLarge.Error()
		return
	}
	out, err := http1.DecodeBodySized(ce, m.Body, p.cfg.HTTP.MaxBody, m.DecodedLen)
	if err != nil {
		b.DecodeErr = err.Error()
		return
	}
	b.Data, b.Decoded = out, true
}
