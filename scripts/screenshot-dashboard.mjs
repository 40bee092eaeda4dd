// Takes docs/dashboard.png, the picture of the inbox dashboard in docs/guide/operating.md: a day of realistic deliveries
// (tests/support/inbox-seed.mjs) in Debian Chromium (playwright-core), one dead delivery opened.
//   node scripts/screenshot-dashboard.mjs [out.png]
import { fileURLToPath } from 'node:url';
import { startDashboard } from '../tests/support/dashboard-server.mjs';
import { launchBrowser } from '../tests/support/browser.mjs';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const app = await startDashboard();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${app.url}/admin/webhooks/`);
  await page.fill('#token', app.token);
  await page.click('#token-submit');
  await page.waitForFunction(() => document.querySelectorAll('#chart rect.bar').length > 0
    && document.querySelectorAll('#deliveries tbody tr').length > 0);
  // The newest dead delivery, shown with the list scrolled to the top (the newest deliveries).
  await page.click(`#deliveries tbody tr[data-id="${app.ids.dead[0]}"] td:nth-child(2)`);
  await page.waitForFunction(() => !document.querySelector('#detail-body').hidden);
  await page.evaluate(() => { document.querySelector('.table-wrap').scrollTop = 0; window.scrollTo(0, 0); });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await app.close();
}
