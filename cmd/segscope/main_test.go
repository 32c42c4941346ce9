package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"segscope": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the real CLI on the scripts in testdata/script. $PCAPS is the
// project's own captures; $SHARED the public corpus, or SEGSCOPE_CORPUS (scripts using
// it skip without it).
func TestScript(t *testing.T) {
	pcaps, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "pcaps"))
	shared, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "pcaps"))
	if d := os.Getenv("SEGSCOPE_CORPUS"); d != "" {
		shared, _ = filepath.Abs(d)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("PCAPS", pcaps)
			e.Setenv("SHARED", shared)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "shared":
				_, err := os.Stat(shared)
				return err == nil, nil
			}
			return false, nil
		},
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// cut SRC N DST: copy the first N bytes of SRC to DST (a capture cut short).
			"cut": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: cut SRC N DST")
				}
				data, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), data[:min(n, len(data))], 0o644))
			},
			// gzip SRC DST: compress SRC into DST.
			"gzip": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: gzip SRC DST")
				}
				data, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write(data)
				ts.Check(zw.Close())
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), b.Bytes(), 0o644))
			},
		},
	})
}
