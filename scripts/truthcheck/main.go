// Command truthcheck compares the "http" records of `segscope http --format json` with
// the nginx access log written by ../shared/bench/make-corpus.sh (NAME.truth.tsv), and
// prints how many logged transactions segscope found with the same method, URI, status
// and response body length.
//
//	segscope http --format json -q bench.pcap | go run ./scripts/truthcheck bench.truth.tsv
//
// The truth file has one tab-separated line per transaction: client port, nginx
// connection number, request number on the connection, method, URI, protocol, status,
// body bytes sent, bytes sent, request length. Client ports are reused by later
// connections, so a transaction is identified by (client port, request number on its
// connection, method, URI, status, body length) and the two sides are compared as
// multisets of these keys: every logged transaction must be matched by exactly one
// record, whatever the order of connections.
//
// nginx's body_bytes_sent counts the body as sent, chunked framing included, while
// segscope's resp_body_len counts the body after removing the chunked framing. A chunked
// response is therefore matched when its body length plus the framing of a chunked
// encoding of that length (as nginx writes it: one or more chunks and the last chunk)
// is plausible; those matches are counted and shown separately.
//
// Exit status: 0 when every transaction matched, 1 otherwise, 2 on usage errors.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

type key struct {
	port   int
	depth  int
	method string
	uri    string
	status int
}

type rec struct {
	Type        string `json:"type"`
	Conn        uint64 `json:"conn"`
	Depth       int    `json:"depth"`
	Client      string `json:"client"`
	Method      string `json:"method"`
	URI         string `json:"uri"`
	Status      int    `json:"status"`
	RespBodyLen int64  `json:"resp_body_len"`
	Verdict     string `json:"verdict"`
}

func main() {
	verbose := flag.Int("v", 10, "print at most this many unmatched transactions of each side")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: truthcheck [-v N] TRUTH.tsv [SEGSCOPE.jsonl]   (JSON Lines on stdin when omitted)")
	}
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	truth, err := readTruth(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "truthcheck: error:", err)
		os.Exit(2)
	}
	var in io.Reader = os.Stdin
	if flag.NArg() == 2 {
		f, err := os.Open(flag.Arg(1))
		if err != nil {
			fmt.Fprintln(os.Stderr, "truthcheck: error:", err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}
	got, nrec, err := readRecords(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "truthcheck: error:", err)
		os.Exit(2)
	}

	// Pair records and log lines with the same key; among those, match body lengths
	// exactly first, then allow chunked framing.
	matched, framed := 0, 0
	var missing []string
	keys := make([]key, 0, len(truth))
	for k := range truth {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	for _, k := range keys {
		want := truth[k] // body lengths logged for this key
		have := got[k]
		used := make([]bool, len(have))
		var rest []int64
		for _, w := range want {
			found := false
			for i, h := range have {
				if !used[i] && h == w {
					used[i], found = true, true
					break
				}
			}
			if found {
				matched++
			} else {
				rest = append(rest, w)
			}
		}
		for _, w := range rest {
			found := false
			for i, h := range have {
				if !used[i] && chunkedLen(h, w) {
					used[i], found = true, true
					break
				}
			}
			if found {
				matched++
				framed++
				continue
			}
			missing = append(missing, fmt.Sprintf("port %d request %d: %s %s -> %d, body %d", k.port, k.depth, k.method, k.uri, k.status, w))
		}
		var left []int64
		for i, h := range have {
			if !used[i] {
				left = append(left, h)
			}
		}
		if len(left) > 0 {
			got[k] = left
		} else {
			delete(got, k)
		}
	}
	var extra []string
	for k, hs := range got {
		for _, h := range hs {
			extra = append(extra, fmt.Sprintf("port %d request %d: %s %s -> %d, body %d", k.port, k.depth, k.method, k.uri, k.status, h))
		}
	}
	sort.Strings(extra)
	total := 0
	for _, w := range truth {
		total += len(w)
	}
	fmt.Printf("truth: %d/%d transactions matched (method, uri, status, body length)", matched, total)
	if framed > 0 {
		fmt.Printf("; %d of them chunked (log counts chunk framing)", framed)
	}
	fmt.Printf("; segscope reported %d http records, %d not in the log\n", nrec, len(extra))
	show := func(what string, l []string) {
		for i, s := range l {
			if i == *verbose {
				fmt.Printf("  ... %d more %s\n", len(l)-i, what)
				break
			}
			fmt.Printf("  %s: %s\n", what, s)
		}
	}
	show("missing", missing)
	show("extra", extra)
	if matched != total {
		os.Exit(1)
	}
}

func less(a, b key) bool {
	if a.port != b.port {
		return a.port < b.port
	}
	if a.depth != b.depth {
		return a.depth < b.depth
	}
	if a.method != b.method {
		return a.method < b.method
	}
	if a.uri != b.uri {
		return a.uri < b.uri
	}
	return a.status < b.status
}

// chunkedLen reports whether a chunked body of n data bytes can be sent as wire bytes
// (chunk-size lines, CRLFs and the last chunk included). nginx sends a chunk per output
// buffer, so the number of chunks is unknown: accept any count from 1 to n/256+2.
func chunkedLen(n, wire int64) bool {
	if n == 0 {
		return wire == 5 // "0\r\n\r\n"
	}
	over := wire - n - 5
	if over <= 0 {
		return false
	}
	for chunks := int64(1); chunks <= n/256+2; chunks++ {
		// each chunk costs hex(size) + 4 bytes; sizes are at most n, at least 1 digit
		lo := chunks * (1 + 4)
		hi := chunks * (int64(len(strconv.FormatInt(n, 16))) + 4)
		if over >= lo && over <= hi {
			return true
		}
	}
	return false
}

func readTruth(path string) (map[key][]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := make(map[key][]int64)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) < 8 {
			return nil, fmt.Errorf("%s:%d: %d fields, want at least 8", path, line, len(fs))
		}
		port, err1 := strconv.Atoi(fs[0])
		depth, err2 := strconv.Atoi(fs[2])
		status, err3 := strconv.Atoi(fs[6])
		body, err4 := strconv.ParseInt(fs[7], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			return nil, fmt.Errorf("%s:%d: bad number", path, line)
		}
		k := key{port: port, depth: depth, method: fs[3], uri: fs[4], status: status}
		m[k] = append(m[k], body)
	}
	return m, sc.Err()
}

func readRecords(r io.Reader) (map[key][]int64, int, error) {
	m := make(map[key][]int64)
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	n := 0
	for {
		var x rec
		if err := dec.Decode(&x); err == io.EOF {
			break
		} else if err != nil {
			return nil, n, fmt.Errorf("segscope output: %v", err)
		}
		if x.Type != "http" {
			continue
		}
		n++
		i := strings.LastIndexByte(x.Client, ':')
		port, err := strconv.Atoi(x.Client[i+1:])
		if i < 0 || err != nil {
			return nil, n, fmt.Errorf("segscope output: bad client %q", x.Client)
		}
		k := key{port: port, depth: x.Depth, method: x.Method, uri: x.URI, status: x.Status}
		m[k] = append(m[k], x.RespBodyLen)
	}
	return m, n, nil
}
