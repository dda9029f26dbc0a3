/**
 * The browser tests' helpers: Debian's Chromium through playwright-core (Playwright's own browser download
 * is not reachable from the build machines), screenshots kept in test-results/browser/, and a look at
 * what a chart's canvas holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { repo } from './helpers.ts';

export const chromiumPath = '/usr/bin/chromium';
export const screenshots = path.join(repo, 'test-results', 'browser');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath))
    throw new Error(
      `${chromiumPath} is missing: \`npm run services -- up\` installs Debian's chromium package`,
    );
  // As root (CI), Chromium's sandbox cannot start; the pages are farebox's own.
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
}

/** Builds web/ into web/dist, as `npm run build:web` does, so the test serves the sources it checks. */
export async function buildWebApp(): Promise<void> {
  await build({ configFile: path.join(repo, 'web/vite.config.ts'), logLevel: 'warn' });
}

export async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

/**
 * How many pixels of each chart's canvas are drawn in a colour of the data (the palette's blues, oranges,
 * greens, reds…), as opposed to axes, grid lines and labels, which are grey: an empty chart has none.
 */
export async function dataPixels(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const card of document.querySelectorAll<HTMLElement>('[data-chart]')) {
      const canvas = card.querySelector('canvas');
      if (canvas === null) continue;
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      if (data !== undefined)
        for (let i = 0; i < data.length; i += 4) {
          const [r = 0, g = 0, b = 0, a = 0] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
          // Saturated: the spread between channels is large (grey has r ≈ g ≈ b).
          if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
        }
      out[card.dataset.chart ?? '?'] = n;
    }
    return out;
  });
}

/**
 * Waits until the dashboard `dashboard` is shown (with a query string holding `query`, when given) and
 * every one of its charts has the answer to it; returns each chart's state and row count, read at once.
 */
export async function chartStates(
  page: Page,
  dashboard: string,
  query = '',
  timeoutMs = 30_000,
): Promise<Record<string, string>> {
  const handle = await page.waitForFunction(
    ([name, part]) => {
      const view = document.querySelector<HTMLElement>(`[data-dashboard="${name}"]`);
      if (view === null || !(view.dataset.query ?? '').includes(part)) return false;
      const cards = [...view.querySelectorAll<HTMLElement>('[data-chart]')];
      if (cards.length === 0 || cards.some((c) => c.dataset.state === 'loading')) return false;
      return Object.fromEntries(
        cards.map((c) => [c.dataset.chart ?? '?', `${c.dataset.state ?? '?'}:${c.dataset.rows ?? '0'}`]),
      );
    },
    [dashboard, query] as const,
    { timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as Record<string, string>;
}
