package parquet_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/segscope/segscope/tcp"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/capture"
	"github.com/segscope/segscope/render/jsonl"
	"github.com/segscope/segscope/render/parquet"
	"github.com/segscope/segscope/report"
)

// capturePath is a capture of the repository with several connections, keep-alive and
// HTTP exchanges.
var capturePath = filepath.Join("..", "..", "testdata", "pcaps", "parallel.pcap")

func run(t testing.TB, path string, mode segscope.Mode, sink report.Sink) {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := segscope.Run(context.Background(), src, sink, segscope.Config{Mode: mode}); err != nil {
		t.Fatal(err)
	}
}

var kinds = []struct {
	name string
	mode segscope.Mode
	kind parquet.Kind
}{
	{"segment", segscope.ModePackets, parquet.Segments},
	{"conn", segscope.ModeConns, parquet.Conns},
	{"http", segscope.ModeHTTP, parquet.HTTP},
}

// writeBoth writes the capture's records of one kind as Parquet (to a file) and JSON
// Lines (decoded into maps).
func writeBoth(t *testing.T, mode segscope.Mode, kind parquet.Kind) (string, []map[string]any) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "out.parquet")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	run(t, capturePath, mode, parquet.New(f, kind))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	run(t, capturePath, mode, jsonl.New(&js))
	var recs []map[string]any
	sc := bufio.NewScanner(&js)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != "summary" {
			recs = append(recs, m)
		}
	}
	if len(recs) == 0 {
		t.Fatal("no JSON records")
	}
	return file, recs
}

// TestReadBackGo reads every file back with parquet-go and compares each row with the
// JSON record of the same position, column by column where both have the value.
func TestReadBackGo(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			file, recs := writeBoth(t, k.mode, k.kind)
			switch k.kind {
			case parquet.Segments:
				rows, err := pq.ReadFile[parquet.SegmentRow](file)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != len(recs) {
					t.Fatalf("%d rows, %d JSON records", len(rows), len(recs))
				}
				for i, r := range rows {
					j := recs[i]
					if float64(r.Frame) != j["frame"] || r.Src != j["src"] || float64(r.Len) != j["len"] || float64(r.SeqRaw) != j["seq_raw"] ||
						len(r.Flags) != len(j["flags"].([]any)) || len(r.Class) != len(j["class"].([]any)) {
						t.Fatalf("row %d = %+v, JSON %v", i, r, j)
					}
				}
			case parquet.Conns:
				rows, err := pq.ReadFile[parquet.ConnRow](file)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != len(recs) {
					t.Fatalf("%d rows, %d JSON records", len(rows), len(recs))
				}
				for i, r := range rows {
					j := recs[i]
					if float64(r.Conn) != j["conn"] || r.CommunityID != j["community_id"] || r.History != j["history"] ||
						float64(r.BytesS2C) != j["bytes"].(map[string]any)["s2c"] {
						t.Fatalf("row %d = %+v, JSON %v", i, r, j)
					}
				}
			case parquet.HTTP:
				rows, err := pq.ReadFile[parquet.HTTPRow](file)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != len(recs) {
					t.Fatalf("%d rows, %d JSON records", len(rows), len(recs))
				}
				for i, r := range rows {
					j := recs[i]
					if r.URI != j["uri"] || float64(r.Status) != j["status"] || float64(r.RespBodyLen) != j["resp_body_len"] || r.UID != j["uid"] {
						t.Fatalf("row %d = %+v, JSON %v", i, r, j)
					}
				}
			}
		})
	}
}

// duckdb runs SQL queries through tools/duckdb (node and the @duckdb/node-api package),
// one JSON array of rows per query; it skips when either is missing.
func duckdb(t *testing.T, queries ...string) [][]map[string]any {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node: not installed (DuckDB read-back needs node and `npm ci --prefix tools/duckdb`)")
	}
	dir := filepath.Join("..", "..", "tools", "duckdb")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("tools/duckdb/node_modules: not installed (run `npm ci --prefix tools/duckdb`)")
	}
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "query.mjs")}, queries...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v\n%s", err, stderr.String())
	}
	var res [][]map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var rows []map[string]any
		if err := json.Unmarshal(line, &rows); err != nil {
			t.Fatalf("duckdb output %q: %v", line, err)
		}
		res = append(res, rows)
	}
	if len(res) != len(queries) {
		t.Fatalf("duckdb answered %d queries of %d", len(res), len(queries))
	}
	return res
}

// num reads a DuckDB value printed as a JSON number or (for 64-bit types) a string.
func num(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			t.Fatalf("not a number: %q", x)
		}
		return f
	}
	t.Fatalf("not a number: %v", v)
	return 0
}

// TestDuckDB reads the files back with DuckDB: row counts, column types, and values of
// chosen rows against the JSON records.
// One node process answers the queries of all three files (DuckDB takes seconds to
// start on a busy machine).
func TestDuckDB(t *testing.T) {
	files := make([]string, len(kinds))
	recsOf := make([][]map[string]any, len(kinds))
	var all []string
	for i, k := range kinds {
		files[i], recsOf[i] = writeBoth(t, k.mode, k.kind)
		all = append(all, queriesFor(k.kind, "read_parquet('"+files[i]+"')")...)
	}
	res := duckdb(t, all...)
	for i, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			recs := recsOf[i]
			res := res[3*i : 3*i+3]
			checkDuckDB(t, k.kind, res, recs)
		})
	}
}

func queriesFor(kind parquet.Kind, from string) []string {
	var qs []string
	switch kind {
	case parquet.Segments:
		qs = []string{
			"select count(*) as n from " + from,
			"select column_name, column_type from (describe select ts, flags, opt_sack, seq_raw from " + from + ")",
			"select frame, epoch_ns(ts)::VARCHAR as ts_ns, src, len, seq_raw, flags, class from " + from + " order by frame",
		}
	case parquet.Conns:
		qs = []string{
			"select count(*) as n from " + from,
			"select column_name, column_type from (describe select start, packets_c2s from " + from + ")",
			"select conn, community_id, uid, history, conn_state, bytes_s2c, seq_bytes_c2s from " + from + " order by conn",
		}
	case parquet.HTTP:
		qs = []string{
			"select count(*) as n from " + from,
			"select column_name, column_type from (describe select ts, anomalies, interim from " + from + ")",
			"select conn, depth, uri, status, resp_body_len, uid from " + from + " order by conn, depth",
		}
	}
	return qs
}

func checkDuckDB(t *testing.T, kind parquet.Kind, res [][]map[string]any, recs []map[string]any) {
	if n := num(t, res[0][0]["n"]); int(n) != len(recs) {
		t.Errorf("DuckDB count(*) = %v, JSON records %d", n, len(recs))
	}
	types := map[string]string{}
	for _, r := range res[1] {
		types[r["column_name"].(string)] = r["column_type"].(string)
	}
	want := map[parquet.Kind]map[string]string{
		parquet.Segments: {"ts": "TIMESTAMP WITH TIME ZONE", "flags": "VARCHAR[]", "opt_sack": "STRUCT(\"left\" UINTEGER, \"right\" UINTEGER)[]", "seq_raw": "UINTEGER"},
		parquet.Conns:    {"start": "TIMESTAMP WITH TIME ZONE", "packets_c2s": "UBIGINT"},
		parquet.HTTP:     {"ts": "TIMESTAMP WITH TIME ZONE", "anomalies": "VARCHAR[]", "interim": "INTEGER[]"},
	}[kind]
	for c, ty := range want {
		if types[c] != ty {
			t.Errorf("column %s is %s, want %s", c, types[c], ty)
		}
	}
	rows := res[2]
	if len(rows) != len(recs) {
		t.Fatalf("%d rows, %d records", len(rows), len(recs))
	}
	switch kind {
	case parquet.Segments:
		for i, r := range rows {
			j := recs[i]
			if num(t, r["frame"]) != j["frame"] || r["src"] != j["src"] || num(t, r["len"]) != j["len"] ||
				num(t, r["seq_raw"]) != j["seq_raw"] || len(r["flags"].([]any)) != len(j["flags"].([]any)) {
				t.Fatalf("DuckDB row %d = %v, JSON %v", i, r, j)
			}
		}
		// Nanoseconds survive: the first segment's ts, from JSON's RFC 3339 text.
		first := recs[0]["ts"].(string)
		if got := rows[0]["ts_ns"].(string); len(got) < 19 || !sameInstant(t, first, got) {
			t.Errorf("ts of frame 1 = %s ns, JSON %s", got, first)
		}
	case parquet.Conns:
		byConn := map[float64]map[string]any{}
		for _, j := range recs {
			byConn[j["conn"].(float64)] = j
		}
		for _, r := range rows {
			j := byConn[num(t, r["conn"])]
			if j == nil || r["community_id"] != j["community_id"] || r["uid"] != j["uid"] || r["history"] != j["history"] ||
				r["conn_state"] != j["conn_state"] || num(t, r["bytes_s2c"]) != j["bytes"].(map[string]any)["s2c"] {
				t.Fatalf("DuckDB row %v, JSON %v", r, j)
			}
		}
	case parquet.HTTP:
		type key struct{ conn, depth float64 }
		byKey := map[key]map[string]any{}
		for _, j := range recs {
			byKey[key{j["conn"].(float64), j["depth"].(float64)}] = j
		}
		for _, r := range rows {
			j := byKey[key{num(t, r["conn"]), num(t, r["depth"])}]
			if j == nil || r["uri"] != j["uri"] || num(t, r["status"]) != j["status"] ||
				num(t, r["resp_body_len"]) != j["resp_body_len"] || r["uid"] != j["uid"] {
				t.Fatalf("DuckDB row %v, JSON %v", r, j)
			}
		}
	}
}

func sameInstant(t *testing.T, rfc3339, ns string) bool {
	t.Helper()
	tm, err := timeParse(rfc3339)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(tm, 10) == ns
}

func timeParse(s string) (int64, error) {
	tm, err := time.Parse(time.RFC3339Nano, s)
	return tm.UnixNano(), err
}

// TestSegmentAllocs: adding a segment row allocates nothing once the batch's buffers have
// grown (the Parquet writer's own work happens per batch of 512 rows, not measured here:
// 100 + 201 rows stay inside the first batch).
func TestSegmentAllocs(t *testing.T) {
	s := parquet.New(io.Discard, parquet.Segments)
	r := &report.Segment{Frame: 1, Src: "10.0.0.1:1", Dst: "10.0.0.2:80", Flags: tcp.SYN | tcp.ACK, Class: tcp.ClassRetransmission,
		Options: report.Options{SACK: [][2]uint32{{1, 2}}}}
	for range 100 {
		s.Segment(r)
	}
	allocs := testing.AllocsPerRun(200, func() { s.Segment(r) })
	if allocs != 0 {
		t.Errorf("Segment allocates %.2f times per row", allocs)
	}
}
