package http1

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteCorpus regenerates the seed corpora in testdata/fuzz from the
// scenario and must-flag tables: SEGSCOPE_WRITE_CORPUS=1 go test -run TestWriteCorpus
func TestWriteCorpus(t *testing.T) {
	if os.Getenv("SEGSCOPE_WRITE_CORPUS") == "" {
		t.Skip("set SEGSCOPE_WRITE_CORPUS=1 to regenerate testdata/fuzz seeds")
	}
	write := func(fuzz string, args ...any) {
		s := "go test fuzz v1\n"
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				s += fmt.Sprintf("[]byte(%q)\n", v)
			case uint64:
				s += fmt.Sprintf("uint64(%d)\n", v)
			case uint16:
				s += fmt.Sprintf("uint16(%d)\n", v)
			case uint8:
				s += fmt.Sprintf("byte(%q)\n", v)
			}
		}
		dir := filepath.Join("testdata", "fuzz", fuzz)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("seed-%x", sha256.Sum256([]byte(s)))[:21]
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pairs := append([][2]string(nil), splitSeeds...)
	for _, m := range mustFlag {
		if m.dir == C2S {
			pairs = append(pairs, [2]string{m.in, ok5})
		} else {
			pairs = append(pairs, [2]string{get + get, m.in})
		}
	}
	for i, pr := range pairs {
		write("FuzzSplit", []byte(pr[0]), []byte(pr[1]), uint64(i), uint16(len(pr[1])/3), uint8(i%5))
		write("FuzzNetHTTP", []byte(pr[0]), []byte(pr[1]))
	}
}
