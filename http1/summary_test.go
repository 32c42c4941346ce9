package http1

import "testing"

// refStartLine is StartLine without the early check of the first bytes.
func refStartLine(p []byte) []byte {
	if len(p) < 8 {
		return nil
	}
	end := len(p)
	for i, c := range p {
		if c == '\r' || c == '\n' {
			end = i
			break
		}
		if i >= 200 {
			return nil
		}
	}
	line := p[:end]
	if len(line) >= 12 && string(line[:7]) == "HTTP/1." {
		return line
	}
	sp := -1
	for i, c := range line {
		if c == ' ' {
			sp = i
			break
		}
		if c < 'A' || c > 'Z' {
			return nil
		}
	}
	if sp < 3 || len(line) < sp+10 || string(line[len(line)-8:len(line)-1]) != "HTTP/1." {
		return nil
	}
	return line
}

func FuzzStartLine(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\nHost: x\r\n", "HTTP/1.1 200 OK\r\n", "HTTP/1.", "GE / HTTP/1.1\r\n",
		"GET\r\n / HTTP/1.1", "POST /a HTTP/1.0\n", "\x00\x01binary body bytes", "ABCDEFGHIJ", "GET /" + string(make([]byte, 300))} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := string(StartLine(p)), string(refStartLine(p)); got != want {
			t.Errorf("StartLine(%q) = %q, want %q", p, got, want)
		}
	})
}
