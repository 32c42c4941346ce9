#!/usr/bin/env node
// Validates HAR files with har-validator (the HAR 1.2 JSON schema).
// Usage: node validate-har.js FILE.har...   Exit 1 if any is invalid, printing why.
'use strict';
const fs = require('fs');
const validate = require('har-validator');

async function main() {
  let bad = 0;
  for (const f of process.argv.slice(2)) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch (e) {
      console.log(`${f}: not JSON: ${e.message}`);
      bad++;
      continue;
    }
    try {
      await validate.har(doc);
      console.log(`${f}: valid HAR (${doc.log.entries.length} entries)`);
    } catch (e) {
      bad++;
      const errs = (e.errors || []).slice(0, 10).map(x => `  ${x.dataPath || x.instancePath || ''} ${x.message} ${JSON.stringify(x.params || {})}`);
      console.log(`${f}: INVALID: ${e.message}\n${errs.join('\n')}`);
    }
  }
  process.exit(bad ? 1 : 0);
}
main();
