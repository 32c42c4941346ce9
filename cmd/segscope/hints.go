package main

import (
	"errors"
	"io/fs"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/internal/safefile"
)

// captureHint returns a one-line suggestion about an error of the capture package (or
// of opening a file), or "" when there is none. The command prints it as
// "segscope: hint: ...".
func captureHint(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, capture.ErrNotCapture):
		return "segscope reads pcap and pcapng files (optionally gzip-compressed); convert other formats with editcap or tshark -F pcapng"
	case errors.Is(err, capture.ErrEmpty):
		return "the capture holds no bytes; was the capturing program stopped before it wrote anything?"
	case errors.Is(err, capture.ErrTruncated):
		return "the capture was cut short (the capturing program was killed or the disk filled up); every complete frame before the cut was read"
	case errors.Is(err, capture.ErrCorrupt):
		return "the capture is damaged at this point; every frame before it was read; `editcap` or `pcapfix` may recover the rest"
	case errors.Is(err, capture.ErrNoInterface):
		return "list interfaces with `ip link`"
	case errors.Is(err, capture.ErrLivePermission):
		return "run as root or grant CAP_NET_RAW: setcap cap_net_raw+ep $(which segscope)"
	case errors.Is(err, capture.ErrLiveUnsupported):
		return "capture with tcpdump -w FILE and read the file with segscope"
	case errors.Is(err, safefile.ErrExists):
		return "add --force to overwrite files that exist, or write to an empty directory"
	case errors.Is(err, safefile.ErrLink):
		return "segscope never writes through a symbolic link in its output directory; remove the link or choose another directory"
	case errors.Is(err, fs.ErrNotExist):
		return "check the file name; use - to read a capture from standard input"
	case errors.Is(err, fs.ErrPermission):
		return "the file is not readable by this user; check its permissions"
	}
	return ""
}
