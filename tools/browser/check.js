// check.js drives Debian's chromium, headless, over segscope's HTML reports for the Go
// browser test (render/html TestBrowser). Usage: node check.js CONFIG.json > RESULT.json
//
// CONFIG: {"reports": [{"name": "keepalive", "html": "/abs/path.html", "shots": "/abs/dir"}]}
// For each report it opens the file (file://, no server), records console errors, page
// errors and every request that failed or was not for the file itself, counts the
// rendered waterfall rows and each connection's ladder arrows, clicks the first waterfall
// row and reports which connection opened, and saves screenshots of each section (PNG)
// into the report's "shots" directory. The Go test judges the results.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function shot(page, selector, file, maxHeight) {
  const el = await page.$(selector);
  if (!el) {
    return null;
  }
  const box = await el.boundingBox();
  if (!box || box.width < 1 || box.height < 1) {
    return null;
  }
  // The clip is relative to the element: its top, at most maxHeight pixels.
  await el.screenshot({ path: file, clip: { x: 0, y: 0, width: Math.min(box.width, 1280), height: Math.min(box.height, maxHeight) } });
  return file;
}

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "segscope-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: cfg.chromium || "/usr/bin/chromium",
    headless: false, // "--headless" is passed in args, as given
    args: flags.concat(["--user-data-dir=" + userDir]),
  });
  const results = [];
  try {
    for (const r of cfg.reports) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const res = { name: r.name, errors: [], failed: [], shots: {}, dialogs: [] };
      page.on("dialog", async (d) => { res.dialogs.push(d.message()); await d.dismiss(); });
      const url = "file://" + r.html;
      page.on("console", (m) => { if (m.type() === "error") { res.errors.push("console: " + m.text()); } });
      page.on("pageerror", (e) => res.errors.push("page: " + String(e)));
      page.on("requestfailed", (q) => res.failed.push(q.url() + ": " + (q.failure() ? q.failure().errorText : "failed")));
      page.on("request", (q) => { if (q.url() !== url && !q.url().startsWith("data:")) { res.failed.push("unexpected request: " + q.url()); } });
      const t0 = Date.now();
      await page.goto(url, { waitUntil: "load" });
      res.load_ms = Date.now() - t0;
      res.metrics_at_load = await page.metrics();
      Object.assign(res, await page.evaluate(() => {
        // Open every connection drawn in full and count its ladder's arrows.
        const arrows = {};
        JSON.parse(document.getElementById("data").textContent).full.forEach((id) => {
          const a = document.getElementById(window.segscope.open(id));
          arrows[a.dataset.conn] = a.querySelectorAll("svg.ladder g.arrow").length;
        });
        const bars = [...document.querySelectorAll("#wfbody .bar")];
        return {
          rows: document.querySelectorAll("#wfbody .wf-row").length,
          arrows: arrows,
          bars_placed: bars.filter((b) => b.style.left !== "").length,
          bars: bars.length,
          open_at_load: (document.querySelector(".conn.open") || {}).id || null,
          scripts: document.querySelectorAll("script").length,
        };
      }));
      // Capture text shown on the page (the escaping test reads it).
      res.texts = await page.evaluate(() => [...document.querySelectorAll(".wf-name, td.uri, #findtable td, .findings li, title")].map((e) => e.textContent));
      // Exchanges and connections drawn on demand from the embedded records.
      if (await page.$("#wfall")) {
        await page.click("#wfall");
        // One click draws up to 5,000 more rows.
        await page.waitForFunction(() => {
          const b = document.getElementById("wfall");
          return /^All /.test(document.getElementById("wfmore").textContent) || (b && !b.disabled);
        }, { timeout: 30000 });
        res.rows_all = await page.evaluate(() => document.querySelectorAll("#wfbody .wf-row").length);
      }
      res.lazy = await page.evaluate(() => {
        const d = JSON.parse(document.getElementById("data").textContent);
        const full = new Set(d.full);
        const c = d.conns.find((c) => !full.has(c[0]));
        if (!c) { return ""; }
        location.hash = "#conn-" + c[0];
        return String(c[0]);
      });
      if (res.lazy) {
        await page.waitForFunction(() => document.getElementById("conn-lazy").classList.contains("open"), { timeout: 30000 });
        res.lazy_opened = await page.evaluate(() => document.getElementById("conn-lazy").dataset.conn);
      }
      // Click through: the last waterfall row opens its connection.
      const rows = await page.$$("#wfbody .wf-row .wf-name");
      if (rows.length > 0) {
        const last = rows[rows.length - 1];
        res.clicked_conn = await last.evaluate((n) => n.parentElement.dataset.conn);
        await last.click();
        await page.waitForFunction(() => document.querySelector(".conn.open") !== null, { timeout: 30000 });
        res.opened_conn = await page.evaluate(() => document.querySelector(".conn.open").dataset.conn);
        res.hash = await page.evaluate(() => location.hash);
      }
      // A finding's frame link highlights its ladder arrow.
      const flink = await page.$("#findtable td:nth-child(2) a");
      if (flink) {
        const href = await flink.evaluate((a) => a.getAttribute("href"));
        await flink.click();
        await page.waitForFunction((h) => { const e = document.getElementById(h.slice(1)); return e && e.classList.contains("hit"); }, { timeout: 30000 }, href);
        res.finding_link = href;
      }
      // Zoom the waterfall to its first half and back.
      res.zoomed = await page.evaluate(() => {
        const zt = document.getElementById("zt");
        zt.value = String(+zt.value / 2);
        document.getElementById("zapply").click();
        return document.getElementById("zinfo").textContent;
      });
      if (r.shots) {
        fs.mkdirSync(r.shots, { recursive: true });
        // Screenshots at the whole capture's scale, with the first connection in full open,
        // and the sticky header out of the way.
        await page.evaluate(() => {
          document.getElementById("zreset").click();
          document.querySelector("header").style.position = "static";
          document.querySelector(".wf-head").style.position = "static";
        });
        const first = await page.evaluate(() => { const d = JSON.parse(document.getElementById("data").textContent); return d.full[0]; });
        if (first !== undefined) {
          await page.evaluate((id) => { location.hash = "#conn-" + id; }, first);
          await page.waitForFunction((id) => { const e = document.getElementById("conn-" + id); return e && e.classList.contains("open"); }, {}, first);
        }
        const p = (n) => path.join(r.shots, r.name + "-" + n + ".png");
        res.shots.summary = await shot(page, "#summary", p("summary"), 1100);
        res.shots.waterfall = await shot(page, "#waterfall", p("waterfall"), 900);
        res.shots.connection = await shot(page, ".conn.open", p("connection"), 1000);
        res.shots.ladder = await shot(page, ".conn.open svg.ladder", p("ladder"), 1100);
        // The direction that carried more data.
        await page.evaluate(() => {
          const gs = [...document.querySelectorAll(".conn.open svg.tseq")];
          gs.sort((a, b) => b.querySelectorAll(".tsd").length - a.querySelectorAll(".tsd").length);
          if (gs.length) { gs[0].classList.add("shot"); }
        });
        res.shots.tseq = await shot(page, ".conn.open svg.tseq.shot", p("tseq"), 600);
        // The message carried by the most segments.
        await page.evaluate(() => {
          const gs = [...document.querySelectorAll(".conn.open svg.anatomy")];
          gs.sort((a, b) => b.querySelectorAll("rect.seg").length - a.querySelectorAll("rect.seg").length);
          if (gs.length) { gs[0].classList.add("shot"); }
        });
        res.shots.anatomy = await shot(page, ".conn.open svg.anatomy.shot", p("anatomy"), 700);
        res.shots.findings = await shot(page, "#findings", p("findings"), 900);
      }
      await page.close();
      results.push(res);
    }
  } finally {
    await browser.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify({ results: results }) + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
