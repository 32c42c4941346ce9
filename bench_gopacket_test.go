package segscope_test

import (
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpreasm "github.com/gopacket/gopacket/reassembly"

	"github.com/segscope/segscope/capture"
)

// BenchmarkGopacketReassemblyFloor is the floor issue 3 compares segscope's tracker with:
// gopacket's DecodingLayerParser (Ethernet, IPv4, IPv6, TCP) feeding gopacket's generic
// reassembly.Assembler, with streams that only count bytes — no HTTP, no analysis, no
// output. Compare with BenchmarkTrack (decode + segscope's tracker, no-op handler) and
// BenchmarkConns (the whole `segscope conns`).
func BenchmarkGopacketReassemblyFloor(b *testing.B) {
	benchLoop(b, func(src capture.Source) {
		var (
			eth  layers.Ethernet
			ip4  layers.IPv4
			ip6  layers.IPv6
			tcp  layers.TCP
			pl   gopacket.Payload
			dlts []gopacket.LayerType
		)
		parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &pl)
		parser.IgnoreUnsupported = true
		factory := &countFactory{}
		asm := gpreasm.NewAssembler(gpreasm.NewStreamPool(factory))
		var last time.Time
		for {
			f, err := src.Next()
			if err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			if err := parser.DecodeLayers(f.Data, &dlts); err != nil {
				continue
			}
			var flow gopacket.Flow
			hasTCP := false
			for _, lt := range dlts {
				switch lt {
				case layers.LayerTypeIPv4:
					flow = ip4.NetworkFlow()
				case layers.LayerTypeIPv6:
					flow = ip6.NetworkFlow()
				case layers.LayerTypeTCP:
					hasTCP = true
				}
			}
			if !hasTCP {
				continue
			}
			last = time.Unix(0, f.TS)
			asm.AssembleWithContext(flow, &tcp, asmCtx{gopacket.CaptureInfo{Timestamp: last}})
		}
		asm.FlushAll()
	})
}

type asmCtx struct{ ci gopacket.CaptureInfo }

func (c asmCtx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

type countFactory struct{ bytes int }

func (f *countFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ gpreasm.AssemblerContext) gpreasm.Stream {
	return &countStream{f: f}
}

type countStream struct{ f *countFactory }

func (s *countStream) Accept(*layers.TCP, gopacket.CaptureInfo, gpreasm.TCPFlowDirection, gpreasm.Sequence, *bool, gpreasm.AssemblerContext) bool {
	return true
}
func (s *countStream) ReassembledSG(sg gpreasm.ScatterGather, _ gpreasm.AssemblerContext) {
	n, _ := sg.Lengths()
	s.f.bytes += n
}
func (s *countStream) ReassemblyComplete(gpreasm.AssemblerContext) bool { return true }
