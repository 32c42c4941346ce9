package analysis

// Side is what a capture shows of one side of a connection, the input of State.
type Side struct {
	Server   bool // the side that answered the SYN (or, without one, the inferred server)
	Seen     bool // it sent any segment
	SYN      bool // it sent a SYN (the server: a SYN-ACK)
	Data     bool // it sent a segment without SYN (data or a pure ACK)
	FIN      bool // it sent a FIN
	FINAcked bool // its FIN was acknowledged
	FINFrame uint64
	RST      bool // it sent an accepted RST
}

// State is the RFC 9293 state (§3.3.2) an observer infers for side self of a connection
// from what self and its peer sent, at the end of the capture:
//
//	SYN-SENT      the client sent a SYN, no SYN-ACK was seen
//	SYN-RECEIVED  the server sent a SYN-ACK and the client's ACK was not seen
//	ESTABLISHED   the handshake completed (or data flowed), no FIN seen
//	FIN-WAIT-1    it closed first: its FIN is not yet acknowledged, no FIN from the peer
//	FIN-WAIT-2    it closed first: its FIN was acknowledged, the peer's FIN not seen
//	CLOSING       it closed first, and the peer's FIN came before its own was acknowledged
//	TIME-WAIT     it closed first and received the peer's FIN: it holds TIME_WAIT
//	CLOSE-WAIT    the peer's FIN came, it has not sent its own
//	LAST-ACK      it closed second: its FIN is not yet acknowledged
//	CLOSED        it closed second and its FIN was acknowledged, or an RST ended the
//	              connection
//	unknown       it sent nothing the capture saw (a server that never answered, or a
//	              connection seen from the middle with one direction missing)
//
// LISTEN is never inferred: a listening socket sends nothing until a SYN comes.
func State(self, peer Side) string {
	switch {
	case self.RST || peer.RST:
		return "CLOSED"
	case !self.Seen:
		return "unknown"
	}
	first := self.FIN && (!peer.FIN || self.FINFrame < peer.FINFrame)
	switch {
	case self.FIN && first && peer.FIN && self.FINAcked:
		return "TIME-WAIT"
	case self.FIN && first && peer.FIN:
		return "CLOSING"
	case self.FIN && first && self.FINAcked:
		return "FIN-WAIT-2"
	case self.FIN && first:
		return "FIN-WAIT-1"
	case self.FIN && self.FINAcked:
		return "CLOSED"
	case self.FIN:
		return "LAST-ACK"
	case peer.FIN:
		return "CLOSE-WAIT"
	}
	// Before any FIN: established once the side sent something beyond its SYN, or (the
	// server) once the client acknowledged its SYN-ACK.
	if self.Data || (self.Server && peer.Data) {
		return "ESTABLISHED"
	}
	if self.Server {
		return "SYN-RECEIVED"
	}
	return "SYN-SENT"
}
