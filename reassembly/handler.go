package reassembly

import (
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
)

// Handler receives what the tracker learns, in capture order. Calls for one connection
// come in this order: OnOpen, then for each segment OnSegment followed by the OnData and
// OnGap calls it caused, and finally OnClose. Slices passed in are borrowed until the call
// returns.
//
// After OnClose a connection stays in the table as a tombstone for Config.ClosedLinger, so
// late packets (the last ACK, a retransmitted FIN or RST) are still reported by OnSegment;
// no OnData, OnGap or second OnClose follows. The *Conn of such a late OnSegment is
// rebuilt from the tombstone and valid only during the call: it is not the pointer of the
// earlier calls, and the tracker reuses it for the next late segment of any connection.
// It has the same ID, Key, Client, Server, Index, ReusedTuple, Close, Closer and
// HalfClosed, Closed reports true, and each DirState has the connection's ISN, SawSYN,
// WScale, State and NextOffset; its counters, frame numbers and times cover only the late
// segment itself, and User is nil. The Conn passed before and at OnClose is reused for
// a later connection once OnClose returns: handlers must not keep it past OnClose.
// Conn.Closed reports whether OnClose was already called. Calls for other connections
// (idle timeouts, evictions, buffer limits) may come between the calls of one segment.
type Handler interface {
	// OnOpen is called when a connection is first seen (c.ID is set).
	OnOpen(c *Conn)
	// OnSegment is called for every TCP segment, after classification.
	OnSegment(c *Conn, dir flow.Dir, seg *decode.Segment, info *SegInfo)
	// OnData delivers in-order stream bytes of one direction: data starts at stream offset
	// off (0 is the first byte after the SYN). frame is the frame that first carried these
	// bytes (first-wins); ts is the time of that frame.
	OnData(c *Conn, dir flow.Dir, off uint64, data []byte, frame uint64, ts int64)
	// OnGap reports n bytes at offset off that will never be delivered. ts is the packet
	// time at which the gap was decided.
	OnGap(c *Conn, dir flow.Dir, off uint64, n uint64, ts int64)
	// OnClose is called once when the connection ends (FIN both ways, RST, idle timeout,
	// eviction or the end of the input), after every byte and gap has been delivered.
	OnClose(c *Conn)
}

// A Dropper is a Handler that also wants to know when a connection leaves the table for
// good: its tombstone expired or made room, a new connection took its 4-tuple, or Flush.
// OnDrop comes after every other call for the connection, in the same order as those
// calls; no later call names the ID.
type Dropper interface {
	OnDrop(id uint64)
}
