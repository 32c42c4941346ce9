package html_test

// The browser test: Debian's chromium, headless, driven by puppeteer-core
// (tools/browser/check.js) opens each report from file:// and the Go side judges what it
// saw. It skips, saying why, without node, chromium or tools/browser/node_modules
// (npm ci --prefix tools/browser).
//
// SEGSCOPE_SCREENSHOTS=DIR also copies the README's screenshots into DIR:
//
//	SEGSCOPE_SCREENSHOTS=$PWD/docs/report go test ./render/html -run TestBrowser

import (
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segscope/segscope"
	"github.com/segscope/segscope/render/html"
)

const chromium = "/usr/bin/chromium"

type browserResult struct {
	Name        string            `json:"name"`
	Errors      []string          `json:"errors"`
	Failed      []string          `json:"failed"`
	Shots       map[string]string `json:"shots"`
	LoadMS      int               `json:"load_ms"`
	Rows        int               `json:"rows"`
	Arrows      map[string]int    `json:"arrows"`
	Bars        int               `json:"bars"`
	BarsPlaced  int               `json:"bars_placed"`
	OpenAtLoad  string            `json:"open_at_load"`
	ClickedConn string            `json:"clicked_conn"`
	OpenedConn  string            `json:"opened_conn"`
	Hash        string            `json:"hash"`
	FindingLink string            `json:"finding_link"`
	Zoomed      string            `json:"zoomed"`
	Texts       []string          `json:"texts"`
	RowsAll     int               `json:"rows_all"`
	Lazy        string            `json:"lazy"`
	LazyOpened  string            `json:"lazy_opened"`
	Dialogs     []string          `json:"dialogs"`
}

// readmeShots are the screenshots the README shows: report name and section.
var readmeShots = [][2]string{
	{"parallel", "summary"}, {"parallel", "waterfall"}, {"loss-reorder", "connection"},
	{"loss-reorder", "ladder"}, {"loss-reorder", "tseq"}, {"keepalive", "anatomy"}, {"loss-reorder", "findings"},
}

func TestBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("browser test: node not installed")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("browser test: chromium not installed (apt-get install chromium)")
	}
	tools, _ := filepath.Abs(filepath.Join("..", "..", "tools", "browser"))
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "puppeteer-core")); err != nil {
		t.Skip("browser test: puppeteer-core not installed (npm ci --prefix tools/browser)")
	}
	dir := t.TempDir()
	shots := filepath.Join(dir, "shots")
	type cfgReport struct {
		Name  string `json:"name"`
		HTML  string `json:"html"`
		Shots string `json:"shots,omitempty"`
	}
	var cfg struct {
		Chromium string      `json:"chromium"`
		Reports  []cfgReport `json:"reports"`
	}
	cfg.Chromium = chromium
	// What the page must show, from records made apart from the report.
	wantRows := map[string]int{}
	wantArrows := map[string]map[string]int{}
	for _, name := range append(captures, "parallel-aggregated") {
		c, o := name, html.Options{}
		if name == "parallel-aggregated" {
			// Two of the four connections in full, two waterfall rows in HTML: the page
			// draws the rest from its embedded records.
			c, o = "parallel", html.Options{MaxDetail: 2, MaxRows: 2}
		}
		path := filepath.Join(dir, name+".html")
		if err := os.WriteFile(path, reportOf(t, c, o), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.Reports = append(cfg.Reports, cfgReport{name, path, shots})
		var rs, pk records
		run(t, pcap(c), &rs, segscope.Config{Mode: segscope.ModeHTTP})
		run(t, pcap(c), &pk, segscope.Config{Mode: segscope.ModePackets})
		wantRows[name] = len(rs.https)
		wantArrows[name] = map[string]int{}
		for _, s := range pk.segs {
			wantArrows[name][strconv.FormatUint(s.Conn, 10)]++
		}
	}
	evil := filepath.Join(dir, "hostile.html")
	if err := os.WriteFile(evil, hostileReport(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Reports = append(cfg.Reports, cfgReport{Name: "hostile", HTML: evil})
	cfgPath := filepath.Join(dir, "config.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(tools, "check.js"), cfgPath)
	cmd.Dir = tools
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.js: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results []browserResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check.js output: %v\n%s", err, out)
	}
	if len(res.Results) != len(cfg.Reports) {
		t.Fatalf("%d results for %d reports", len(res.Results), len(cfg.Reports))
	}
	for _, r := range res.Results {
		t.Run(r.Name, func(t *testing.T) {
			t.Logf("loaded in %d ms; %d rows; arrows %v", r.LoadMS, r.Rows, r.Arrows)
			for _, e := range r.Errors {
				t.Errorf("browser error: %s", e)
			}
			for _, f := range r.Failed {
				t.Errorf("request failed or not allowed: %s", f)
			}
			for _, d := range r.Dialogs {
				t.Errorf("the page opened a dialog (script from the capture ran?): %s", d)
			}
			if r.Name == "hostile" {
				joined := strings.Join(r.Texts, "\n")
				for _, want := range []string{"<script>alert(1)</script>", "<b>OK</b>"} {
					if !strings.Contains(joined, want) {
						t.Errorf("the page does not show %q as text; texts: %q", want, r.Texts)
					}
				}
				return
			}
			if r.Name == "parallel-aggregated" {
				if r.Rows != 2 || r.RowsAll != wantRows[r.Name] {
					t.Errorf("%d waterfall rows, then %d after drawing the rest; want 2 and %d", r.Rows, r.RowsAll, wantRows[r.Name])
				}
				if len(r.Arrows) != 2 {
					t.Errorf("%d connections drawn in full, want 2", len(r.Arrows))
				}
				if r.Lazy == "" || r.LazyOpened != r.Lazy {
					t.Errorf("opening summarised conn %q showed conn %q", r.Lazy, r.LazyOpened)
				}
			} else {
				if r.Rows != wantRows[r.Name] {
					t.Errorf("%d waterfall rows rendered, want %d (the http records)", r.Rows, wantRows[r.Name])
				}
				if len(r.Arrows) != len(wantArrows[r.Name]) {
					t.Errorf("%d connections drawn in full, want %d", len(r.Arrows), len(wantArrows[r.Name]))
				}
			}
			if r.BarsPlaced != r.Bars || r.Bars == 0 {
				t.Errorf("%d of %d waterfall bars placed by the script", r.BarsPlaced, r.Bars)
			}
			for conn, n := range r.Arrows {
				if want := wantArrows[r.Name][conn]; n != want {
					t.Errorf("conn %s: %d ladder arrows rendered, want %d (its segments)", conn, n, want)
				}
			}
			if r.ClickedConn == "" || r.OpenedConn != r.ClickedConn || r.Hash != "#conn-"+r.ClickedConn {
				t.Errorf("clicking a row of conn %s opened conn %s (hash %s)", r.ClickedConn, r.OpenedConn, r.Hash)
			}
			if r.FindingLink == "" {
				t.Error("no finding linked to a ladder row")
			}
			if !strings.HasPrefix(r.Zoomed, "showing ") {
				t.Errorf("zoom did not take: %q", r.Zoomed)
			}
			for section, path := range r.Shots {
				if path == "" {
					t.Errorf("no screenshot of %s", section)
					continue
				}
				if v := pixelSpread(t, path); v < 0.01 {
					t.Errorf("screenshot of %s looks blank: %.4f of its pixels differ from the background", section, v)
				}
			}
		})
	}
	if dst := os.Getenv("SEGSCOPE_SCREENSHOTS"); dst != "" {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range readmeShots {
			name := s[0] + "-" + s[1] + ".png"
			b, err := os.ReadFile(filepath.Join(shots, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, s[1]+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// pixelSpread returns the fraction of a PNG's pixels that differ clearly from its most
// common colour (the background): 0 for a blank picture.
func pixelSpread(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	bd := img.Bounds()
	lum := func(x, y int) int {
		r, g, b, _ := img.At(x, y).RGBA()
		return int((299*r + 587*g + 114*b) / 1000 >> 8)
	}
	var hist [256]int
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			hist[lum(x, y)]++
		}
	}
	bg := 0
	for i := range hist {
		if hist[i] > hist[bg] {
			bg = i
		}
	}
	diff := 0
	for i, n := range hist {
		if i < bg-24 || i > bg+24 {
			diff += n
		}
	}
	return float64(diff) / float64(bd.Dx()*bd.Dy())
}
