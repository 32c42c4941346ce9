package capture_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/segscope/segscope/capture"
)

func Example() {
	dir, _ := os.MkdirTemp("", "capture-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.pcapng")

	// write two frames
	f, _ := os.Create(path)
	w, _ := capture.NewPcapngWriter(f, 1, 0)
	w.WritePacket(capture.Info{TS: 1700000000123456789, OrigLen: 60, LinkType: 1}, make([]byte, 60))
	w.WritePacket(capture.Info{TS: 1700000000223456789, OrigLen: 1514, LinkType: 1}, make([]byte, 100))
	w.Flush()
	f.Close()

	// read them back
	src, err := capture.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	for {
		fr, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err) // frames before the error were good
			break
		}
		fmt.Println(fr.Frame, fr.TS, fr.CapLen, fr.OrigLen, fr.LinkType) // fr.Data is valid until the next Next
	}
	fmt.Println(src.(*capture.Reader).LinkTypes())
	// Output:
	// 1 1700000000123456789 60 60 1
	// 2 1700000000223456789 100 1514 1
	// [1]
}
