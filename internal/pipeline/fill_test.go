package pipeline

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/reassembly"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// nopSink drops every record.
type nopSink struct{}

func (nopSink) Segment(*report.Segment) error { return nil }
func (nopSink) Conn(*report.Conn) error       { return nil }
func (nopSink) HTTP(*report.HTTP) error       { return nil }
func (nopSink) Anatomy(*report.Anatomy) error { return nil }
func (nopSink) Event(*report.Event) error     { return nil }
func (nopSink) Finding(*report.Finding) error { return nil }
func (nopSink) Close() error                  { return nil }

// TestFillSegmentSetsEveryField guards fillSegment, which sets the record's IP and options
// field by field: a field added to report.IP or report.Options and not set there would
// stay zero. Every input field is non-zero, so every record field must be.
func TestFillSegmentSetsEveryField(t *testing.T) {
	p := New(nopSink{}, Config{Mode: ModePackets})
	c := &reassembly.Conn{ID: 7, Client: netip.MustParseAddrPort("10.0.0.1:40000"), Server: netip.MustParseAddrPort("10.0.0.2:80")}
	cs := &connState{p: p, c: c}
	seg := &decode.Segment{Frame: 3, TS: 2e9, Src: c.Client, Dst: c.Server, Seq: 1001, Ack: 5001,
		Flags: tcp.ACK | tcp.PSH, Window: 512, PayloadLen: 10, TCPHdrLen: 32,
		IP: decode.IPInfo{Version: 4, ID: 9, TTL: 64, TotalLen: 62, HdrLen: 20, DF: true, MF: true, FragOff: 8, Fragments: 2, ChecksumBad: true},
		Opts: decode.Options{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, NSACK: 1,
			SACK: [4]decode.SACKBlock{{Left: 5100, Right: 5200}}, TSVal: 1, TSEcr: 2, HasTS: true, HasTFO: true, HasMPTCP: true, Unknown: 1, Malformed: true}}
	info := &reassembly.SegInfo{Class: tcp.ClassRetransmission, RelSeq: 1, RelAck: 1, Window: 65536}
	var r report.Segment
	p.fillSegment(&r, c, cs, flow.C2S, seg, info)
	for _, v := range []reflect.Value{reflect.ValueOf(r.IP), reflect.ValueOf(r.Options)} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("%s.%s was not set by fillSegment", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
}
