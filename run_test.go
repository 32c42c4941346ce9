package segscope_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/report"
)

// loopSource replays the frames of a capture without end, numbered on, and calls cancel
// when it hands out frame cancelAt.
type loopSource struct {
	frames   []capture.Frame
	n        int
	cancelAt int
	cancel   func()
}

func (s *loopSource) Next() (capture.Frame, error) {
	f := s.frames[s.n%len(s.frames)]
	s.n++
	f.Frame = uint64(s.n)
	if s.n == s.cancelAt {
		s.cancel()
	}
	return f, nil
}

func (s *loopSource) Close() error { return nil }

type countSink struct{ segs int }

func (s *countSink) Segment(*report.Segment) error { s.segs++; return nil }
func (s *countSink) Conn(*report.Conn) error       { return nil }
func (s *countSink) HTTP(*report.HTTP) error       { return nil }
func (s *countSink) Anatomy(*report.Anatomy) error { return nil }
func (s *countSink) Event(*report.Event) error     { return nil }
func (s *countSink) Finding(*report.Finding) error { return nil }
func (s *countSink) Close() error                  { return nil }

// TestRunStopsWithContext checks that Run ends when its context does, at the next look
// (every 4,096 frames), with everything read until then processed, with one worker and
// with several; and that a context ended before the run reads nothing.
func TestRunStopsWithContext(t *testing.T) {
	src, err := capture.OpenFiles([]string{"testdata/pcaps/keepalive.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	var frames []capture.Frame
	for {
		f, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Data = append([]byte(nil), f.Data...)
		frames = append(frames, f)
	}
	src.Close()
	for _, workers := range []int{1, 2, 3} {
		for _, tc := range []struct {
			name               string
			cancelAt           int
			wantFrames         uint64
			wantSegmentRecords int
		}{
			{"cancelled before", 0, 0, 0},
			{"cancelled at frame 5000", 5000, 8192, 8192},
		} {
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancelAt == 0 {
				cancel()
			}
			var sink countSink
			ls := &loopSource{frames: frames, cancelAt: tc.cancelAt, cancel: cancel}
			sum, err := segscope.Run(ctx, ls, &sink, segscope.Config{Mode: segscope.ModePackets, Workers: workers})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("workers %d, %s: Run = %v, want context.Canceled", workers, tc.name, err)
			}
			if sum.Frames != tc.wantFrames || sink.segs != tc.wantSegmentRecords {
				t.Errorf("workers %d, %s: %d frames, %d segment records; want %d, %d",
					workers, tc.name, sum.Frames, sink.segs, tc.wantFrames, tc.wantSegmentRecords)
			}
		}
	}
}
