// Package parquet writes segment, conn or http records as an Apache Parquet file, for
// the engines that read Parquet natively (DuckDB, Spark, Trino, ClickHouse, pandas and
// polars). One file holds one kind of record; its schema is the row struct of that kind
// (SegmentRow, ConnRow, HTTPRow), whose parquet tags name and type every column:
//
//   - times (ts, start, end) are INT64 TIMESTAMP(NANOS, UTC);
//   - spans are INT64 nanoseconds, their names ending in _ns (-1 where the JSON record
//     has -1: not measurable);
//   - counts, frame numbers and sequence numbers are (unsigned) integers;
//   - flags, classes, anomalies, interim status codes and SACK blocks are LISTs;
//   - low-cardinality strings (dir, state, verdict, ...) are dictionary-encoded;
//   - per-direction pairs of the JSON records are flattened: packets_c2s, packets_s2c.
//
// Column names are the JSON Lines contract's, so a query reads like the JSON it
// replaces. Rows are written as they come, in row groups of RowGroupRows rows, with
// Snappy-compressed pages: memory stays flat however long the capture.
//
// It formats only: every value comes from the record.
package parquet

import (
	"io"

	pq "github.com/parquet-go/parquet-go"

	"github.com/segscope/segscope/report"
)

// Kind is the record kind a Sink writes.
type Kind uint8

// Kinds.
const (
	Segments Kind = iota // segment records (segscope packets)
	Conns                // conn records (segscope conns)
	HTTP                 // http records (segscope http)
)

// RowGroupRows is the number of rows per row group: big enough for good compression and
// fast scans, small enough that a writer holds a few MiB.
const RowGroupRows = 128 << 10

// batchRows is how many rows are converted before they are handed to the Parquet writer.
const batchRows = 512

// SACKBlock is one SACK block of a segment, relative to the peer's ISN like tcpdump
// (absolute with -S).
type SACKBlock struct {
	Left  uint32 `parquet:"left"`
	Right uint32 `parquet:"right"`
}

// SegmentRow is one row of a packets file: the "segment" record.
type SegmentRow struct {
	Frame         uint64      `parquet:"frame,delta"`
	TS            int64       `parquet:"ts,timestamp(nanosecond),delta"`
	RelNS         int64       `parquet:"rel_ns,delta"`
	Conn          uint64      `parquet:"conn"`
	Dir           string      `parquet:"dir,dict"`
	Src           string      `parquet:"src,dict"`
	Dst           string      `parquet:"dst,dict"`
	Flags         []string    `parquet:"flags,list"`
	Seq           uint32      `parquet:"seq"`
	Ack           uint32      `parquet:"ack"`
	SeqRaw        uint32      `parquet:"seq_raw"`
	AckRaw        uint32      `parquet:"ack_raw"`
	Len           int32       `parquet:"len"`
	Win           uint16      `parquet:"win"`
	WinScaled     uint32      `parquet:"win_scaled"`
	IPVersion     uint8       `parquet:"ip_version"`
	IPID          uint32      `parquet:"ip_id"`
	IPTTL         uint8       `parquet:"ip_ttl"`
	IPTotalLen    int32       `parquet:"ip_total_len"`
	IPHdrLen      int32       `parquet:"ip_hdr_len"`
	IPDF          bool        `parquet:"ip_df"`
	IPMF          bool        `parquet:"ip_mf"`
	IPFragOff     uint16      `parquet:"ip_frag_off"`
	IPFragments   int32       `parquet:"ip_fragments"`
	IPChecksumBad bool        `parquet:"ip_checksum_bad"`
	TCPHdrLen     int32       `parquet:"tcp_hdr_len"`
	MSS           uint16      `parquet:"opt_mss"`    // 0 when absent
	WScale        int32       `parquet:"opt_wscale"` // -1 when absent
	SACKPerm      bool        `parquet:"opt_sack_perm"`
	SACK          []SACKBlock `parquet:"opt_sack,list"`
	TSVal         int64       `parquet:"opt_ts_val"` // -1 when absent
	TSEcr         int64       `parquet:"opt_ts_ecr"` // -1 when absent
	TFO           bool        `parquet:"opt_tfo"`
	MPTCP         bool        `parquet:"opt_mptcp"`
	UnknownOpts   int32       `parquet:"opt_unknown"`
	OptsMalformed bool        `parquet:"opt_malformed"`
	Class         []string    `parquet:"class,list"`
	DupAck        int32       `parquet:"dup_ack"`
	Truncated     bool        `parquet:"truncated"`
	FrameLen      int32       `parquet:"frame_len"`
}

// ConnRow is one row of a conns file: the "conn" record.
type ConnRow struct {
	Conn             uint64 `parquet:"conn"`
	Client           string `parquet:"client"`
	Server           string `parquet:"server,dict"`
	CommunityID      string `parquet:"community_id"`
	UID              string `parquet:"uid"`
	FirstFrame       uint64 `parquet:"first_frame"`
	LastFrame        uint64 `parquet:"last_frame"`
	Start            int64  `parquet:"start,timestamp(nanosecond)"`
	End              int64  `parquet:"end,timestamp(nanosecond)"`
	RelNS            int64  `parquet:"rel_ns"`
	DurationNS       int64  `parquet:"duration_ns"`
	State            string `parquet:"state,dict"`
	HandshakeRTTNS   int64  `parquet:"handshake_rtt_ns"` // -1 when the handshake was not seen whole
	MSSClient        int32  `parquet:"mss_client"`
	MSSServer        int32  `parquet:"mss_server"`
	WScaleClient     int32  `parquet:"wscale_client"` // -1 when absent
	WScaleServer     int32  `parquet:"wscale_server"`
	SACK             bool   `parquet:"sack"`
	Timestamps       bool   `parquet:"timestamps"`
	PacketsC2S       uint64 `parquet:"packets_c2s"`
	PacketsS2C       uint64 `parquet:"packets_s2c"`
	BytesC2S         uint64 `parquet:"bytes_c2s"`
	BytesS2C         uint64 `parquet:"bytes_s2c"`
	RetransC2S       uint64 `parquet:"retransmissions_c2s"`
	RetransS2C       uint64 `parquet:"retransmissions_s2c"`
	OutOfOrderC2S    uint64 `parquet:"out_of_order_c2s"`
	OutOfOrderS2C    uint64 `parquet:"out_of_order_s2c"`
	GapBytesC2S      uint64 `parquet:"gap_bytes_c2s"`
	GapBytesS2C      uint64 `parquet:"gap_bytes_s2c"`
	ConflictBytesC2S uint64 `parquet:"conflict_bytes_c2s"`
	ConflictBytesS2C uint64 `parquet:"conflict_bytes_s2c"`
	SeqBytesC2S      uint64 `parquet:"seq_bytes_c2s"`
	SeqBytesS2C      uint64 `parquet:"seq_bytes_s2c"`
	IPBytesC2S       uint64 `parquet:"ip_bytes_c2s"`
	IPBytesS2C       uint64 `parquet:"ip_bytes_s2c"`
	History          string `parquet:"history"`
	ConnState        string `parquet:"conn_state,dict"`
	Requests         int32  `parquet:"requests"`
	Protocol         string `parquet:"protocol,dict"`
	SNI              string `parquet:"sni"`
	Close            string `parquet:"close,dict"`
	Closer           string `parquet:"closer,dict"`
	ReusedTuple      bool   `parquet:"reused_tuple"`
	TupleIndex       int32  `parquet:"tuple_index"`
}

// HTTPRow is one row of an http file: the "http" record.
type HTTPRow struct {
	Conn            uint64   `parquet:"conn"`
	UID             string   `parquet:"uid"`
	CommunityID     string   `parquet:"community_id"`
	Depth           int32    `parquet:"depth"`
	TS              int64    `parquet:"ts,timestamp(nanosecond)"`
	RelNS           int64    `parquet:"rel_ns"`
	Client          string   `parquet:"client"`
	Server          string   `parquet:"server,dict"`
	Method          string   `parquet:"method,dict"`
	URI             string   `parquet:"uri"`
	Host            string   `parquet:"host,dict"`
	Version         string   `parquet:"version,dict"`
	RespVersion     string   `parquet:"resp_version,dict"`
	Status          int32    `parquet:"status"`
	Reason          string   `parquet:"reason,dict"`
	ReqBodyLen      int64    `parquet:"req_body_len"`
	RespBodyLen     int64    `parquet:"resp_body_len"`
	RespDecodedLen  int64    `parquet:"resp_decoded_len"` // -1 when not decodable
	ContentType     string   `parquet:"content_type,dict"`
	ContentEncoding string   `parquet:"content_encoding,dict"`
	Interim         []int32  `parquet:"interim,list"`
	ReqFirstFrame   uint64   `parquet:"req_first_frame"`
	ReqLastFrame    uint64   `parquet:"req_last_frame"`
	RespFirstFrame  uint64   `parquet:"resp_first_frame"`
	RespLastFrame   uint64   `parquet:"resp_last_frame"`
	ConnectNS       int64    `parquet:"timing_connect_ns"`
	SendNS          int64    `parquet:"timing_send_ns"`
	WaitNS          int64    `parquet:"timing_wait_ns"`
	ReceiveNS       int64    `parquet:"timing_receive_ns"`
	Verdict         string   `parquet:"verdict,dict"`
	Anomalies       []string `parquet:"anomalies,list"`
	Upgrade         string   `parquet:"upgrade,dict"`
}

// Sink writes the records of one kind to a Parquet file; records of other kinds are
// ignored (the command line offers parquet for packets, conns and http only). The file
// is complete only after Close.
type Sink struct {
	kind Kind
	segs *pq.GenericWriter[SegmentRow]
	conn *pq.GenericWriter[ConnRow]
	http *pq.GenericWriter[HTTPRow]

	segBatch  []SegmentRow
	connBatch []ConnRow
	httpBatch []HTTPRow
	// strs, sacks and ints hold copies of the records' borrowed slices for the rows of
	// the batch; they are reused batch after batch.
	strs  []string
	sacks []SACKBlock
	ints  []int32
	err   error
}

// New returns a Sink that writes records of kind k to w.
func New(w io.Writer, k Kind) *Sink {
	opts := []pq.WriterOption{
		pq.MaxRowsPerRowGroup(RowGroupRows),
		pq.Compression(&pq.Snappy),
		pq.CreatedBy("segscope", "", ""),
	}
	s := &Sink{kind: k}
	switch k {
	case Segments:
		s.segs = pq.NewGenericWriter[SegmentRow](w, opts...)
		s.segBatch = make([]SegmentRow, 0, batchRows)
	case Conns:
		s.conn = pq.NewGenericWriter[ConnRow](w, opts...)
		s.connBatch = make([]ConnRow, 0, batchRows)
	default:
		s.http = pq.NewGenericWriter[HTTPRow](w, opts...)
		s.httpBatch = make([]HTTPRow, 0, batchRows)
	}
	return s
}

// keepStrs copies ss into the batch's string store and returns the copy.
func (s *Sink) keepStrs(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	n := len(s.strs)
	s.strs = append(s.strs, ss...)
	return s.strs[n:len(s.strs):len(s.strs)]
}

// since returns the names appended to the batch's string store since it held n.
func (s *Sink) since(n int) []string {
	if len(s.strs) == n {
		return nil
	}
	return s.strs[n:len(s.strs):len(s.strs)]
}

// Segment adds a segment row.
func (s *Sink) Segment(r *report.Segment) error {
	if s.segs == nil || s.err != nil {
		return s.err
	}
	s.segBatch = append(s.segBatch, SegmentRow{})
	row := &s.segBatch[len(s.segBatch)-1]
	o := &r.Options
	*row = SegmentRow{
		Frame: r.Frame, TS: int64(r.TS), RelNS: int64(r.Rel), Conn: r.Conn, Dir: r.Dir, Src: r.Src, Dst: r.Dst,
		Seq: r.Seq, Ack: r.Ack, SeqRaw: r.SeqRaw, AckRaw: r.AckRaw,
		Len: int32(r.Len), Win: r.Win, WinScaled: r.WinScaled,
		IPVersion: r.IP.Version, IPID: r.IP.ID, IPTTL: r.IP.TTL, IPTotalLen: int32(r.IP.TotalLen),
		IPHdrLen: int32(r.IP.HdrLen), IPDF: r.IP.DF, IPMF: r.IP.MF, IPFragOff: r.IP.FragOff,
		IPFragments: int32(r.IP.Fragments), IPChecksumBad: r.IP.ChecksumBad, TCPHdrLen: int32(r.TCPHdrLen),
		MSS: o.MSS, WScale: -1, SACKPerm: o.SACKPerm, TSVal: -1, TSEcr: -1, TFO: o.TFO, MPTCP: o.MPTCP,
		UnknownOpts: int32(o.Unknown), OptsMalformed: o.Malformed,
		DupAck: int32(r.DupAck), Truncated: r.Truncated, FrameLen: int32(r.FrameLen),
	}
	n := len(s.strs)
	s.strs = r.Flags.Names(s.strs)
	row.Flags = s.since(n)
	n = len(s.strs)
	s.strs = r.Class.Names(s.strs)
	row.Class = s.since(n)
	if o.HasWScale {
		row.WScale = int32(o.WScale)
	}
	if o.HasTS {
		row.TSVal, row.TSEcr = int64(o.TSVal), int64(o.TSEcr)
	}
	if len(o.SACK) > 0 {
		n := len(s.sacks)
		for _, b := range o.SACK {
			s.sacks = append(s.sacks, SACKBlock{Left: b[0], Right: b[1]})
		}
		row.SACK = s.sacks[n:len(s.sacks):len(s.sacks)]
	}
	if len(s.segBatch) == cap(s.segBatch) {
		return s.flush()
	}
	return nil
}

// Conn adds a conn row.
func (s *Sink) Conn(r *report.Conn) error {
	if s.conn == nil || s.err != nil {
		return s.err
	}
	s.connBatch = append(s.connBatch, ConnRow{
		Conn: r.Conn, Client: r.Client, Server: r.Server, CommunityID: r.CommunityID, UID: r.UID,
		FirstFrame: r.FirstFrame, LastFrame: r.LastFrame, Start: int64(r.Start), End: int64(r.End),
		RelNS: int64(r.StartRel), DurationNS: int64(r.Duration), State: r.State, HandshakeRTTNS: int64(r.HandshakeRTT),
		MSSClient: int32(r.MSS[0]), MSSServer: int32(r.MSS[1]), WScaleClient: int32(r.WScale[0]), WScaleServer: int32(r.WScale[1]),
		SACK: r.SACK, Timestamps: r.Timestamps,
		PacketsC2S: r.Packets.C2S, PacketsS2C: r.Packets.S2C, BytesC2S: r.Bytes.C2S, BytesS2C: r.Bytes.S2C,
		RetransC2S: r.Retransmissions.C2S, RetransS2C: r.Retransmissions.S2C,
		OutOfOrderC2S: r.OutOfOrder.C2S, OutOfOrderS2C: r.OutOfOrder.S2C,
		GapBytesC2S: r.GapBytes.C2S, GapBytesS2C: r.GapBytes.S2C,
		ConflictBytesC2S: r.ConflictBytes.C2S, ConflictBytesS2C: r.ConflictBytes.S2C,
		SeqBytesC2S: r.SeqBytes.C2S, SeqBytesS2C: r.SeqBytes.S2C, IPBytesC2S: r.IPBytes.C2S, IPBytesS2C: r.IPBytes.S2C,
		History: r.History, ConnState: r.ConnState, Requests: int32(r.Requests), Protocol: r.Protocol, SNI: r.SNI,
		Close: r.Close, Closer: r.Closer, ReusedTuple: r.Reused, TupleIndex: int32(r.TupleIndex),
	})
	if len(s.connBatch) == cap(s.connBatch) {
		return s.flush()
	}
	return nil
}

// HTTP adds an http row.
func (s *Sink) HTTP(r *report.HTTP) error {
	if s.http == nil || s.err != nil {
		return s.err
	}
	var interim []int32
	if len(r.Interim) > 0 {
		n := len(s.ints)
		for _, c := range r.Interim {
			s.ints = append(s.ints, int32(c))
		}
		interim = s.ints[n:len(s.ints):len(s.ints)]
	}
	s.httpBatch = append(s.httpBatch, HTTPRow{
		Conn: r.Conn, UID: r.UID, CommunityID: r.CommunityID, Depth: int32(r.Depth), TS: int64(r.TS), RelNS: int64(r.Rel),
		Client: r.Client, Server: r.Server, Method: r.Method, URI: r.URI, Host: r.Host, Version: r.Version,
		RespVersion: r.RespVersion, Status: int32(r.Status), Reason: r.Reason,
		ReqBodyLen: r.ReqBodyLen, RespBodyLen: r.RespBodyLen, RespDecodedLen: r.RespDecodedLen,
		ContentType: r.ContentType, ContentEncoding: r.ContentEnc, Interim: interim,
		ReqFirstFrame: r.ReqFrames[0], ReqLastFrame: r.ReqFrames[1], RespFirstFrame: r.RespFrames[0], RespLastFrame: r.RespFrames[1],
		ConnectNS: int64(r.Timing.Connect), SendNS: int64(r.Timing.Send), WaitNS: int64(r.Timing.Wait), ReceiveNS: int64(r.Timing.Receive),
		Verdict: r.Verdict, Anomalies: s.keepStrs(r.Anomalies), Upgrade: r.Upgrade,
	})
	if len(s.httpBatch) == cap(s.httpBatch) {
		return s.flush()
	}
	return nil
}

// flush hands the batch to the Parquet writer, which starts a new row group every
// RowGroupRows rows.
func (s *Sink) flush() error {
	var err error
	switch {
	case s.segs != nil:
		_, err = s.segs.Write(s.segBatch)
		clear(s.segBatch)
		s.segBatch = s.segBatch[:0]
	case s.conn != nil:
		_, err = s.conn.Write(s.connBatch)
		clear(s.connBatch)
		s.connBatch = s.connBatch[:0]
	default:
		_, err = s.http.Write(s.httpBatch)
		clear(s.httpBatch)
		s.httpBatch = s.httpBatch[:0]
	}
	clear(s.strs)
	s.strs, s.sacks, s.ints = s.strs[:0], s.sacks[:0], s.ints[:0]
	if err != nil && s.err == nil {
		s.err = err
	}
	return s.err
}

// Close writes the last rows and the file's footer.
func (s *Sink) Close() error {
	if err := s.flush(); err != nil {
		return err
	}
	var err error
	switch {
	case s.segs != nil:
		err = s.segs.Close()
	case s.conn != nil:
		err = s.conn.Close()
	default:
		err = s.http.Close()
	}
	if err != nil && s.err == nil {
		s.err = err
	}
	return s.err
}

// Anatomy, Event and Finding have no Parquet schema; they write nothing.
func (s *Sink) Anatomy(*report.Anatomy) error { return nil }
func (s *Sink) Event(*report.Event) error     { return nil }
func (s *Sink) Finding(*report.Finding) error { return nil }
