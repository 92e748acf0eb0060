import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The OS package's Chromium (Debian's `chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
// CI installs Chromium and sets REQUIRE_CHROMIUM: there a missing browser fails the run instead of
// skipping the browser tests (on a developer's machine without it they are skipped, and say so).
if (!HAVE_CHROMIUM && process.env['REQUIRE_CHROMIUM'] === '1') {
  throw new Error(`REQUIRE_CHROMIUM=1 but no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
}

export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'e2e');

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/** Full-page screenshots numbered in the order the user saw the pages. */
export class Screenshots {
  private n = 0;
  readonly saved: string[] = [];

  private readonly dir: string;

  constructor(flow: string) {
    this.dir = join(ARTIFACTS_DIR, flow);
  }

  async take(page: Page, name: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    this.n += 1;
    const file = join(this.dir, `${String(this.n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    this.saved.push(file);
    return file;
  }
}

/** Nothing on the page is wider than the viewport: a horizontal scrollbar means broken layout. */
export async function horizontalOverflow(page: Page): Promise<number> {
  // A string, evaluated in the page: this project's types do not include the DOM.
  return Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
}
