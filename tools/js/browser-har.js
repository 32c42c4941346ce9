#!/usr/bin/env node
// Loads a page in Debian's chromium (headless, driven by puppeteer-core) and writes the
// HAR that chrome-har builds from the Chrome DevTools Protocol events: the browser's own
// view of the traffic, the oracle for segscope's HAR (cmd/segscope browser test).
// Usage: node browser-har.js URL OUT.har [CHROMIUM]
// The page sets window.__done = true when its last request has finished.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');
const { harFromMessages } = require('chrome-har');

const [url, out, exe = '/usr/bin/chromium'] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node browser-har.js URL OUT.har [CHROMIUM]');
  process.exit(2);
}

const events = [];
const wanted = new Set([
  'Page.loadEventFired', 'Page.domContentEventFired', 'Page.frameStartedLoading',
  'Page.frameAttached', 'Page.frameScheduledNavigation', 'Page.frameRequestedNavigation',
  'Network.requestWillBeSent', 'Network.requestWillBeSentExtraInfo',
  'Network.requestServedFromCache', 'Network.dataReceived', 'Network.responseReceived',
  'Network.responseReceivedExtraInfo', 'Network.resourceChangedPriority',
  'Network.loadingFinished', 'Network.loadingFailed',
]);

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'segscope-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: exe,
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const cdp = await page.createCDPSession();
    for (const m of wanted) {
      cdp.on(m, params => events.push({ method: m, params }));
    }
    await cdp.send('Page.enable');
    await cdp.send('Network.enable');
    await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    await page.waitForFunction('window.__done === true', { timeout: 20000 });
    // Let the last loadingFinished events arrive.
    await new Promise(r => setTimeout(r, 300));
    const har = harFromMessages(events, { includeTextFromResponseBody: false });
    fs.writeFileSync(out, JSON.stringify(har, null, 1));
    console.log(`${out}: ${har.log.entries.length} entries`);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e && e.stack || String(e));
  process.exit(1);
});
