package filter_test

import (
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/filter"
)

// benchFrames are the frames of a test capture: TCP over IPv4 on Ethernet, port 80.
func benchFrames(b *testing.B) []capture.Frame {
	frames, err := readAll(nil, "../testdata/pcaps/keepalive.pcap")
	if err != nil || len(frames) == 0 {
		b.Skipf("keepalive.pcap: %v", err)
	}
	return frames
}

const benchExpr = "tcp port 80 and host 10.0.0.1"

// BenchmarkMatch is the cost of deciding on one frame (the issue asks ≤ 15 ns).
func BenchmarkMatch(b *testing.B) {
	frames := benchFrames(b)
	p, err := filter.Compile(benchExpr, filter.LinkEthernet, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	c0 := threadCPU()
	n, j := 0, 0
	for i := 0; i < b.N; i++ {
		f := &frames[j]
		if j++; j == len(frames) { // no division per frame: it would cost as much as the filter
			j = 0
		}
		if p.Match(f.Data, f.OrigLen) {
			n++
		}
	}
	reportCPU(b, c0)
	_ = n
}

// threadCPU is the CPU time of the calling thread: on a machine shared by several
// builds, wall time per operation says little; "cpu-ns/op" is what the loop cost.
func threadCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func reportCPU(b *testing.B, c0 int64) {
	if c := threadCPU(); c0 > 0 && c > c0 {
		b.ReportMetric(float64(c-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMatchReference runs the same program in golang.org/x/net/bpf's VM.
func BenchmarkMatchReference(b *testing.B) {
	frames := benchFrames(b)
	p, err := filter.Compile(benchExpr, filter.LinkEthernet, 0)
	if err != nil {
		b.Fatal(err)
	}
	vm, err := bpf.NewVM(p.Instructions())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	c0 := threadCPU()
	j := 0
	for i := 0; i < b.N; i++ {
		f := &frames[j]
		if j++; j == len(frames) {
			j = 0
		}
		vm.Run(f.Data)
	}
	reportCPU(b, c0)
}

func BenchmarkMatchIP(b *testing.B) {
	frames := benchFrames(b)
	p, _ := filter.Compile("ip", filter.LinkEthernet, 0)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	c0 := threadCPU()
	j := 0
	for i := 0; i < b.N; i++ {
		f := &frames[j]
		if j++; j == len(frames) {
			j = 0
		}
		p.Match(f.Data, f.OrigLen)
	}
	reportCPU(b, c0)
}
