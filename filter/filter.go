// Package filter compiles tcpdump filter expressions (the pcap-filter(7) language) to
// classic BPF programs, in pure Go: the lexer, parser, code generator and optimiser are
// ours; golang.org/x/net/bpf supplies the instruction set, the assembler and the
// reference VM. The same program decides on a raw frame read from a file (frame numbers
// stay the file's: the caller just skips frames) and is attached to a live packet socket
// (SO_ATTACH_FILTER), so the kernel drops what is not wanted.
//
// Semantics are libpcap's, checked by a differential test against tcpdump on every test
// capture and by fuzzing against 'tcpdump -ddd': 'and' and 'or' have equal precedence
// and associate to the left; a bare ID takes the qualifiers of the primitive before it
// ("port 80 or 443"); 'tcp', 'udp', 'port' and 'proto' match IPv4 and IPv6; a port test
// and a tcp[...]/udp[...] load match the first IPv4 fragment only (the others carry no
// transport header), and transport loads are IPv4-only; 'vlan' moves the offsets of
// everything after it in the expression by 4 bytes, as in libpcap; a load past the
// captured bytes rejects the packet. Host names are not resolved: give addresses. Port
// names come from a fixed table of common services (a port name registered for TCP only
// matches TCP, as with libpcap and a standard /etc/services).
//
// What it does not own: reading frames (capture), decoding (decode), and deciding what
// to do with a frame that does not match (the pipeline).
package filter

import "golang.org/x/net/bpf"

// Filter is a parsed expression, compiled lazily for each link type it meets. It is not
// safe for concurrent use.
type Filter struct {
	expr    string
	root    node
	snaplen int
	progs   []*Program
	last    *Program
}

// Parse parses expr. The empty expression accepts every frame. Errors are *SyntaxError.
func Parse(expr string) (*Filter, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &Filter{expr: expr, root: n, snaplen: DefaultSnaplen}, nil
}

// String returns the expression as given.
func (f *Filter) String() string { return f.expr }

// SetSnaplen sets what an accepting program returns (for a socket filter: how many
// bytes of a matching packet the kernel keeps). Programs compiled before keep theirs.
func (f *Filter) SetSnaplen(n int) {
	if n > 0 {
		f.snaplen = n
		f.progs, f.last = nil, nil
	}
}

// Program returns the program for link, compiling it on first use. Errors are
// *SyntaxError (an expression that means nothing on this link type, such as 'ether
// host' on Linux cooked captures) or *LinkError.
func (f *Filter) Program(link LinkType) (*Program, error) {
	if f.last != nil && f.last.link == link {
		return f.last, nil
	}
	for _, p := range f.progs {
		if p.link == link {
			f.last = p
			return p, nil
		}
	}
	p, err := compileNode(f.root, link, f.snaplen)
	if err != nil {
		return nil, err
	}
	f.progs = append(f.progs, p)
	f.last = p
	return p, nil
}

// Match reports whether a frame of link type link matches; data is its captured bytes
// and wireLen its length on the wire. It does not allocate once the program for link
// is compiled.
func (f *Filter) Match(link LinkType, data []byte, wireLen int) (bool, error) {
	p := f.last
	if p == nil || p.link != link {
		var err error
		if p, err = f.Program(link); err != nil {
			return false, err
		}
	}
	return p.Run(data, wireLen) != 0, nil
}

// Match reports whether a frame matches the program (see Run).
func (p *Program) Match(data []byte, wireLen int) bool { return p.Run(data, wireLen) != 0 }

// RunReference runs the program in golang.org/x/net/bpf's VM, the reference the fast
// interpreter is tested against. Its 'len' is the captured length.
func (p *Program) RunReference(data []byte) (uint32, error) {
	vm, err := bpf.NewVM(p.ins)
	if err != nil {
		return 0, err
	}
	v, err := vm.Run(data)
	return uint32(v), err
}
