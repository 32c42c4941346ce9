package capture

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// RotFile is one output file of a Rotator: written, then committed (kept) or dropped.
type RotFile interface {
	io.Writer
	Commit(keep bool) error
}

// RotateConfig configures a Rotator, with tcpdump's -w, -C, -W and -G meanings.
type RotateConfig struct {
	Name string // the file name (-w); with Every, % verbs are expanded (see Rotator)
	// Size starts a new file before a frame once the current file holds this many bytes
	// (-C, in bytes; 0: no limit). A file holds at least one frame.
	Size int64
	// Files: with Size, the number of files in the ring (-W): names get a number padded
	// to the width of Files-1, and the oldest is overwritten; with Every alone, the run
	// stops (ErrRotationDone) after that many files. 0: unlimited.
	Files int
	// Every starts a new file before the first frame that comes this long (-G, in
	// nanoseconds of packet time) after the first frame of the current file (0: never).
	Every   int64
	Pcapng  bool
	Link    LinkType
	Snaplen int
	// Create opens a file for writing (the command line's safe output files).
	Create func(name string) (RotFile, error)
}

// ErrRotationDone: with Every and Files, the last file is complete (tcpdump -G -W exits).
var ErrRotationDone = errors.New("capture: rotation file limit reached")

// Rotator writes frames to a sequence of capture files, as tcpdump -w FILE -C MB -W N
// -G SECONDS does. A new file starts only between frames, and the previous one is
// flushed and committed first: no frame is lost or split at a rotation, and every file is
// a complete capture with its own header.
//
// File names: with Size, the first file is Name and later ones Name1, Name2, ... (with
// Files, Name0 ... Name<Files-1>, zero-padded, over and over). With Every, a Name with
// strftime verbs (%Y %m %d %H %M %S %j %s %%) is formatted with the time of the file's
// first frame, in UTC (the first file: the time NewRotator is given); without verbs,
// files are numbered in sequence as with Size (where tcpdump would overwrite the one file
// each time). With both and time verbs, the number restarts at each time rotation.
type Rotator struct {
	cfg    RotateConfig
	cur    RotFile
	w      *Writer
	name   string
	frames int   // frames in the current file
	start  int64 // packet time of the current file's first frame
	files  int   // files opened
	count  int   // size rotations since the last time rotation
	names  []string
}

// NewRotator opens the first file, named for time now (ns since the Unix epoch) when the
// name has time verbs.
func NewRotator(cfg RotateConfig, now int64) (*Rotator, error) {
	r := &Rotator{cfg: cfg}
	if err := r.open(now); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Rotator) fileName(ts int64) string {
	base := r.cfg.Name
	timed := r.cfg.Every > 0 && strings.Contains(base, "%")
	if timed {
		base = strftime(base, ts)
	}
	// Without time verbs every file gets the next number; with them the number counts the
	// size rotations within one time slot.
	n := r.files
	if timed {
		n = r.count
	}
	switch {
	case r.cfg.Size > 0 && r.cfg.Files > 0:
		w := len(strconv.Itoa(r.cfg.Files - 1))
		s := strconv.Itoa(n % r.cfg.Files)
		return base + strings.Repeat("0", w-len(s)) + s
	case n == 0:
		return base
	}
	return base + strconv.Itoa(n)
}

func (r *Rotator) open(ts int64) error {
	name := r.fileName(ts)
	f, err := r.cfg.Create(name)
	if err != nil {
		return err
	}
	var w *Writer
	if r.cfg.Pcapng {
		w, err = NewPcapngWriter(f, r.cfg.Link, r.cfg.Snaplen)
	} else {
		w, err = NewPcapWriter(f, r.cfg.Link, r.cfg.Snaplen)
	}
	if err != nil {
		f.Commit(false)
		return err
	}
	r.cur, r.w, r.name, r.frames = f, w, name, 0
	r.files++
	r.names = append(r.names, name)
	return nil
}

// finish flushes and commits the current file.
func (r *Rotator) finish() error {
	if r.cur == nil {
		return nil
	}
	err := r.w.Flush()
	if cerr := r.cur.Commit(true); err == nil {
		err = cerr
	}
	r.cur, r.w = nil, nil
	return err
}

// WritePacket writes one frame, starting a new file first when a limit is reached. It
// returns ErrRotationDone, without writing the frame, when Every and Files say the run
// is over.
func (r *Rotator) WritePacket(info Info, data []byte) error {
	if r.cur == nil {
		return ErrRotationDone
	}
	if r.frames > 0 {
		byTime := r.cfg.Every > 0 && info.TS-r.start >= r.cfg.Every
		bySize := r.cfg.Size > 0 && r.w.Size() >= r.cfg.Size
		if byTime || bySize {
			if err := r.finish(); err != nil {
				return err
			}
			if byTime {
				if r.cfg.Files > 0 && r.cfg.Size == 0 && r.files >= r.cfg.Files {
					return ErrRotationDone
				}
				r.count = 0
			} else {
				r.count++
			}
			if err := r.open(info.TS); err != nil {
				return err
			}
		}
	}
	if r.frames == 0 {
		r.start = info.TS
	}
	r.frames++
	return r.w.WritePacket(info, data)
}

// Flush writes buffered frames of the current file out.
func (r *Rotator) Flush() error {
	if r.w == nil {
		return nil
	}
	return r.w.Flush()
}

// Close flushes and commits the last file.
func (r *Rotator) Close() error { return r.finish() }

// Names returns the names of the files opened so far, in order (a ring's names repeat).
func (r *Rotator) Names() []string { return r.names }

// strftime expands the verbs tcpdump users put in -G file names, in UTC.
func strftime(f string, ts int64) string {
	t := time.Unix(0, ts).UTC()
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString(t.Format("2006"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'M':
			b.WriteString(t.Format("04"))
		case 'S':
			b.WriteString(t.Format("05"))
		case 'j':
			b.WriteString(t.Format("002"))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
