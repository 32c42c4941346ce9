package http1

import (
	"bytes"
	"errors"
	"io"
)

// This file holds what the parser retains for callers that take messages elsewhere (HAR,
// body export): header fields cut by a limit, and bodies within a per-message and a
// shared cap.

// keepCutLine keeps the first Limits.MaxLine bytes of a header or trailer line that is
// over the limit as a field marked cut (Message.HeadersCut). data is the rest of the
// line after the bytes already held in h.line.
func (p *Parser) keepCutLine(h *half, data []byte) {
	if h.msg == nil {
		return
	}
	part := p.lim.MaxLine - len(h.line)
	if part < 0 {
		part = 0
	}
	h.line = append(h.line, data[:min(part, len(data))]...)
	content := bytes.TrimRight(h.line, "\r\n")
	if len(content) == 0 {
		return
	}
	h.headBytes += len(content)
	p.fieldLine(h, content, true)
}

// keepBodyCap is the largest body array a released message keeps for the next one.
const keepBodyCap = 16 << 10

// BodyBudget caps the body bytes that parsers retain (Limits.KeepBodies) at once: every
// parser given the same BodyBudget takes its bodies' bytes from Left and gives them back
// when the exchange has been reported and released. A body that finds the budget spent
// is cut (Message.Body shorter than BodyLen) and counted in Cut. A BodyBudget is not
// safe for concurrent use: parsers on several goroutines need one each.
type BodyBudget struct {
	Left int64  // bytes that may still be retained
	Cut  uint64 // messages whose body was cut because the budget was spent
}

// keepBody appends body bytes b to m.Body within Limits.MaxBody and the budget.
// m.BodyLen already counts b.
func (p *Parser) keepBody(m *Message, b []byte) {
	if m.overMax {
		return // it would be cut anyway: copy none of it
	}
	whole := int64(len(m.Body)) == m.BodyLen-int64(len(b)) // nothing cut so far
	room := p.lim.MaxBody - int64(len(m.Body))
	bg := p.lim.Budget
	if bg != nil && bg.Left < room {
		room = max(bg.Left, 0)
		if whole && room < int64(len(b)) {
			bg.Cut++
		}
	}
	k := min(room, int64(len(b)))
	if k <= 0 {
		return
	}
	m.Body = append(m.Body, b[:k]...)
	if bg != nil {
		bg.Left -= k
	}
}

// keepGap appends n zero bytes to m.Body for body bytes lost in a gap, within the same
// caps as keepBody, so that the retained body keeps its offsets. m.BodyLen does not
// count the n bytes yet.
func (p *Parser) keepGap(m *Message, n uint64) {
	var zero [512]byte
	for n > 0 {
		k := min(n, uint64(len(zero)))
		before := len(m.Body)
		m.BodyLen += int64(k)
		p.keepBody(m, zero[:k])
		m.BodyLen -= int64(k)
		if len(m.Body)-before < int(k) {
			return
		}
		n -= k
	}
}

// returnBodies gives the bytes of ex's retained bodies back to the budget.
func (p *Parser) returnBodies(ex *Exchange) {
	if bg := p.lim.Budget; bg != nil {
		bg.Left += int64(len(ex.reqMsg.Body) + len(ex.respMsg.Body))
	}
}

// IsIdentity reports whether a Content-Encoding value names no coding but identity (an
// empty value included): the body is as sent.
func IsIdentity(ce string) bool { return isIdentity(ce) }

// ErrUnknownCoding is returned by DecodeBody for a content-coding it does not undo.
var ErrUnknownCoding = errors.New("http1: unknown content-coding")

// ErrDecodedTooLarge is returned by DecodeBody when the decoded body exceeds its cap.
var ErrDecodedTooLarge = errors.New("http1: decoded body too large")

// DecodeBody undoes the content codings listed in ce (a Content-Encoding value: gzip,
// x-gzip, deflate as zlib or raw, br, identity; applied in order, so undone in reverse)
// on body and returns the decoded bytes, at most max of them. It fails with
// ErrUnknownCoding for another coding, ErrDecodedTooLarge past max, and the decoder's
// error for a corrupt body. It allocates the result; it is meant for bodies that leave
// segscope (HAR, export), not for the packet path.
func DecodeBody(ce string, body []byte, max int64) ([]byte, error) {
	return DecodeBodySized(ce, body, max, 0)
}

// DecodeBodySized is DecodeBody with the decoded size expected (Message.DecodedLen, when
// known), so that the result is allocated once.
func DecodeBodySized(ce string, body []byte, max, size int64) ([]byte, error) {
	var cods []string
	forEachListItem(ce, func(item string) {
		if !equalFold(item, "identity") {
			cods = append(cods, item)
		}
	})
	for _, c := range cods {
		switch {
		case equalFold(c, "gzip"), equalFold(c, "x-gzip"), equalFold(c, "deflate"), equalFold(c, "br"):
		default:
			return nil, ErrUnknownCoding
		}
	}
	cur := body
	for i := len(cods) - 1; i >= 0; i-- {
		r, err := newReader(cods[i], bytes.NewReader(cur), cur)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		if i == 0 && size > 0 && size <= max {
			out.Grow(int(size) + bytes.MinRead) // ReadFrom wants MinRead spare bytes
		}
		if _, err := out.ReadFrom(io.LimitReader(r, max+1)); err != nil {
			return nil, err
		}
		if int64(out.Len()) > max {
			return nil, ErrDecodedTooLarge
		}
		cur = out.Bytes()
	}
	return cur, nil
}
