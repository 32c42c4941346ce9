package text

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/segscope/segscope/internal/textfmt"
	"github.com/segscope/segscope/report"
)

// FollowMode selects how `segscope follow` prints stream bytes.
type FollowMode uint8

const (
	FollowText FollowMode = iota // printable text, non-printables escaped, directions marked
	FollowHex                    // hexdump -C style, per direction offsets
	FollowRaw                    // the bytes of one direction, unchanged
)

// ErrGapInRaw is returned in raw mode when the stream has a hole and FillGaps is off.
var ErrGapInRaw = errors.New("the stream has missing bytes")

// ErrGapTooLarge is returned in raw mode with FillGaps when filling a hole would make the
// zero bytes written exceed the bytes delivered by more than MaxFillSlack: output size
// follows delivered bytes, never sequence distance (a small capture with a huge sequence
// jump must not write gigabytes).
var ErrGapTooLarge = errors.New("gap too large to fill")

// MaxFillSlack is how many zero bytes --fill-gaps may write beyond the bytes delivered.
const MaxFillSlack = 1 << 20

// Follow renders reassembled streams (report.Stream) for people or, in raw mode, as bytes.
type Follow struct {
	// FlushEach writes out after every call (live capture), instead of 256 KiB at a time.
	FlushEach bool

	w        *bufio.Writer
	Mode     FollowMode
	Dir      string // raw mode: "c2s" or "s2c"
	FillGaps bool   // raw mode: write zero bytes for a gap instead of failing
	cur      string // direction of the last bytes printed
	rawData  uint64 // raw mode: bytes written from the stream
	rawZeros uint64 // raw mode: zero bytes written for gaps
	atBOL    bool
	buf      []byte
}

// NewFollow returns a Follow writing to w.
func NewFollow(w io.Writer, mode FollowMode) *Follow {
	return &Follow{w: bufio.NewWriterSize(w, 256<<10), Mode: mode, atBOL: true}
}

// StreamOpen implements report.Stream.
func (f *Follow) StreamOpen(c *report.Conn) error {
	if f.FlushEach {
		defer f.w.Flush() // a write error shows at the next call or at Flush
	}
	f.cur = ""
	if f.Mode == FollowRaw {
		return nil
	}
	f.endLine()
	_, err := fmt.Fprintf(f.w, "=== conn %d: client %s, server %s ===\n", c.Conn, c.Client, c.Server)
	return err
}

func (f *Follow) endLine() {
	if !f.atBOL {
		f.w.WriteByte('\n')
		f.atBOL = true
	}
}

func (f *Follow) marker(dir string, off uint64) {
	if f.cur == dir {
		return
	}
	f.cur = dir
	f.endLine()
	arrow := "client -> server"
	if dir == "s2c" {
		arrow = "server -> client"
	}
	fmt.Fprintf(f.w, "--- %s %s, offset %d ---\n", dir, arrow, off)
}

// StreamData implements report.Stream.
func (f *Follow) StreamData(conn uint64, dir string, off uint64, data []byte) error {
	if f.FlushEach {
		defer f.w.Flush() // a write error shows at the next call or at Flush
	}
	switch f.Mode {
	case FollowRaw:
		if dir != f.Dir {
			return nil
		}
		f.rawData += uint64(len(data))
		_, err := f.w.Write(data)
		return err
	case FollowHex:
		f.marker(dir, off)
		f.hexdump(off, data)
		return nil
	}
	f.marker(dir, off)
	b := f.buf[:0]
	for _, c := range data {
		switch {
		case c == '\n':
			b = append(b, '\n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t' || (c >= 0x20 && c < 0x7f && c != '\\'):
			b = append(b, c)
		case c == '\\':
			b = append(b, '\\', '\\')
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	if len(b) > 0 {
		f.atBOL = b[len(b)-1] == '\n'
	}
	f.buf = b[:0]
	_, err := f.w.Write(b)
	return err
}

const hexDigits = "0123456789abcdef"

// hexdump writes data like hexdump -C, the offset being the stream offset.
func (f *Follow) hexdump(off uint64, data []byte) {
	f.endLine()
	for len(data) > 0 {
		n := min(16, len(data))
		line := f.buf[:0]
		o := strconv.FormatUint(off, 16)
		for i := len(o); i < 8; i++ {
			line = append(line, '0')
		}
		line = append(line, o...)
		line = append(line, ' ', ' ')
		for i := 0; i < 16; i++ {
			if i < n {
				line = append(line, hexDigits[data[i]>>4], hexDigits[data[i]&0xf], ' ')
			} else {
				line = append(line, ' ', ' ', ' ')
			}
			if i == 7 {
				line = append(line, ' ')
			}
		}
		line = append(line, " |"...)
		for _, c := range data[:n] {
			if c < 0x20 || c >= 0x7f {
				c = '.'
			}
			line = append(line, c)
		}
		line = append(line, "|\n"...)
		f.w.Write(line)
		f.buf = line[:0]
		data = data[n:]
		off += uint64(n)
	}
}

// StreamGap implements report.Stream.
func (f *Follow) StreamGap(conn uint64, dir string, off, n uint64) error {
	if f.FlushEach {
		defer f.w.Flush() // a write error shows at the next call or at Flush
	}
	if f.Mode == FollowRaw {
		if dir != f.Dir {
			return nil
		}
		if !f.FillGaps {
			return fmt.Errorf("%w: %d bytes at offset %d of conn %d %s", ErrGapInRaw, n, off, conn, dir)
		}
		if f.rawZeros+n > f.rawData+MaxFillSlack {
			return fmt.Errorf("%w: %d bytes missing at offset %d of conn %d %s, after %d bytes delivered", ErrGapTooLarge, n, off, conn, dir, f.rawData)
		}
		f.rawZeros += n
		var zero [4096]byte
		for n > 0 {
			k := min(n, uint64(len(zero)))
			if _, err := f.w.Write(zero[:k]); err != nil {
				return err
			}
			n -= k
		}
		return nil
	}
	f.marker(dir, off)
	f.endLine()
	_, err := fmt.Fprintf(f.w, "[%s bytes missing]\n", textfmt.Thousands(int64(n)))
	return err
}

// StreamClose implements report.Stream.
func (f *Follow) StreamClose(c *report.Conn) error {
	if f.FlushEach {
		defer f.w.Flush() // a write error shows at the next call or at Flush
	}
	if f.Mode != FollowRaw {
		f.endLine()
		fmt.Fprintf(f.w, "=== end of conn %d: %s, %d/%d payload bytes c2s/s2c ===\n", c.Conn, c.Close, c.Bytes.C2S, c.Bytes.S2C)
	}
	return nil
}

// Flush writes out buffered output.
func (f *Follow) Flush() error { return f.w.Flush() }
