package analysis

import "github.com/segscope/segscope/tcp"

// Socket calls an observer can infer at each end from the segments (the socket-API
// figure of the connection-management chapter): a capture shows packets, not system
// calls, so each is worded as an inference and only where the packet is the usual
// consequence of the call:
//
//	client SYN                      connect()
//	the ACK completing the handshake  accept() can return on the server
//	a data segment with PSH         the end of a write() (Linux pushes at the end of
//	                                each write's data)
//	a Nagle-held write              write() held by Nagle until the ACK
//	a FIN, the side still receives  shutdown(SHUT_WR) (a half-close)
//	a FIN otherwise                 close() (or shutdown)
//	an RST                          close() with unread data, SO_LINGER 0, or an abort
func socketCalls(ci *ConnInfo, f *connFacts, segs []SegRecord, nagleHeld map[int]bool) [][]string {
	calls := make([][]string, len(segs))
	add := func(i int, who uint8, call string) {
		calls[i] = append(calls[i], sideName(who)+": "+call)
	}
	var half [2]bool // the side's FIN was followed by new data from the peer
	for d := range uint8(2) {
		half[d] = f.halfClosed(segs, d^1).first >= 0
	}
	finDone := [2]bool{}
	for i := range segs {
		s := &segs[i]
		d := s.Dir & 1
		switch {
		case i == f.synIdx:
			add(i, d, "connect()")
		case i == f.hsAck:
			add(i, dirS2C, "accept() can return")
		}
		if s.Len > 0 && !s.isRetrans() {
			switch {
			case nagleHeld[i]:
				add(i, d, "write() held by Nagle, sent now")
			case s.Flags.Has(tcp.PSH):
				add(i, d, "end of a write() (PSH)")
			}
		}
		if s.Flags.Has(tcp.FIN) && !finDone[d] {
			finDone[d] = true
			if half[d] {
				add(i, d, "shutdown(SHUT_WR): half-close, still receiving")
			} else {
				add(i, d, "close() or shutdown()")
			}
		}
		if s.Flags.Has(tcp.RST) && i == f.rst {
			add(i, d, "close() with unread data, SO_LINGER 0, or an abort")
		}
	}
	return calls
}
