/**
 * The dashboards web app in a real browser (Debian's Chromium, driven by playwright-core), served by
 * `farebox up` on embedded engines with the fleet simulator running, the real TLC files of January–March
 * 2025 imported through it, and a scheduler that builds the marts and syncs zone demand every 10 seconds.
 * Screenshots of each page go to test-results/browser/.
 */
/// <reference lib="dom" />
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunInfo } from '../src/cli/run-file.ts';
import { buildWebApp, chartStates, dataPixels, launchChromium, shoot } from './browser.ts';
import { controlApi, dataDir, repo, tempHome } from './helpers.ts';

const home = await tempHome('dashboards');
const dashboards = path.join(home, 'dashboards');
fs.cpSync(path.join(repo, 'dashboards'), dashboards, { recursive: true });
const pipelines = path.join(home, 'pipelines');
fs.mkdirSync(pipelines);
fs.writeFileSync(
  path.join(pipelines, 'marts.yaml'),
  `pipeline: marts
schedule: { every: 10s }
jobs:
  - name: build
    transform: { command: build, select: ['+fct_trips+'] }
    timeout: 5m
  - name: zone_demand
    sync: zone_demand
    upstream: [build]
`,
);
const env = {
  ...process.env,
  FAREBOX_HOME: home,
  FAREBOX_PORT: '0',
  FAREBOX_OPS_PORT: '0',
  FAREBOX_PIPELINES: pipelines,
  FAREBOX_DASHBOARDS: dashboards,
  FAREBOX_SCHEDULER_TICK_SECONDS: '1',
  FAREBOX_SINK_BATCH_MS: '200',
  FAREBOX_SIM_SPEED: '20',
  FAREBOX_SIM_VEHICLES: '150',
};
const farebox = path.join(repo, 'bin/farebox.js');
let up: ChildProcess;
let output = '';
let info: RunInfo;
let adminPassword: string;
let browser: Browser;
const pageErrors: string[] = [];

const { call: v1, count } = controlApi(() => info);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting until ${what}\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A new browser session signed in as `name` (through the sign-in form). */
async function signedIn(name: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${name} ${page.url()}: ${e.message}`));
  await page.goto(`${info.url}/`);
  await page.getByLabel('User').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(`[data-user="${name}"]`).waitFor();
  return { context, page };
}

/** SQL lab's editor holds `sql` (typed as a user would, so completion and brackets behave as for them). */
async function setSql(page: Page, sql: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.locator('.cm-content').fill(sql);
}

beforeAll(async () => {
  await buildWebApp();
  up = spawn(process.execPath, [farebox, 'up'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
  up.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  up.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await until('farebox up has started', () => {
    if (up.exitCode !== null) throw new Error(`farebox up exited:\n${output}`);
    return Promise.resolve(fs.existsSync(path.join(home, 'run.json')));
  });
  info = JSON.parse(fs.readFileSync(path.join(home, 'run.json'), 'utf8')) as RunInfo;
  adminPassword = fs.readFileSync(path.join(home, 'dashboards-admin-password'), 'utf8').trim();
  // Real trips through the running platform, then a build after they are all loaded.
  execFileSync(
    process.execPath,
    [
      farebox,
      'import',
      ...['yellow_tripdata_2025_sample.csv', 'green_tripdata_sample.csv'].map((f) => path.join(dataDir, f)),
    ],
    { cwd: home, env, stdio: 'pipe' },
  );
  await v1('/v1/pipelines/marts/trigger', {});
  await until('a manual build after the import succeeded', async () => {
    const { runs } = await v1<{ runs: { trigger: string; state: string }[] }>('/v1/runs?pipeline=marts');
    return runs.some((r) => r.trigger === 'manual' && r.state === 'success');
  });
  await until(
    'dead letters, sync runs and vehicle positions are in',
    async () =>
      (await count('SELECT count() FROM dead_letters')) > 0 &&
      (await count('SELECT count() FROM sync_runs')) > 0 &&
      (await count('SELECT count() FROM vehicle_locations')) > 0,
  );
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (up.exitCode === null && up.signalCode === null) {
    up.kill('SIGTERM');
    await new Promise((r) => up.once('exit', r));
  }
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the dashboards web app in Chromium', () => {
  it('prints where to sign in, refuses a wrong password and signs the admin in', async () => {
    expect(output).toMatch(/dashboards +http:\/\/127\.0\.0\.1:\d+\/ +sign in as admin, password \S+/);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${info.url}/`);
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong user name or password');
    await shoot(page, '0-sign-in');
    await context.close();
    const { context: signed, page: home } = await signedIn('admin', adminPassword);
    await expect
      .poll(() => home.locator('nav.top a').allTextContents())
      .toEqual(expect.arrayContaining(['Fleet', 'Pipeline', 'Lineage', 'SQL lab', 'Users']));
    await signed.close();
  });

  it('renders every chart of every dashboard with data, drawn on its canvas', async () => {
    const { context, page } = await signedIn('admin', adminPassword);
    for (const name of ['fleet', 'pipeline', 'lineage']) {
      await page.goto(`${info.url}/#/d/${name}`);
      const states = await chartStates(page, name);
      expect(Object.keys(states).length, name).toBeGreaterThan(1);
      for (const [chart, state] of Object.entries(states))
        expect(state, `${name}/${chart}`).toMatch(/^ready:[1-9]/);
      const pixels = await dataPixels(page);
      // The lag is 0 whenever the sink has caught up: there is then no bar to draw.
      delete pixels.consumer_lag;
      for (const [chart, n] of Object.entries(pixels))
        expect(n, `${name}/${chart} drew no data`).toBeGreaterThan(50);
      await shoot(page, `1-${name}`);
    }
    // Each chart shows its SQL on demand.
    await page.goto(`${info.url}/#/d/fleet`);
    await chartStates(page, 'fleet');
    await page.locator('[data-chart=top_pickup_zones]').getByRole('button', { name: 'SQL' }).click();
    expect(await page.locator('[data-chart=top_pickup_zones] pre.sql').textContent()).toContain(
      'FROM fct_trips',
    );
    await context.close();
  });

  it('changes the numbers with the time range and borough filters, matching the warehouse', async () => {
    const { context, page } = await signedIn('admin', adminPassword);
    const table = page.locator('[data-chart=fare_and_tip_by_payment]');
    const trips = async (query: string): Promise<number> => {
      await chartStates(page, 'fleet', query);
      const cells = await table.locator('tbody tr td:nth-child(2)').allTextContents();
      return cells.reduce((a, c) => a + Number(c), 0);
    };
    // February 2025: real trips only (the simulator's are from today), so the figures hold still.
    await page.goto(`${info.url}/#/d/fleet?range=custom&from=2025-02-01T00:00&to=2025-03-01T00:00`);
    const february = await trips('range=custom');
    const feb = "pickup_at >= '2025-02-01 00:00:00' AND pickup_at < '2025-03-01 00:00:00'";
    expect(february).toBe(await count(`SELECT count() FROM fct_trips WHERE ${feb}`));
    expect(february).toBeGreaterThan(4000);
    await page.locator('select[name=borough]').selectOption('Queens');
    await expect.poll(() => page.url()).toContain('borough=Queens');
    await page.waitForResponse(
      (r) => r.url().includes('fare_and_tip_by_payment') && r.url().includes('borough=Queens'),
    );
    const queens = await trips('borough=Queens');
    expect(queens).toBe(await count(`SELECT count() FROM fct_trips WHERE ${feb} AND pu_borough = 'Queens'`));
    expect(queens).toBeGreaterThan(0);
    expect(queens).toBeLessThan(february);
    await shoot(page, '2-fleet-february-queens');
    await context.close();
  });

  it('refreshes by itself: the live charts run again over a range that moves with the clock', async () => {
    const { context, page } = await signedIn('admin', adminPassword);
    // The start of the range each trips_per_minute request asked for (none before the range is set).
    const froms: number[] = [];
    page.on('request', (r) => {
      const from = r.url().includes('/charts/trips_per_minute')
        ? new URL(r.url()).searchParams.get('from')
        : null;
      if (from !== null) froms.push(Date.parse(from));
    });
    await page.goto(`${info.url}/#/d/fleet?range=1h&refresh=10`);
    expect((await chartStates(page, 'fleet', 'range=1h')).trips_per_minute).toMatch(/^ready:[1-9]/);
    await expect
      .poll(() => (froms.length < 2 ? 0 : Math.max(...froms) - Math.min(...froms)), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(9_000);
    expect(await page.locator('select[name=refresh]').inputValue()).toBe('10');
    await context.close();
  });

  it('runs SQL in SQL lab with completion, the schema, CSV, history, refusal and cancel', async () => {
    const { context, page } = await signedIn('admin', adminPassword);
    // As on plain HTTP beyond localhost, where browsers offer no crypto.randomUUID().
    await page.addInitScript(() =>
      Object.defineProperty(Crypto.prototype, 'randomUUID', { value: undefined }),
    );
    await page.goto(`${info.url}/#/sql`);
    await page.reload();
    await page.locator('.cm-content').waitFor();
    // The schema browser lists the tables, and a table opens onto its columns.
    await page.getByRole('button', { name: /fct_trips$/ }).click();
    await expect.poll(() => page.locator('.schema').textContent()).toContain('pickup_at');
    // Completion offers the warehouse's tables.
    await setSql(page, 'SELECT count() AS n FROM fct_tr');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-tooltip-autocomplete').getByText('fct_trips').first().waitFor();
    // CodeMirror ignores keys for 75 ms after the list opens (interactionDelay), so a hurried Enter is a newline.
    await page.waitForTimeout(200);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('.cm-content').textContent())
      .toBe('SELECT count() AS n FROM fct_trips');
    await shoot(page, '3-sql-lab-completion');

    const sql =
      "SELECT pu_borough AS borough, count() AS trips FROM fct_trips WHERE pickup_at < '2025-03-01' GROUP BY borough ORDER BY borough";
    await setSql(page, sql);
    await page.keyboard.press('Control+Enter');
    await page.locator('.result[data-state=done] table').waitFor();
    const expected = await v1<{ rows: { borough: string | null; trips: string | number }[] }>('/v1/query', {
      sql,
    });
    const shown = await page.locator('.result tbody tr').count();
    expect(shown).toBe(expected.rows.length);
    await shoot(page, '4-sql-lab-result');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const csv = fs
      .readFileSync((await download.path()) ?? '', 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(csv[0]).toBe('borough,trips');
    expect(csv.slice(1)).toEqual(expected.rows.map((r) => `${r.borough ?? ''},${r.trips}`));

    await setSql(page, 'DROP TABLE fct_trips');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.result[data-state=error]').textContent()).toContain('read-only');
    expect(await count('SELECT count() FROM fct_trips')).toBeGreaterThan(0);
    await shoot(page, '5-sql-lab-refused');

    await setSql(page, 'SELECT count() FROM numbers(1e13) WHERE sipHash64(number) % 7 = 3');
    await page.keyboard.press('Control+Enter');
    await page.locator('.result[data-state=running]').waitFor();
    await page.waitForTimeout(500);
    const cancelled = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect
      .poll(() => page.locator('.result[data-state=error]').textContent())
      .toContain('query cancelled');
    expect(Date.now() - cancelled).toBeLessThan(10_000);

    await page.locator('.history summary').click();
    const history = await page.locator('.history li').allTextContents();
    expect(history.length).toBeGreaterThanOrEqual(3);
    expect(history.join('\n')).toContain('DROP TABLE fct_trips');
    await context.close();
  });

  it('lets an editor save a query as a chart of a new dashboard, which then renders', async () => {
    const password = 'editor password';
    await addUser('eve', password, 'editor');
    const { context, page } = await signedIn('eve', password);
    await page.goto(`${info.url}/#/sql`);
    await setSql(
      page,
      'SELECT pu_borough AS borough, count() AS trips FROM fct_trips GROUP BY borough ORDER BY trips DESC',
    );
    await page.keyboard.press('Control+Enter');
    await page.locator('.result[data-state=done] table').waitFor();
    await page.getByRole('button', { name: 'Save as chart' }).click();
    const dialog = page.getByRole('form', { name: 'save as chart' });
    await dialog.locator('input[name=dashboard]').fill('ops');
    await dialog.locator('input[name=dashboard-title]').fill('Operations');
    await dialog.locator('input[name=name]').fill('trips_by_borough');
    await dialog.locator('input[name=title]').fill('Trips by borough');
    await dialog.locator('select[name=type]').selectOption('bar');
    await dialog.locator('select[name=x]').selectOption('borough');
    await dialog.locator('select[name=y]').selectOption('trips');
    await shoot(page, '6-save-chart');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.url()).toContain('#/d/ops');
    expect(await chartStates(page, 'ops')).toEqual({
      trips_by_borough: expect.stringMatching(/^ready:[1-9]/) as string,
    });
    expect((await dataPixels(page)).trips_by_borough).toBeGreaterThan(50);
    expect(fs.readFileSync(path.join(dashboards, 'ops.yaml'), 'utf8')).toContain('name: trips_by_borough');
    await shoot(page, '7-saved-chart');
    await context.close();
  });

  it('keeps a viewer to viewing: no admin page, no saving, and the API says the same', async () => {
    const password = 'viewer password';
    await addUser('vic', password, 'viewer');
    const { context, page } = await signedIn('vic', password);
    expect(await page.locator('nav.top a').allTextContents()).not.toContain('Users');
    await page.goto(`${info.url}/#/admin/users`);
    await expect
      .poll(() => page.locator('[data-page=forbidden]').textContent())
      .toContain('needs the admin role');
    await shoot(page, '8-viewer-forbidden');
    const api = await page.evaluate(async () => {
      const users = await fetch('/api/users');
      const save = await fetch('/api/dashboards/fleet/charts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chart: { name: 'x', title: 'x', type: 'table', sql: 'SELECT 1' } }),
      });
      return [users.status, save.status];
    });
    expect(api).toEqual([403, 403]);
    await page.goto(`${info.url}/#/sql`);
    await page.locator('.cm-content').waitFor();
    expect(await page.getByRole('button', { name: 'Save as chart' }).count()).toBe(0);
    await context.close();
  });

  it('lets the admin add a user, change her role, set her password and remove her on the users page', async () => {
    const { context, page } = await signedIn('admin', adminPassword);
    await page.goto(`${info.url}/#/admin/users`);
    const form = page.getByRole('form', { name: 'add user' });
    await form.getByPlaceholder('name').fill('nora');
    await form.getByPlaceholder(/password/).fill('a long password');
    await form.getByLabel('role').selectOption('viewer');
    await form.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => page.locator('.users table').textContent()).toContain('nora');
    const nora = await signedIn('nora', 'a long password');
    expect(await nora.page.locator('[data-user=nora]').textContent()).toContain('viewer');

    await page.getByLabel('role of nora').selectOption('editor');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('nora is now editor');
    // In force at her next request: her page, reloaded, shows the new role without a new sign-in.
    await nora.page.reload();
    await expect.poll(() => nora.page.locator('[data-user=nora]').textContent()).toContain('editor');

    const reset = page.getByRole('form', { name: 'set password' });
    await reset.getByLabel('user').selectOption('nora');
    await reset.getByPlaceholder(/password/).fill('set by the admin');
    await reset.getByRole('button', { name: 'Set password' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('set a new password for nora');
    // Her old session ended with the old password: the app asks her to sign in again.
    await nora.page.reload();
    await nora.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await nora.context.close();

    // She changes it to one of her own on her account page.
    const again = await signedIn('nora', 'set by the admin');
    await again.page.locator('[data-user=nora]').click();
    const account = again.page.getByRole('form', { name: 'change password' });
    await account.getByLabel('Current password').fill('set by the admin');
    await account.getByLabel('New password (8+ characters)').fill('only nora knows');
    await account.getByLabel('New password again').fill('only nora knows');
    await account.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => again.page.getByRole('status').textContent()).toContain('password changed');
    await shoot(again.page, '9-account');
    await again.context.close();

    // The last admin cannot step down, and says why.
    await page.getByLabel('role of admin').selectOption('viewer');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('admin is the last admin');
    expect(await page.getByLabel('role of admin').inputValue()).toBe('admin');
    await shoot(page, '9-users');

    page.once('dialog', (d) => void d.accept());
    await page.locator('[data-user-row=nora]').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('removed nora');
    expect(await page.locator('.users table').textContent()).not.toContain('nora');
    await context.close();
    const gone = await fetch(`${info.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'nora', password: 'only nora knows' }),
    });
    expect(gone.status).toBe(401);
  });

  it('raised no error in any page', () => {
    expect(pageErrors.join('\n')).toBe('');
  });
});

/** Adds a user through the API, as the admin (the UI's own form is tested on the users page). */
async function addUser(name: string, password: string, role: string): Promise<void> {
  const session = await fetch(`${info.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password: adminPassword }),
  });
  const { token } = (await session.json()) as { token: string };
  const res = await fetch(`${info.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name, password, role }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}
