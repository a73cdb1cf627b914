// Debian's Chromium driven by playwright-core, for tests of what a person sees. A missing browser is a failure
// that says how to install it, never a skip. Screenshots go under test-results/ (or $VIGIL_TEST_OUTPUT).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['VIGIL_CHROMIUM'] ?? '/usr/bin/chromium';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const OUTPUT_DIR = process.env['VIGIL_TEST_OUTPUT'] ?? join(REPO_ROOT, 'test-results');

/** Flags for a quiet, offline, throw-away browser: no sandbox (we run as root in CI), no network of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<Page>;
  /** Saves a full-page screenshot as <OUTPUT_DIR>/<folder>/<name>.png and returns the path. */
  screenshot(page: Page, folder: string, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is needed for the status-page tests and was not found at ${CHROMIUM}. Install Debian's browser with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does), or point VIGIL_CHROMIUM at a Chromium binary.',
    );
  }
  // A fresh profile per run (passed as --user-data-dir by playwright): nothing carries over between tests.
  const userDataDir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async newPage(options = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width: options.width ?? 1200, height: options.height ?? 900 });
      if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
      return page;
    },
    async screenshot(page, folder, name) {
      const dir = join(OUTPUT_DIR, folder);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
