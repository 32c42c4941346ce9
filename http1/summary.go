package http1

// StartLine returns the HTTP/1.x request or status line at the start of p, without its
// line end, if p starts with one: the summary tcpdump prints after a segment. It is a
// cheap test for a segment's payload, not a parse: a request line is a method of three
// or more capital letters, a space, and a line (at most 200 bytes) ending in
// "HTTP/1.x"; a status line starts with "HTTP/1." and has at least 12 bytes. Body bytes
// are rejected at their first bytes. The line aliases p.
func StartLine(p []byte) []byte {
	if len(p) < 8 {
		return nil
	}
	if string(p[:7]) != "HTTP/1." {
		// A request line starts with a method (3 or more capital letters) and a space.
		// Checked first, so that a segment of body bytes is rejected at its first bytes
		// instead of after a search for a line end.
		i := 0
		for i < len(p) && 'A' <= p[i] && p[i] <= 'Z' {
			i++
		}
		if i < 3 || i == len(p) || p[i] != ' ' {
			return nil
		}
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
