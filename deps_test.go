package segscope_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection guards the package layout of DESIGN.md: imports point one way,
// leaf packages use only the standard library, and gopacket stays inside decode.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/segscope/segscope"
	// allowed lists, per package, the module packages and third-party prefixes it may import.
	allowed := map[string][]string{
		"flow":              {},
		"tcp":               {},
		"tcpseq":            {},
		"capture":           {"golang.org/x/sys"},
		"decode":            {"tcp", "flow", "tcpseq", "github.com/gopacket/gopacket"},
		"reassembly":        {"decode", "tcp", "flow", "tcpseq"},
		"http1":             {"github.com/andybalholm/brotli"},
		"analysis":          {"report", "http1", "tcp", "flow", "tcpseq", "internal/textfmt"},
		"report":            {"tcp", "flow"},
		"filter":            {"golang.org/x/net/bpf"},
		"render/text":       {"report", "tcp", "internal/textfmt"},
		"render/jsonl":      {"report", "tcp", "internal/textfmt"},
		"render/flowfiles":  {"report", "internal/safefile"},
		"render/zeek":       {"report"},
		"render/parquet":    {"report", "github.com/parquet-go/parquet-go"},
		"render/har":        {"report"},
		"render/export":     {"report", "internal/safefile"},
		"internal/safefile": {},
		// The pipeline wires the protocol packages; parallel runs pipelines and imports
		// the pipeline, never the reverse; the root is the API only.
		"internal/pipeline": {"capture", "decode", "reassembly", "http1", "analysis", "report", "tcp", "flow", "tcpseq", "internal/textfmt", "filter"},
		"internal/parallel": {"internal/pipeline", "capture", "decode", "reassembly", "report", "flow"},
		"":                  {"internal/pipeline", "internal/parallel", "capture", "report"},
		// Number, duration and options text for render/* and analysis.
		"internal/textfmt": {"report"},
		// Synthetic inputs for tests and benchmarks; the command never imports it.
		"internal/synth": {"capture", "report", "tcp"},
		// Test files only (the package itself is its doc comment).
		"conformance": {},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		rules, ok := allowed[rel]
		if !ok {
			continue // commands, tools and scripts may import anything
		}
		for _, imp := range strings.Fields(imports) {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			ok := false
			for _, r := range rules {
				if strings.Contains(r, ".") {
					ok = ok || strings.HasPrefix(imp, r)
				} else {
					ok = ok || imp == mod+"/"+r
				}
			}
			if !ok {
				t.Errorf("package %q imports %s, which DESIGN.md's layout does not allow", "segscope/"+rel, imp)
			}
		}
	}
}
