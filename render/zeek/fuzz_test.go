package zeek_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segscope/segscope/render/zeek"
	"github.com/segscope/segscope/report"
)

// FuzzAppendHTTP: whatever bytes a request carries, its http.log line has exactly the
// log's columns, one newline at the end, no raw control byte, and valid UTF-8.
func FuzzAppendHTTP(f *testing.F) {
	f.Add("GET", "/a%20b?x=%zz", "example.com", "OK", "HTTP/1.1")
	f.Add("-", "(empty)", "\t\n", "\xff\xfe", "")
	f.Add("", "%", "%4", "\\x41", "HTTP/0.9")
	want := len(zeek.Fields(zeek.HTTPLog))
	f.Fuzz(func(t *testing.T, method, uri, host, reason, version string) {
		r := &report.HTTP{TS: 1e18, Client: "[2001:db8::1]:5", Server: "10.0.0.1:80", Depth: 1,
			Method: method, URI: uri, Host: host, Reason: reason, Version: version, Status: 200, RespDecodedLen: -1}
		line := string(zeek.AppendHTTP(nil, r))
		if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
			t.Fatalf("line %q: not one line", line)
		}
		if !utf8.ValidString(line) {
			t.Fatalf("line %q: not UTF-8", line)
		}
		for i := 0; i < len(line)-1; i++ {
			if c := line[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				t.Fatalf("line %q: raw control byte %#x", line, c)
			}
		}
		fields := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(fields) != want {
			t.Fatalf("line %q: %d fields, want %d", line, len(fields), want)
		}
		for i, v := range fields {
			if v == "" {
				t.Fatalf("field %s is empty (Zeek writes - or (empty))", zeek.Fields(zeek.HTTPLog)[i])
			}
		}
	})
}
