package analysis

import (
	"crypto/sha1"
	"encoding/binary"

	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcpseq"
)

// This file holds Zeek's view of a connection, for conn.log and for joins with Zeek
// data: the history letters, the endpoint states behind conn_state, and a uid. The
// pipeline feeds History one segment at a time (it is a fold over the segments, so it
// keeps a little state); the rest are pure functions.

// HistSeg is what Zeek's history looks at in one TCP segment.
type HistSeg struct {
	SYN, ACK, FIN, RST bool
	Seq                tcpseq.Seq // raw sequence number, to tell a repeated SYN, FIN or RST from a new one
	Len                int        // TCP payload length
	Retransmission     bool       // the segment was classed a retransmission (any kind)
	ZeroWindow         bool       // the segment announced a zero window (not SYN, FIN or RST)
	TS                 int64      // packet time, ns since the Unix epoch
}

// ZeekEndpoint is the TCP state of one endpoint as Zeek's TCP analyzer tracks it
// (TCP_INACTIVE, TCP_SYN_SENT, ...), the input of conn_state.
type ZeekEndpoint uint8

// Zeek's endpoint states.
const (
	ZeekInactive    ZeekEndpoint = iota // nothing sent yet
	ZeekSYNSent                         // sent a SYN
	ZeekSYNACKSent                      // sent a SYN-ACK
	ZeekPartial                         // sent data or ACKs without a SYN first (picked up midstream)
	ZeekEstablished                     // handshake done
	ZeekClosed                          // sent a FIN
	ZeekReset                           // sent a RST
)

var zeekEndpointNames = [...]string{"inactive", "syn_sent", "syn_ack_sent", "partial", "established", "closed", "reset"}

// String returns the state's name in snake_case.
func (s ZeekEndpoint) String() string {
	if int(s) < len(zeekEndpointNames) {
		return zeekEndpointNames[s]
	}
	return "unknown"
}

// maxHistory bounds the history string; Zeek's grows with the logarithm of the counts
// it scales, so real connections stay far below it.
const maxHistory = 48

// Letter bits for the letters recorded once per direction.
const (
	histS = 1 << iota
	histH
	histF
	histR
	histD
	histA
	histI
	histQ
)

// History accumulates Zeek's conn.log history of one connection, with Zeek's rules
// (its TCP analyzer's UpdateHistory): per segment, a SYN gives S (H with ACK), a FIN F,
// a RST R, a segment with several of these Q (I for FIN with RST); a segment with none
// of them gives D when it carries payload, else A when it has the ACK flag. Each of
// these letters is written the first time it happens in a direction, and again for a
// SYN, FIN or RST at a new sequence number. T (retransmission), G (content gap) and W
// (zero window) are written when their count reaches 1, 10, 100, .... Upper case is the
// originator (segscope's client), lower case the responder; a leading ^ says the
// responder sent the first segment (Zeek flips the roles then and marks it so). C (bad
// checksum) is never written: segscope does not verify TCP checksums, and Zeek ignores
// such packets by default. The zero value is an empty history; it allocates nothing.
type History struct {
	buf     [maxHistory]byte
	n       uint8
	started bool
	once    [2]uint16
	last    [2][3]tcpseq.Seq // last SYN, FIN, RST sequence number per direction
	count   [2][3]uint64     // T, G, W counts per direction
	next    [2][3]uint64     // the count at which the letter is written next
	state   [2]ZeekEndpoint
	lastTS  int64 // time of the last segment before both endpoints had closed or reset
}

// Reset empties h for another connection.
func (h *History) Reset() { *h = History{} }

func (h *History) add(d flow.Dir, c byte) {
	if d == flow.S2C {
		c += 'a' - 'A'
	}
	if int(h.n) < len(h.buf) {
		h.buf[h.n] = c
		h.n++
	}
}

// once writes letter c for direction d the first time bit is seen.
func (h *History) onceLetter(d flow.Dir, bit uint16, c byte) bool {
	if h.once[d]&bit != 0 {
		return false
	}
	h.once[d] |= bit
	h.add(d, c)
	return true
}

// flagLetter writes c for a SYN, FIN or RST (slot 0, 1, 2): the first time, and again
// when the sequence number differs from the last one of that kind.
func (h *History) flagLetter(d flow.Dir, bit uint16, slot int, c byte, seq tcpseq.Seq) {
	if !h.onceLetter(d, bit, c) && h.last[d][slot] != seq {
		h.add(d, c)
	}
	h.last[d][slot] = seq
}

// scaled counts one T, G or W event (slot 0, 1, 2) and writes c at 1, 10, 100, ...
func (h *History) scaled(d flow.Dir, slot int, c byte) {
	h.count[d][slot]++
	if h.next[d][slot] == 0 {
		h.next[d][slot] = 1
	}
	if h.count[d][slot] == h.next[d][slot] {
		h.add(d, c)
		h.next[d][slot] *= 10
	}
}

// Segment adds one segment sent in direction d.
func (h *History) Segment(d flow.Dir, s HistSeg) {
	if !h.finished() {
		h.lastTS = s.TS
	}
	if !h.started {
		h.started = true
		if d == flow.S2C {
			h.buf[0] = '^'
			h.n = 1
		}
	}
	n := 0
	for _, b := range [3]bool{s.SYN, s.FIN, s.RST} {
		if b {
			n++
		}
	}
	switch {
	case n > 1 && s.FIN && s.RST:
		h.onceLetter(d, histI, 'I')
	case n > 1:
		h.onceLetter(d, histQ, 'Q')
	case s.SYN && s.ACK:
		h.flagLetter(d, histH, 0, 'H', s.Seq)
	case s.SYN:
		h.flagLetter(d, histS, 0, 'S', s.Seq)
	case s.FIN:
		h.flagLetter(d, histF, 1, 'F', s.Seq.Add(uint32(s.Len)))
	case s.RST:
		h.flagLetter(d, histR, 2, 'R', s.Seq)
	case s.Len > 0:
		h.onceLetter(d, histD, 'D')
	case s.ACK:
		h.onceLetter(d, histA, 'A')
	}
	if s.Retransmission {
		h.scaled(d, 0, 'T')
	}
	if s.ZeroWindow {
		h.scaled(d, 2, 'W')
	}
	h.step(d, s, n)
}

// Gap counts a content gap (bytes never seen) in direction d.
func (h *History) Gap(d flow.Dir) { h.scaled(d, 1, 'G') }

// step moves the endpoint states as Zeek's TCP analyzer does.
func (h *History) step(d flow.Dir, s HistSeg, flags int) {
	me, peer := &h.state[d], &h.state[d.Other()]
	switch {
	case s.RST:
		*me = ZeekReset
	case *me == ZeekReset:
	case s.FIN:
		*me = ZeekClosed
	case flags > 0 && s.SYN:
		if *me == ZeekInactive {
			if s.ACK {
				*me = ZeekSYNACKSent
			} else {
				*me = ZeekSYNSent
			}
		}
	default:
		switch *me {
		case ZeekInactive:
			*me = ZeekPartial
		case ZeekSYNSent, ZeekSYNACKSent:
			*me = ZeekEstablished
		}
		if s.ACK && *peer == ZeekSYNACKSent {
			*peer = ZeekEstablished
		}
	}
}

// finished reports whether both endpoints have sent a FIN or a RST.
func (h *History) finished() bool {
	done := func(e ZeekEndpoint) bool { return e == ZeekClosed || e == ZeekReset }
	return done(h.state[0]) && done(h.state[1])
}

// LastTS returns the time of the last segment that came before both endpoints had
// closed (FIN) or reset: where Zeek's duration ends. Segments after that (the last ACK)
// are counted by Zeek but do not extend the connection.
func (h *History) LastTS() int64 { return h.lastTS }

// AppendText appends the history letters to dst.
func (h *History) AppendText(dst []byte) []byte { return append(dst, h.buf[:h.n]...) }

// String returns the history letters.
func (h *History) String() string { return string(h.buf[:h.n]) }

// State returns the Zeek endpoint state of direction d (C2S is the originator).
func (h *History) State(d flow.Dir) ZeekEndpoint { return h.state[d] }

// ConnState is Zeek's conn_state of a TCP connection (its base/protocols/conn script):
// from the two endpoint states, the history, and the sequence-span byte counts of the
// originator and responder.
//
//	S0 attempt, no reply          S1 established, not closed      SF normal close
//	REJ attempt rejected          S2/S3 only the originator/responder closed
//	RSTO/RSTR originator/responder reset    RSTOS0 SYN then RST, no SYN-ACK
//	RSTRH SYN-ACK then RST, no SYN          SH/SHR SYN (SYN-ACK) then FIN, nothing back
//	OTH anything else (midstream traffic)
func ConnState(orig, resp ZeekEndpoint, history string, origBytes, respBytes uint64) string {
	oInactive := orig == ZeekInactive || orig == ZeekPartial
	rInactive := resp == ZeekInactive || resp == ZeekPartial
	switch {
	case resp == ZeekReset:
		switch {
		case orig == ZeekSYNSent || orig == ZeekSYNACKSent || (orig == ZeekReset && origBytes == 0 && respBytes == 0):
			return "REJ"
		case oInactive:
			return "RSTRH"
		}
		return "RSTR"
	case orig == ZeekReset:
		if rInactive {
			if synThenRST(history) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case resp == ZeekClosed && orig == ZeekClosed:
		return "SF"
	case orig == ZeekClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case resp == ZeekClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case orig == ZeekSYNSent && resp == ZeekInactive:
		return "S0"
	case orig == ZeekEstablished && resp == ZeekEstablished:
		return "S1"
	}
	return "OTH"
}

// synThenRST matches Zeek's /^\^?S[^HAFGIQ]*R.*/: a SYN, then a RST with no handshake,
// ACK, FIN or gap letter of the originator between.
func synThenRST(h string) bool {
	if len(h) > 0 && h[0] == '^' {
		h = h[1:]
	}
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for i := 1; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

// ZeekUIDLen is the length of a uid made by ZeekUID.
const ZeekUIDLen = 18

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ZeekUID returns a connection uid in Zeek's style ("C" and 17 base62 digits of 96
// bits), derived from the connection's Community ID and its first packet time, so the
// same capture always gives the same uids, and conn.log and http.log agree. (Zeek's own
// are random per run, so they are not comparable with Zeek's.)
func ZeekUID(communityID string, firstTS int64) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(firstTS))
	hs := sha1.New()
	hs.Write([]byte(communityID))
	hs.Write(ts[:])
	var sum [sha1.Size]byte
	hs.Sum(sum[:0])
	hi := uint64(binary.BigEndian.Uint32(sum[0:4])) // 32 bits
	lo := binary.BigEndian.Uint64(sum[4:12])        // 64 bits
	var out [ZeekUIDLen]byte
	out[0] = 'C'
	for i := ZeekUIDLen - 1; i >= 1; i-- {
		// Divide the 96-bit number hi:lo by 62, keeping the remainder.
		qh := hi / 62
		r := hi % 62
		// (r<<64 + lo) / 62, with r < 62: split lo in two 32-bit halves.
		a := r<<32 | lo>>32
		qa, ra := a/62, a%62
		b := ra<<32 | lo&0xffffffff
		qb, rb := b/62, b%62
		hi, lo = qh, qa<<32|qb
		out[i] = base62[rb]
	}
	return string(out[:])
}
