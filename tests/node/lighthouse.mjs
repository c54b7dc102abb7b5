// Run Lighthouse (mobile profile, its default) on each URL in one Debian chromium, never a downloaded one.
// Usage: CHROME_PATH=/usr/bin/chromium node lighthouse.mjs URL ...  ->  JSON on stdout:
// {url: {scores: {category: 0..1}, failing: [{category, id, title, score, displayValue}]}}
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
});
const report = {};
try {
  for (const url of process.argv.slice(2)) {
    const result = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error',
      onlyCategories: CATEGORIES });
    const lhr = result.lhr;
    const scores = Object.fromEntries(CATEGORIES.map(c => [c, lhr.categories[c]?.score ?? null]));
    const failing = [];
    for (const c of CATEGORIES) {
      for (const ref of lhr.categories[c]?.auditRefs ?? []) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          failing.push({ category: c, id: ref.id, title: audit.title, score: audit.score,
            displayValue: audit.displayValue ?? '' });
        }
      }
    }
    report[url] = { scores, failing, runtimeError: lhr.runtimeError?.message ?? null,
      warnings: lhr.runWarnings ?? [] };
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
