// Launches the Chromium that scripts/setup.sh found (or $CHROME_PATH) through playwright-core.
import { chromium } from 'playwright-core';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = process.env.COASSEMBLE_EVENTS_CACHE
  ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coassemble-events');

/** Path of the Chrome/Chromium binary to drive, or a clear error naming what to do. */
export function chromePath() {
  const fromFile = join(cache, 'chrome-path');
  const path = process.env.CHROME_PATH
    ?? (existsSync(fromFile) ? readFileSync(fromFile, 'utf8').trim() : '/usr/bin/chromium');
  if (!existsSync(path)) {
    throw new Error(`No Chromium at ${path}: run 'bash scripts/setup.sh browser' or set CHROME_PATH`);
  }
  return path;
}

// The network flags stop Chromium stalling on a closed network; a fresh profile keeps runs independent.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium; close it with `await browser.close()`. */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'coassemble-events-chrome-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromePath(), headless: true, args: FLAGS,
  });
  return context;
}
