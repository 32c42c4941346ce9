package segscope_test

import (
	"context"
	"fmt"
	"log"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/report"
)

// exchanges is a report.Sink that prints one line per HTTP exchange and ignores the
// other records.
type exchanges struct{}

func (exchanges) HTTP(r *report.HTTP) error {
	fmt.Printf("conn %d: %s %s%s -> %d, %d body bytes, %s\n", r.Conn, r.Method, r.Host, r.URI, r.Status, r.RespBodyLen, r.Verdict)
	return nil
}
func (exchanges) Segment(*report.Segment) error { return nil }
func (exchanges) Conn(*report.Conn) error       { return nil }
func (exchanges) Anatomy(*report.Anatomy) error { return nil }
func (exchanges) Event(*report.Event) error     { return nil }
func (exchanges) Finding(*report.Finding) error { return nil }
func (exchanges) Close() error                  { return nil }

// ExampleRun reads a capture file and reports its HTTP exchanges to a sink of its own.
func ExampleRun() {
	src, err := capture.OpenFiles([]string{"testdata/pcaps/get-simple.pcap"})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	sum, err := segscope.Run(context.Background(), src, exchanges{}, segscope.Config{Mode: segscope.ModeHTTP})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d frames, %d connections, %d exchanges\n", sum.Frames, sum.Conns, sum.Exchanges)
	// Output:
	// conn 1: GET 10.77.0.2/a.txt -> 200, 5000 body bytes, complete
	// 16 frames, 1 connections, 1 exchanges
}
