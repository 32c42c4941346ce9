package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF   tokKind = iota
	tWord          // a keyword, name, number, address or range ("tcp", "http", "80", "10.0.0.1", "80-90")
	tEsc           // a backslash-escaped name ("\tcp"): never a keyword
	tPunct         // an operator or bracket
)

// token is one lexical token; col is its 1-based column (in bytes) in the expression.
type token struct {
	kind tokKind
	text string
	col  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "the end of the expression"
	case tEsc:
		return "'\\" + t.text + "'"
	}
	return "'" + t.text + "'"
}

// puncts lists the operators, longest first so that "!=" wins over "!".
var puncts = []string{"!=", "==", ">=", "<=", ">>", "<<", "&&", "||",
	"(", ")", "[", "]", ":", "!", "=", ">", "<", "&", "|", "+", "-", "*", "/", "%", "^"}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

func isAddrByte(c byte) bool {
	return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c >= '0' && c <= '9' || c == ':' || c == '.'
}

// lex splits an expression into tokens as libpcap's scanner does: a word is the longest
// run of letters, digits and "-_." that does not end in "-" or "_" (so "2-1" and
// "tcp-syn" are single words, as in tcpdump); an IPv6 or MAC address is one word even
// with its colons.
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		col := i + 1
		// an address with colons: IPv6 or MAC
		if isAddrByte(c) {
			j := i
			for j < len(s) && isAddrByte(s[j]) {
				j++
			}
			w := s[i:j]
			if strings.Contains(w, ":") {
				// "fe80::1" or "00:11:22:33:44:55"; a trailing ":" belongs to a "[off:size]"
				if _, ok := parseMAC(w); ok || isIPv6(w) {
					toks = append(toks, token{tWord, w, col})
					i = j
					continue
				}
			}
		}
		if isWordByte(c) && c != '-' && c != '.' && c != '_' {
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			for j > i+1 && (s[j-1] == '-' || s[j-1] == '_') {
				j--
			}
			if s[j-1] == '-' || s[j-1] == '_' { // a lone "-" is an operator
				j = i
			} else {
				toks = append(toks, token{tWord, s[i:j], col})
				i = j
				continue
			}
		}
		if c == '\\' {
			j := i + 1
			for j < len(s) && !strings.ContainsRune(" \t\n\r!()", rune(s[j])) {
				j++
			}
			if j == i+1 {
				return nil, &SyntaxError{Col: col, Msg: "expected a name after '\\'", Hint: `a backslash makes a keyword a name, as in 'ip proto \tcp'`}
			}
			toks = append(toks, token{tEsc, s[i+1 : j], col})
			i = j
			continue
		}
		matched := false
		for _, p := range puncts {
			if strings.HasPrefix(s[i:], p) {
				toks = append(toks, token{tPunct, p, col})
				i += len(p)
				matched = true
				break
			}
		}
		if !matched {
			return nil, &SyntaxError{Col: col, Msg: fmt.Sprintf("unexpected character %q", s[i]), Hint: "a filter is a tcpdump expression such as 'tcp port 80 and host 10.0.0.1' (see pcap-filter(7))"}
		}
	}
	toks = append(toks, token{kind: tEOF, col: len(s) + 1})
	return toks, nil
}

func isIPv6(w string) bool {
	a, err := netip.ParseAddr(w)
	return err == nil && a.Is6()
}

// parseMAC reads a MAC address as libpcap does: xx:xx:xx:xx:xx:xx (one or two hex digits
// each), also with '.' or '-' separators, or xxxx.xxxx.xxxx.
func parseMAC(w string) ([6]byte, bool) {
	var mac [6]byte
	for _, sep := range []string{":", "-", "."} {
		parts := strings.Split(w, sep)
		if len(parts) == 6 {
			ok := true
			for i, p := range parts {
				v, err := strconv.ParseUint(p, 16, 8)
				if err != nil || len(p) == 0 || len(p) > 2 {
					ok = false
					break
				}
				mac[i] = byte(v)
			}
			if ok {
				return mac, true
			}
		}
	}
	if parts := strings.Split(w, "."); len(parts) == 3 {
		for i, p := range parts {
			v, err := strconv.ParseUint(p, 16, 16)
			if err != nil || len(p) != 4 {
				return mac, false
			}
			mac[2*i], mac[2*i+1] = byte(v>>8), byte(v)
		}
		return mac, true
	}
	return mac, false
}

// parseNum reads a number as libpcap does: decimal, 0x hexadecimal, or octal with a
// leading 0. It reports whether w is a number at all and, if so, any error in it.
func parseNum(w string) (uint32, bool, error) {
	if w == "" || w[0] < '0' || w[0] > '9' {
		return 0, false, nil
	}
	base, digits := 10, w
	switch {
	case len(w) > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X'):
		base, digits = 16, w[2:]
	case len(w) > 1 && w[0] == '0':
		base, digits = 8, w[1:]
	}
	octalBad := false
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch {
		case c >= '0' && c <= '9':
			octalBad = octalBad || c >= '8'
		case base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		default:
			return 0, false, nil // an address, a range or a name
		}
	}
	if base == 8 && octalBad {
		return 0, true, fmt.Errorf("number %s contains non-octal digit", w)
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return 0, true, fmt.Errorf("number %s is too large for 32 bits", w)
	}
	return uint32(v), true, nil
}
