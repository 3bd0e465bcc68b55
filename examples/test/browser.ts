// Opens a demo report in Debian's chromium (which .ci/run installs) through playwright-core.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Debian's chromium, which .ci/run installs with apt-get. */
export function chromiumPath(): string | undefined {
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Opens `file` in headless chromium; returns the charts the page drew and what it logged. */
export async function openReport(file: string): Promise<{
  charts: { title: string; points: number; canvases: number }[];
  errors: string[];
}> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium is not installed (apt-get install -y chromium)');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(pathToFileURL(file).href);
    // The page script sets `__charts` once every chart is drawn (the callbacks run in the page).
    await page.waitForFunction('window.__charts !== undefined');
    const charts = (await page.evaluate('window.__charts')) as {
      title: string;
      points: number;
      canvases: number;
    }[];
    return { charts, errors };
  } finally {
    await browser.close();
  }
}
