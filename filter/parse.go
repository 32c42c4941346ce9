package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SyntaxError is a mistake in an expression, at a 1-based column.
type SyntaxError struct {
	Col  int
	Msg  string
	Hint string // a suggestion for the user; may be empty
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("filter: column %d: %s", e.Col, e.Msg) }

// The abstract syntax tree. Code generation walks it left to right, in the order
// libpcap's parser generates code (which matters for 'vlan': it shifts the offsets of
// everything after it).
type node interface{ column() int }

type (
	// andOr is "l and r" or "l or r".
	andOr struct {
		and  bool
		l, r node
		col  int
	}
	notNode struct {
		x   node
		col int
	}
	// prim is a primitive: a protocol, a host, net, port, ... test.
	prim struct {
		kind   primKind
		proto  qproto
		dir    qdir
		addr   netip.Prefix // host (full length) and net
		mac    [6]byte
		lo, hi uint16   // port, portrange
		svc    protoSet // the transport protocols a port name exists for (0: any)
		num    uint32   // proto number, vlan id
		hasNum bool
		col    int
		idCol  int // column of the ID
	}
	// relation is "l op r" on arithmetic expressions.
	relation struct {
		op   string
		l, r arith
		col  int
	}
)

func (n *andOr) column() int    { return n.col }
func (n *notNode) column() int  { return n.col }
func (n *prim) column() int     { return n.col }
func (n *relation) column() int { return n.col }

type arith interface{}

type (
	numA  struct{ v uint32 }
	lenA  struct{}
	loadA struct {
		proto qproto
		off   arith
		size  int
		col   int
	}
	binA struct {
		op   string
		l, r arith
		col  int
	}
	negA struct{ x arith }
)

type primKind uint8

const (
	pProto     primKind = iota // a bare protocol: ip, tcp, ...
	pHost                      // host ADDR (IPv4 or IPv6)
	pNet                       // net PREFIX
	pEther                     // ether host/src/dst MAC
	pPort                      // port N
	pPortRange                 // portrange A-B
	pProtoNum                  // [ether|ip|ip6] proto N
	pVlan                      // vlan [ID]
	pBroadcast                 // [ether|ip] broadcast
	pMulticast                 // [ether|ip|ip6] multicast
)

// qproto is a protocol qualifier.
type qproto uint8

const (
	qDefault qproto = iota
	qLink
	qIP
	qIP6
	qARP
	qRARP
	qTCP
	qUDP
	qSCTP
	qICMP
	qICMP6
	qIGMP
)

var protoNames = map[string]qproto{
	"ether": qLink, "link": qLink, "ip": qIP, "ip6": qIP6, "arp": qARP, "rarp": qRARP,
	"tcp": qTCP, "udp": qUDP, "sctp": qSCTP, "icmp": qICMP, "icmp6": qICMP6, "igmp": qIGMP,
}

var qprotoText = [...]string{"", "ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp"}

func (q qproto) String() string { return qprotoText[q] }

// qdir is a direction qualifier.
type qdir uint8

const (
	dDefault qdir = iota // src or dst
	dSrc
	dDst
	dOr
	dAnd
)

// qtype is a type qualifier.
type qtype uint8

const (
	tyDefault qtype = iota
	tyHost
	tyNet
	tyPort
	tyPortRange
	tyProto
)

var qtypeText = [...]string{"", "host", "net", "port", "portrange", "proto"}

// qual is the qualifiers of a primitive; a bare ID after "and", "or" or "not" takes
// those of the primitive before it ("port 80 or 443").
type qual struct {
	proto qproto
	dir   qdir
	typ   qtype
	ok    bool // false after a bare protocol: a bare ID may not follow it
}

// keywords that libpcap knows and this compiler does not implement.
var unsupported = map[string]bool{
	"gateway": true, "protochain": true, "mpls": true, "pppoed": true, "pppoes": true, "geneve": true,
	"decnet": true, "atalk": true, "aarp": true, "iso": true, "isis": true, "stp": true, "ipx": true,
	"netbeui": true, "llc": true, "inbound": true, "outbound": true, "ifname": true, "on": true,
	"wlan": true, "fddi": true, "tr": true, "ppp": true, "slip": true, "radio": true, "ah": true,
	"esp": true, "pim": true, "vrrp": true, "carp": true, "igrp": true, "lat": true, "moprc": true,
	"mopdl": true, "sca": true, "clnp": true, "esis": true, "es-is": true, "is-is": true,
	"ifindex": true, "type": true, "subtype": true, "dir": true, "address1": true, "ra": true,
	"ta": true, "addr1": true, "addr2": true, "addr3": true, "addr4": true, "lane": true, "vxlan": true,
}

var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "src": true, "dst": true, "host": true, "net": true,
	"mask": true, "port": true, "portrange": true, "proto": true, "vlan": true, "less": true,
	"greater": true, "len": true, "broadcast": true, "multicast": true,
}

func isKeyword(w string) bool {
	_, p := protoNames[w]
	return p || keywords[w] || unsupported[w]
}

const grammarHint = "a filter is a tcpdump expression such as 'tcp port 80 and host 10.0.0.1' (see pcap-filter(7))"

type parser struct {
	toks  []token
	i     int
	last  qual
	depth int
}

// maxDepth bounds nesting (parentheses, 'not', arithmetic), so no input can exhaust the
// stack; maxExpr bounds the text.
const (
	maxDepth = 200
	maxExpr  = 64 << 10
)

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(p.peek(), "simplify the expression", "nested more than %d levels deep", maxDepth)
	}
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) isWord(w string) bool { t := p.peek(); return t.kind == tWord && t.text == w }
func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func errAt(t token, hint, format string, args ...any) *SyntaxError {
	return &SyntaxError{Col: t.col, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// parse parses a whole expression; the empty expression (only blanks) gives nil.
func parse(expr string) (node, error) {
	if len(expr) > maxExpr {
		return nil, &SyntaxError{Col: maxExpr + 1, Msg: fmt.Sprintf("expression longer than %d bytes", maxExpr), Hint: "use a shorter expression"}
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, last: qual{ok: true}}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tPunct && t.text == ")" {
			return nil, errAt(t, "remove it, or add the '(' it closes", "unbalanced ')'")
		}
		return nil, errAt(t, "join primitives with 'and' or 'or', as in 'tcp and port 80'", "unexpected %s", t)
	}
	return n, nil
}

func (p *parser) andOrOp() (bool, bool) {
	t := p.peek()
	switch {
	case t.kind == tWord && t.text == "and", t.kind == tPunct && t.text == "&&":
		return true, true
	case t.kind == tWord && t.text == "or", t.kind == tPunct && t.text == "||":
		return false, true
	}
	return false, false
}

// expr: "and" and "or" have the same precedence and associate to the left, as in
// pcap-filter(7).
func (p *parser) expr() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		and, ok := p.andOrOp()
		if !ok {
			return l, nil
		}
		op := p.next()
		if p.peek().kind == tEOF {
			return nil, errAt(p.peek(), "give the primitive that follows "+op.text, "expected a primitive after %s", op)
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &andOr{and: and, l: l, r: r, col: op.col}
	}
}

func (p *parser) unary() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	if t.kind == tWord && t.text == "not" || t.kind == tPunct && t.text == "!" {
		p.next()
		if p.peek().kind == tEOF {
			return nil, errAt(p.peek(), "give what 'not' negates, as in 'not port 22'", "expected a primitive after %s", t)
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x, col: t.col}, nil
	}
	if p.startsArith() {
		save, last := p.i, p.last
		rel, err := p.relation()
		if err == nil {
			return rel, nil
		}
		// "(" may open a group, and a number may be a bare ID ("port 80 or 443")
		group := t.kind == tPunct && t.text == "("
		se, _ := err.(*SyntaxError)
		bareNum := t.kind == tWord && se != nil && se.Msg == errNoRelop && se.Col == p.toks[save+1].col
		if !group && !bareNum {
			return nil, err
		}
		p.i, p.last = save, last
	}
	if p.isPunct("(") {
		open := p.next()
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, errAt(p.peek(), "add the ')' that closes the '(' at column "+strconv.Itoa(open.col), "expected ')'")
		}
		p.next()
		return n, nil
	}
	return p.primitive()
}

func isNumWord(w string) bool { _, ok, _ := parseNum(w); return ok }

// startsArith reports whether the next tokens can begin an arithmetic expression.
func (p *parser) startsArith() bool {
	t := p.peek()
	switch t.kind {
	case tPunct:
		return t.text == "(" || t.text == "-"
	case tWord:
		if t.text == "len" || isNumWord(t.text) || arithConsts[t.text] != nil {
			return true
		}
		if _, ok := protoNames[t.text]; ok {
			n := p.peekN(1)
			return n.kind == tPunct && n.text == "["
		}
	}
	return false
}

const errNoRelop = "expected a comparison (=, !=, <, <=, >, >=) after the arithmetic expression"

var relops = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *parser) relation() (node, error) {
	start := p.peek()
	l, err := p.arith(0)
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op.kind != tPunct || !relops[op.text] {
		return nil, errAt(op, "as in 'tcp[13] & 2 != 0' or 'len > 100'", errNoRelop)
	}
	p.next()
	r, err := p.arith(0)
	if err != nil {
		return nil, err
	}
	p.last = qual{}
	return &relation{op: op.text, l: l, r: r, col: start.col}, nil
}

// binary operator precedence, lowest first (libpcap's grammar). libpcap's grammar gives
// '%' and '^' no precedence, so its parser always shifts them: "a / b % c" is
// "a / (b % c)" and "a % b + c" is "a % (b + c)"; noPrec marks them.
var arithPrec = map[string]int{"|": 1, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 7, "^": 7}

const noPrec = 7

func (p *parser) arith(minPrec int) (arith, error) {
	l, err := p.arithPrimary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec, ok := arithPrec[t.text]
		if t.kind != tPunct || !ok || prec <= minPrec && prec != noPrec {
			return l, nil
		}
		p.next()
		if prec == noPrec {
			prec = 0
		}
		r, err := p.arith(prec)
		if err != nil {
			return nil, err
		}
		l = &binA{op: t.text, l: l, r: r, col: t.col}
	}
}

// arithConsts are the named constants of pcap-filter(7).
var arithConsts = map[string]*uint32{}

func init() {
	for k, v := range map[string]uint32{
		"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
		"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
		"icmptype": 0, "icmpcode": 1, "icmp-echoreply": 0, "icmp-unreach": 3,
		"icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8, "icmp-routeradvert": 9,
		"icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12, "icmp-tstamp": 13,
		"icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17,
		"icmp-maskreply": 18, "icmp6type": 0, "icmp6code": 1, "icmp6-destinationunreach": 1,
		"icmp6-packettoobig": 2, "icmp6-timeexceeded": 3, "icmp6-parameterproblem": 4,
		"icmp6-echo": 128, "icmp6-echoreply": 129, "icmp6-multicastlistenerquery": 130,
		"icmp6-multicastlistenerreportv1": 131, "icmp6-multicastlistenerdone": 132,
		"icmp6-routersolicit": 133, "icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135,
		"icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	} {
		arithConsts[k] = &v
	}
}

func (p *parser) arithPrimary() (arith, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	switch {
	case t.kind == tPunct && t.text == "(":
		p.next()
		a, err := p.arith(0)
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, errAt(p.peek(), "close the parenthesis", "expected ')' in the arithmetic expression")
		}
		p.next()
		return a, nil
	case t.kind == tPunct && t.text == "-":
		p.next()
		x, err := p.arithPrimary()
		if err != nil {
			return nil, err
		}
		if n, ok := x.(*numA); ok {
			return &numA{-n.v}, nil
		}
		return &negA{x}, nil
	case t.kind == tWord && t.text == "len":
		p.next()
		return &lenA{}, nil
	case t.kind == tWord:
		if v := arithConsts[t.text]; v != nil {
			p.next()
			return &numA{*v}, nil
		}
		if v, ok, err := parseNum(t.text); ok {
			if err != nil {
				return nil, errAt(t, "write decimal, 0x hexadecimal or 0 octal numbers", "%v", err)
			}
			p.next()
			return &numA{v}, nil
		}
		if q, ok := protoNames[t.text]; ok && p.peekN(1).kind == tPunct && p.peekN(1).text == "[" {
			p.next()
			p.next()
			off, err := p.arith(0)
			if err != nil {
				return nil, err
			}
			size := 1
			if p.isPunct(":") {
				p.next()
				st := p.peek()
				v, ok, _ := parseNum(st.text)
				if st.kind != tWord || !ok {
					return nil, errAt(st, "the size of a load is 1, 2 or 4 bytes, as in 'ip[2:2]'", "expected a data size")
				}
				if v != 1 && v != 2 && v != 4 {
					return nil, errAt(st, "the size of a load is 1, 2 or 4 bytes, as in 'ip[2:2]'", "data size must be 1, 2, or 4")
				}
				size = int(v)
				p.next()
			}
			if !p.isPunct("]") {
				return nil, errAt(p.peek(), "close the load, as in 'tcp[13]' or 'ip[2:2]'", "expected ']'")
			}
			p.next()
			return &loadA{proto: q, off: off, size: size, col: t.col}, nil
		}
	}
	return nil, errAt(t, "arithmetic uses numbers, len and loads such as tcp[13] or ip[2:2]", "expected a number, 'len' or a load such as 'tcp[13]'")
}

func (p *parser) dirQual() (qdir, bool) {
	t := p.peek()
	if t.kind != tWord || t.text != "src" && t.text != "dst" {
		return dDefault, false
	}
	first := t.text
	p.next()
	// "src or dst", "dst and src", ...
	n1, n2 := p.peek(), p.peekN(1)
	if n1.kind == tWord && (n1.text == "or" || n1.text == "and") && n2.kind == tWord && (n2.text == "src" || n2.text == "dst") && n2.text != first {
		p.next()
		p.next()
		if n1.text == "or" {
			return dOr, true
		}
		return dAnd, true
	}
	if first == "src" {
		return dSrc, true
	}
	return dDst, true
}

var typeNames = map[string]qtype{"host": tyHost, "net": tyNet, "port": tyPort, "portrange": tyPortRange, "proto": tyProto}

func (p *parser) primitive() (node, error) {
	t := p.peek()
	if t.kind == tWord && unsupported[t.text] {
		return nil, errAt(t, "segscope's filters implement the primitives listed in the README's \"Selecting\" section", "'%s' is not supported", t.text)
	}
	if t.kind == tPunct {
		return nil, errAt(t, grammarHint, "expected a primitive, found %s", t)
	}
	if t.kind == tEOF {
		return nil, errAt(t, grammarHint, "expected a primitive")
	}
	switch t.text {
	case "vlan":
		p.next()
		n := &prim{kind: pVlan, col: t.col}
		if v, ok, err := parseNum(p.peek().text); ok && p.peek().kind == tWord {
			if err != nil {
				return nil, errAt(p.peek(), "", "%v", err)
			}
			if v > 4095 {
				return nil, errAt(p.peek(), "a VLAN ID is 0 to 4095", "VLAN tag %d greater than maximum 4095", v)
			}
			n.num, n.hasNum = v, true
			p.next()
		}
		p.last = qual{}
		return n, nil
	case "less", "greater":
		p.next()
		nt := p.peek()
		v, ok, err := parseNum(nt.text)
		if nt.kind != tWord || !ok || err != nil {
			return nil, errAt(nt, "as in '"+t.text+" 100'", "expected a length after '%s'", t.text)
		}
		p.next()
		p.last = qual{}
		op := "<="
		if t.text == "greater" {
			op = ">="
		}
		return &relation{op: op, l: &lenA{}, r: &numA{v}, col: t.col}, nil
	case "broadcast", "multicast":
		p.next()
		p.last = qual{}
		if t.text == "broadcast" {
			return &prim{kind: pBroadcast, col: t.col}, nil
		}
		return &prim{kind: pMulticast, col: t.col}, nil
	}

	q := qual{ok: true}
	explicit := false
	if pq, ok := protoNames[t.text]; ok && t.kind == tWord {
		p.next()
		q.proto, explicit = pq, true
		nt := p.peek()
		if nt.kind == tWord && (nt.text == "broadcast" || nt.text == "multicast") {
			p.next()
			p.last = qual{}
			kind := pBroadcast
			if nt.text == "multicast" {
				kind = pMulticast
			}
			if pq != qLink && pq != qIP && !(pq == qIP6 && kind == pMulticast) {
				return nil, errAt(nt, "", "'%s' does not apply to %s", nt.text, pq)
			}
			return &prim{kind: kind, proto: pq, col: t.col}, nil
		}
		if !p.startsQualOrID() {
			if pq == qLink {
				return nil, errAt(nt, "as in 'ether host 00:11:22:33:44:55' or 'ether proto 0x0800'", "expected 'host', 'src', 'dst' or 'proto' after 'ether'")
			}
			p.last = qual{}
			return &prim{kind: pProto, proto: pq, col: t.col}, nil
		}
	}
	if d, ok := p.dirQual(); ok {
		q.dir, explicit = d, true
	}
	if nt := p.peek(); nt.kind == tWord {
		if ty, ok := typeNames[nt.text]; ok {
			p.next()
			q.typ, explicit = ty, true
		}
	}
	if !explicit {
		q = p.last
		if !q.ok {
			return nil, errAt(t, "give a qualifier, as in 'host 10.0.0.1' or 'port 80'", "expected a primitive, found %s", t)
		}
	}
	n, err := p.id(q, t.col)
	if err != nil {
		return nil, err
	}
	p.last = q
	return n, nil
}

// startsQualOrID reports whether a qualifier or an ID follows a protocol keyword.
func (p *parser) startsQualOrID() bool {
	t := p.peek()
	if t.kind == tEsc {
		return true
	}
	if t.kind != tWord {
		return false
	}
	if t.text == "src" || t.text == "dst" || typeNames[t.text] != 0 {
		return true
	}
	return !isKeyword(t.text)
}

var qtypeExpect = [...]string{"a host address", "a host address", "a network", "a port number", "a port range", "a protocol"}

func (p *parser) id(q qual, col int) (node, error) {
	t := p.peek()
	want := qtypeExpect[q.typ]
	if t.kind == tEOF || t.kind == tPunct || t.kind == tWord && isKeyword(t.text) && q.typ != tyProto {
		hint := map[qtype]string{
			tyDefault: "as in 'host 10.0.0.1'", tyHost: "as in 'host 10.0.0.1' or 'host fe80::1'",
			tyNet: "as in 'net 10.0.0.0/8' or 'net 10.0.0.0 mask 255.0.0.0'", tyPort: "as in 'port 80' or 'port http'",
			tyPortRange: "as in 'portrange 8000-8080'", tyProto: "as in 'ip proto 6' or 'ip proto \\tcp'",
		}[q.typ]
		return nil, errAt(t, hint, "expected %s", want)
	}
	p.next()
	n := &prim{proto: q.proto, dir: q.dir, col: col, idCol: t.col}
	switch q.typ {
	case tyProto:
		if q.dir != dDefault {
			return nil, errAt(t, "", "'proto' takes no direction")
		}
		v, ok, err := parseNum(t.text)
		if t.kind == tWord && ok {
			if err != nil {
				return nil, errAt(t, "", "%v", err)
			}
		} else {
			if t.kind == tWord && isKeyword(t.text) {
				return nil, errAt(t, "escape protocol keywords with a backslash, as in 'ip proto \\"+t.text+"'", "expected a protocol")
			}
			names := ipProtos
			if q.proto == qLink {
				names = etherProtos
			}
			v, ok = names[t.text]
			if !ok {
				return nil, errAt(t, "give a number, as in 'proto 6'", "unknown protocol '%s'", t.text)
			}
		}
		switch q.proto {
		case qDefault, qLink, qIP, qIP6:
		default:
			return nil, errAt(t, "'proto' follows ether, ip or ip6", "'%s proto' is not valid", q.proto)
		}
		if q.proto != qLink && v > 255 || v > 65535 {
			return nil, errAt(t, "", "protocol %d is out of range", v)
		}
		n.kind, n.num = pProtoNum, v
		return n, nil
	case tyPort, tyPortRange:
		switch q.proto {
		case qDefault, qTCP, qUDP, qSCTP:
		default:
			return nil, errAt(t, "ports belong to tcp, udp or sctp, as in 'tcp port 80'", "illegal qualifier of '%s'", qtypeText[q.typ])
		}
		if q.typ == tyPort {
			v, svc, err := parsePort(t.text)
			if err != nil {
				return nil, errAt(t, "a port is a number from 0 to 65535 or a service name such as http", "%v", err)
			}
			n.kind, n.lo, n.hi, n.svc = pPort, v, v, svc
			return n, nil
		}
		lo, hi, svc, err := parsePortRange(t.text)
		if err != nil {
			return nil, errAt(t, "as in 'portrange 8000-8080'", "%v", err)
		}
		n.kind, n.lo, n.hi, n.svc = pPortRange, lo, hi, svc
		return n, nil
	}
	// host, net, or default
	if q.proto == qLink {
		mac, ok := parseMAC(t.text)
		if !ok {
			return nil, errAt(t, "as in 'ether host 00:11:22:33:44:55'", "expected a MAC address")
		}
		if q.typ == tyNet {
			return nil, errAt(t, "", "'ether net' is not valid")
		}
		n.kind, n.mac = pEther, mac
		return n, nil
	}
	switch q.proto {
	case qDefault, qIP, qIP6, qARP, qRARP:
	default:
		return nil, errAt(t, "give 'host' or 'net' with ip, ip6, arp or rarp, or a port with tcp/udp, as in 'tcp port 80'", "'%s' modifier applied to host", q.proto)
	}
	if _, ok := parseMAC(t.text); ok && t.kind == tWord && !strings.Contains(t.text, "::") {
		if q.typ == tyNet {
			return nil, errAt(t, "", "a MAC address is not a network")
		}
		n.kind, n.mac, n.proto = pEther, mac6(t.text), qLink
		return n, nil
	}
	if t.kind == tWord && strings.Contains(t.text, ":") {
		a, err := netip.ParseAddr(t.text)
		if err != nil || !a.Is6() {
			return nil, errAt(t, "", "bad IPv6 address '%s'", t.text)
		}
		if q.proto != qDefault && q.proto != qIP6 {
			return nil, errAt(t, "", "'%s' modifier applied to ip6 host", q.proto)
		}
		bits := 128
		if p.isPunct("/") {
			if q.typ == tyHost {
				return nil, errAt(p.peek(), "write 'net "+t.text+"/LEN'", "Mask syntax for networks only")
			}
			p.next()
			lt := p.peek()
			v, ok, _ := parseNum(lt.text)
			if lt.kind != tWord || !ok || v > 128 {
				return nil, errAt(lt, "an IPv6 prefix length is 0 to 128", "expected a prefix length")
			}
			p.next()
			bits = int(v)
		} else if q.typ == tyNet && p.isWord("mask") {
			return nil, errAt(p.peek(), "write 'net "+t.text+"/LEN'", "'mask' is for IPv4 networks; give a prefix length")
		}
		pfx := netip.PrefixFrom(a, bits)
		if pfx.Masked() != pfx {
			return nil, errAt(t, "clear the host bits, as in '"+pfx.Masked().String()+"'", "non-network bits set in \"%s/%d\"", t.text, bits)
		}
		n.addr = pfx
		if q.typ == tyNet || bits < 128 {
			n.kind = pNet
		} else {
			n.kind = pHost
		}
		return n, nil
	}
	// IPv4: dotted, possibly partial ("10", "10.1")
	a, parts, ok := parseIPv4(t.text)
	if !ok {
		if t.kind == tWord && len(t.text) > 0 && (t.text[0] < '0' || t.text[0] > '9') {
			return nil, errAt(t, "give an address: segscope does not resolve host names", "'%s' is not an address", t.text)
		}
		return nil, errAt(t, "as in 'host 10.0.0.1'", "expected %s", want)
	}
	if q.proto == qIP6 {
		return nil, errAt(t, "", "'ip6' modifier applied to ip host")
	}
	bits := 32
	switch {
	case p.isPunct("/"):
		if q.typ == tyHost {
			return nil, errAt(p.peek(), "write 'net "+t.text+"/LEN'", "Mask syntax for networks only")
		}
		p.next()
		lt := p.peek()
		v, ok, _ := parseNum(lt.text)
		if lt.kind != tWord || !ok {
			return nil, errAt(lt, "an IPv4 prefix length is 0 to 32", "expected a prefix length")
		}
		if v > 32 {
			return nil, errAt(lt, "an IPv4 prefix length is 0 to 32", "mask length must be <= 32")
		}
		p.next()
		bits = int(v)
	case p.isWord("mask"):
		if q.typ == tyHost {
			return nil, errAt(p.peek(), "", "Mask syntax for networks only")
		}
		p.next()
		mt := p.peek()
		m, mparts, ok := parseIPv4(mt.text)
		if !ok || mparts != 4 {
			return nil, errAt(mt, "as in 'net 10.0.0.0 mask 255.0.0.0'", "expected a netmask")
		}
		p.next()
		mv := be32(m)
		bits = -1
		for b := 0; b <= 32; b++ {
			if b == 0 && mv == 0 || b > 0 && mv == ^uint32(0)<<(32-b) {
				bits = b
			}
		}
		if bits < 0 {
			return nil, errAt(mt, "a netmask is contiguous ones, as in 255.255.0.0", "non-contiguous netmask %s", mt.text)
		}
	case q.typ == tyNet:
		bits = 8 * parts
	}
	// a partial address holds its numbers in its first bytes: "host 10" is 10.0.0.0 and
	// "net 10" is 10.0.0.0/8, as in libpcap
	pfx := netip.PrefixFrom(a, bits)
	if pfx.Masked() != pfx {
		return nil, errAt(t, "clear the host bits, as in '"+pfx.Masked().String()+"'", "non-network bits set in \"%s/%d\"", t.text, bits)
	}
	n.addr = pfx
	if q.typ == tyNet || bits < 32 {
		n.kind = pNet
	} else {
		n.kind = pHost
	}
	return n, nil
}

func mac6(w string) [6]byte { m, _ := parseMAC(w); return m }

func be32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// parseIPv4 reads 1 to 4 dotted numbers; the address holds them in its first bytes
// (net semantics). parts is how many were given.
func parseIPv4(w string) (netip.Addr, int, bool) {
	fs := strings.Split(w, ".")
	if len(fs) > 4 {
		return netip.Addr{}, 0, false
	}
	var b [4]byte
	for i, f := range fs {
		v, ok, err := parseNum(f)
		if !ok || err != nil || v > 255 {
			return netip.Addr{}, 0, false
		}
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b), len(fs), true
}

// protoSet is a set of transport protocols a port applies to.
type protoSet uint8

const (
	psTCP protoSet = 1 << iota
	psUDP
	psSCTP
)

// services maps the service names of a standard /etc/services to their port and the
// protocols they are registered for. A fixed table keeps filters the same on every
// machine.
var services = map[string]struct {
	port  uint16
	proto protoSet
}{
	"echo": {7, psTCP | psUDP}, "discard": {9, psTCP | psUDP}, "daytime": {13, psTCP | psUDP},
	"ftp-data": {20, psTCP}, "ftp": {21, psTCP}, "ssh": {22, psTCP}, "telnet": {23, psTCP},
	"smtp": {25, psTCP}, "domain": {53, psTCP | psUDP}, "bootps": {67, psUDP}, "bootpc": {68, psUDP},
	"tftp": {69, psUDP}, "http": {80, psTCP}, "www": {80, psTCP}, "kerberos": {88, psTCP | psUDP},
	"pop3": {110, psTCP}, "sunrpc": {111, psTCP | psUDP}, "nntp": {119, psTCP}, "ntp": {123, psUDP},
	"imap": {143, psTCP}, "imap2": {143, psTCP}, "snmp": {161, psTCP | psUDP}, "snmp-trap": {162, psTCP | psUDP},
	"bgp": {179, psTCP}, "ldap": {389, psTCP | psUDP}, "https": {443, psTCP}, "microsoft-ds": {445, psTCP},
	"syslog": {514, psUDP}, "submission": {587, psTCP}, "ldaps": {636, psTCP}, "imaps": {993, psTCP},
	"pop3s": {995, psTCP}, "mysql": {3306, psTCP}, "postgresql": {5432, psTCP}, "http-alt": {8080, psTCP},
}

var ipProtos = map[string]uint32{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "icmp6": 58, "sctp": 132, "pim": 103, "vrrp": 112}

var etherProtos = map[string]uint32{"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035}

func parsePort(w string) (uint16, protoSet, error) {
	if v, ok, err := parseNum(w); ok {
		if err != nil {
			return 0, 0, err
		}
		if v > 65535 {
			return 0, 0, fmt.Errorf("illegal port number %d > 65535", v)
		}
		return uint16(v), 0, nil
	}
	if s, ok := services[w]; ok {
		return s.port, s.proto, nil
	}
	return 0, 0, fmt.Errorf("unknown port '%s'", w)
}

func parsePortRange(w string) (lo, hi uint16, svc protoSet, err error) {
	// split at a '-' such that both sides are ports ("ftp-data-ftp" is ambiguous: try each)
	for i := 0; i < len(w); i++ {
		if w[i] != '-' {
			continue
		}
		a, sa, e1 := parsePort(w[:i])
		b, sb, e2 := parsePort(w[i+1:])
		if e1 == nil && e2 == nil {
			if a > b {
				a, b = b, a
			}
			return a, b, sa | sb, nil
		}
	}
	if p, s, err := parsePort(w); err == nil {
		return p, p, s, nil
	}
	return 0, 0, 0, fmt.Errorf("unknown port in range '%s'", w)
}
