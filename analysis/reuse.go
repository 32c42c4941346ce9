package analysis

import (
	"strconv"

	"github.com/segscope/segscope/tcpseq"
)

// reuse explains a connection that opened on the 4-tuple of an earlier one: who held
// TIME_WAIT for the old connection, and what let the new SYN through. What a capture can
// show: the time since the old connection's last segment, which side closed it first, the
// new SYN's sequence number against the old connection's last one, and whether both
// ends use timestamps. The rules (Linux):
//   - the side that closed first holds TIME_WAIT; the other side keeps nothing, so when
//     the opener (the client) did not close first it may connect again at once;
//   - a server in TIME_WAIT accepts a new SYN on the tuple when its sequence number is
//     above the old connection's (RFC 9293 §3.6.1, RFC 1122 §4.2.2.13) or its timestamp
//     is newer (RFC 6191);
//   - a client in TIME_WAIT can only connect again from the same port with
//     net.ipv4.tcp_tw_reuse and timestamps, once the old connection's last timestamp is
//     more than a second old (PAWS, RFC 7323, tells old duplicates apart).
func (d *diag) reuse() {
	ci := d.ci
	if ci.TupleIndex == 0 || d.f.synIdx < 0 {
		return
	}
	syn := &d.segs[d.f.synIdx]
	if ci.Prev == nil {
		d.add(syn.Frame, KindTupleReuse, SevInfo, "this connection reuses the 4-tuple of an earlier one (connection "+strconv.Itoa(ci.TupleIndex+1)+" on these ports); the earlier connection is not in this output")
		return
	}
	pv := ci.Prev
	t := "this connection reuses the 4-tuple of connection " + strconv.FormatUint(pv.ID, 10) + ", " + fmtDur(syn.TS-pv.LastTS) + " after its last segment"
	switch {
	case pv.Reset:
		t += ": that connection ended with an RST, which leaves no TIME_WAIT, so the tuple was free at once"
	case !pv.FINs || pv.Closer < 0:
		t += ": that connection did not end with a FIN exchange seen here, so who held TIME_WAIT is unknown"
	case pv.Closer == 1:
		t += ": the server closed that connection first and so held TIME_WAIT, while the client, which holds nothing, could connect again from the same port"
		higher := ci.SawSYN[0] && tcpseq.Seq(pv.ClientEnd).LessThan(tcpseq.Seq(ci.ISN[0]))
		switch {
		case higher && ci.Timestamps:
			t += "; the server's TIME_WAIT let the new SYN through because its sequence number is above the old connection's last one (RFC 9293 §3.6.1) and its timestamps are newer (RFC 6191)"
		case higher:
			t += "; the server's TIME_WAIT let the new SYN through because its sequence number is above the old connection's last one (RFC 9293 §3.6.1)"
		case ci.Timestamps:
			t += "; the new SYN's sequence number is not above the old connection's, so it was the newer timestamps that let it through the server's TIME_WAIT (RFC 6191)"
		default:
			t += "; the new SYN's sequence number is not above the old connection's and there are no timestamps: the server must have dropped its TIME_WAIT early (or was short of it)"
		}
	default:
		t += ": the client closed that connection first and so held TIME_WAIT itself"
		if ci.Timestamps {
			t += "; connecting again from the same port meanwhile needs timestamps (which both ends use) and, on Linux, net.ipv4.tcp_tw_reuse, for a SYN whose timestamp is more than a second newer than the old connection's last one (PAWS, RFC 7323)"
		} else {
			t += "; without timestamps a client cannot reuse its TIME_WAIT tuple: that TIME_WAIT must have been cut short (SO_LINGER 0, or tcp_tw_recycle on old kernels)"
		}
	}
	d.add(syn.Frame, KindTupleReuse, SevInfo, t)
}
