package svg

import (
	"errors"
	"io"
	"slices"
	"strconv"

	"github.com/segscope/segscope/report"
)

// Kind says which picture a Sink draws.
type Kind uint8

const (
	KindLadder  Kind = iota // the ladder of each connection (segscope ladder --format svg)
	KindAnatomy             // the anatomy of each message (segscope anatomy --format svg)
	KindTSeq                // the time-sequence graph of one direction (segscope tseq)
)

// ErrNothing is returned by Close when the records held nothing to draw.
var ErrNothing = errors.New("svg: nothing to draw")

// Sink collects the records of a run and writes one SVG document at Close: the pictures
// of every connection (or message) it received, stacked top to bottom in record order.
type Sink struct {
	w    io.Writer
	kind Kind
	// Dir picks the direction of KindTSeq: "c2s" or "s2c".
	Dir string

	events map[uint64][]report.Event
	order  []uint64
	pics   map[uint64]report.Vantage
	tseqs  []report.TSeq
	anat   []report.Anatomy
}

// New returns a Sink that draws pictures of kind k to w.
func New(w io.Writer, k Kind) *Sink {
	return &Sink{w: w, kind: k, events: map[uint64][]report.Event{}, pics: map[uint64]report.Vantage{}}
}

// Segment implements report.Sink (not drawn).
func (s *Sink) Segment(*report.Segment) error { return nil }

// Conn implements report.Sink (not drawn).
func (s *Sink) Conn(*report.Conn) error { return nil }

// HTTP implements report.Sink (not drawn).
func (s *Sink) HTTP(*report.HTTP) error { return nil }

// Finding implements report.Sink (not drawn).
func (s *Sink) Finding(*report.Finding) error { return nil }

// Anatomy implements report.Sink.
func (s *Sink) Anatomy(a *report.Anatomy) error {
	if s.kind == KindAnatomy {
		c := *a
		c.Parts = slices.Clone(a.Parts)
		c.Segments = slices.Clone(a.Segments)
		s.anat = append(s.anat, c)
	}
	return nil
}

// Event implements report.Sink.
func (s *Sink) Event(e *report.Event) error {
	if s.kind != KindLadder {
		return nil
	}
	if _, ok := s.events[e.Conn]; !ok {
		s.order = append(s.order, e.Conn)
	}
	s.events[e.Conn] = append(s.events[e.Conn], CloneEvent(e))
	return nil
}

// CloneEvent copies e with its slices, for keeping a borrowed event.
func CloneEvent(e *report.Event) report.Event {
	c := *e
	c.Notes = slices.Clone(e.Notes)
	return c
}

// Picture implements report.PictureSink.
func (s *Sink) Picture(p *report.ConnPicture) error {
	s.pics[p.Conn] = p.Vantage
	if s.kind == KindTSeq {
		for _, t := range p.TSeq {
			if t.Dir == s.Dir {
				s.tseqs = append(s.tseqs, t)
			}
		}
	}
	return nil
}

// Close writes the document.
func (s *Sink) Close() error {
	var parts []string
	var heights []float64
	var width float64
	add := func(draw func(b *buf, o *Options)) {
		var b buf
		o := Options{Inline: true, ID: "p" + strconv.Itoa(len(parts)) + "-"}
		draw(&b, &o)
		parts = append(parts, b.String())
		heights = append(heights, b.h)
		width = max(width, b.w)
	}
	switch s.kind {
	case KindLadder:
		for _, id := range s.order {
			add(func(b *buf, o *Options) { ladder(b, s.events[id], s.pics[id], o) })
		}
	case KindAnatomy:
		for i := range s.anat {
			add(func(b *buf, o *Options) { anatomy(b, &s.anat[i], o) })
		}
	case KindTSeq:
		for i := range s.tseqs {
			add(func(b *buf, o *Options) { tseq(b, &s.tseqs[i], o) })
		}
	}
	if len(parts) == 0 {
		return ErrNothing
	}
	var b buf
	total := 0.0
	for _, h := range heights {
		total += h
	}
	if len(parts) == 1 {
		// One picture: a standalone document of its own.
		var one buf
		o := Options{}
		switch s.kind {
		case KindLadder:
			ladder(&one, s.events[s.order[0]], s.pics[s.order[0]], &o)
		case KindAnatomy:
			anatomy(&one, &s.anat[0], &o)
		case KindTSeq:
			tseq(&one, &s.tseqs[0], &o)
		}
		_, err := io.WriteString(s.w, one.String())
		return err
	}
	b.s(`<?xml version="1.0" encoding="UTF-8"?>`, "\n")
	b.s(`<svg xmlns="http://www.w3.org/2000/svg" width="`, f(width), `" height="`, f(total), `" viewBox="0 0 `, f(width), " ", f(total), `">`, "\n")
	b.s("<style>", Style, "</style>\n")
	y := 0.0
	for i, p := range parts {
		b.s(`<g transform="translate(0 `, f(y), `)">`, "\n", p, "</g>\n")
		y += heights[i]
	}
	b.close()
	_, err := io.WriteString(s.w, b.String())
	return err
}

var _ report.Sink = (*Sink)(nil)
var _ report.PictureSink = (*Sink)(nil)
