/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core, against
 * a gateway with real upstreams. Skipped only when no Chromium is installed (`.ci/run` installs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { completionBody } from './support/openai-upstream.ts';

const ADMIN_TOKEN = 'dashboard-admin-token';
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

/** The Chromium binary: the real one behind Debian's wrapper script, or whatever `chromium` is on the PATH. */
function findChromium(): string | undefined {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium']) {
    if (candidate !== undefined && candidate !== '' && existsSync(candidate)) return candidate;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

const executablePath = findChromium();

describe.skipIf(executablePath === undefined)('dashboard in headless Chromium', () => {
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const outsideRequests: string[] = [];

  beforeAll(async () => {
    console.log(`dashboard browser test: Chromium at ${executablePath}`);
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      server: { adminToken: ADMIN_TOKEN },
      router: { circuitBreaker: { consecutiveFailureLimit: 2, failureRateThreshold: 1, openTimeoutMs: 600_000 } },
    });
    browser = await chromium.launch({
      executablePath: executablePath!,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1180, height: 560 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${harness.url}/`)) outsideRequests.push(request.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  it('asks for the token, shows every provider live, turns a failing one open, and disables one', async () => {
    await page.goto(`${harness.url}/dashboard`);
    await page.locator('#token').waitFor({ state: 'visible' });
    expect(await page.locator('#app').isHidden()).toBe(true);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login button[type="submit"]');
    await page.locator('#status.live').waitFor({ timeout: 10_000 });
    const rows = page.locator('tr[data-provider]');
    expect(
      await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-provider'))),
    ).toEqual(['primary', 'secondary']);
    expect(await page.getAttribute('tr[data-provider="primary"]', 'data-circuit-state')).toBe('closed');

    // primary's upstream resets every connection (a provider-wide fault: a 500 would open only that model's
    // circuit): two failures open its circuit; the row follows within 2 s, no reload.
    harness.upstreams.primary!.setDefault({ kind: 'reset' });
    for (let request = 0; request < 4; request += 1) await harness.client.chat.completions.create(userRequest());
    expect(harness.running.router.circuitState('primary')).toBe('open');
    await page.locator('tr[data-provider="primary"][data-circuit-state="open"]').waitFor({ timeout: 2_000 });
    await page.locator('#transitions li', { hasText: 'primary  closed → open' }).waitFor({ timeout: 2_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('dashboard-open-circuit.png', ARTIFACTS).pathname, fullPage: true });

    // The operator resets it (it is healthy again), then disables it: it takes no more traffic.
    harness.upstreams.primary!.setDefault({ kind: 'json', body: completionBody('hello from primary') });
    await page.click('tr[data-provider="primary"] button[data-action="reset"]');
    await page.locator('tr[data-provider="primary"][data-circuit-state="closed"]').waitFor({ timeout: 2_000 });
    await page.click('tr[data-provider="primary"] button[data-action="disable"]');
    await page.locator('tr[data-provider="primary"][data-enabled="false"]').waitFor({ timeout: 2_000 });
    const callsBefore = harness.upstreams.primary!.calls.length;
    for (let request = 0; request < 6; request += 1) {
      const completion = await harness.client.chat.completions.create(userRequest());
      expect(completion.choices[0]?.message.content).toBe('hello from secondary');
    }
    expect(harness.upstreams.primary!.calls.length).toBe(callsBefore);
    expect(harness.running.router.healthStatus().primary?.enabled).toBe(false);
    await page.locator('tr[data-provider="primary"] button[data-action="enable"]').waitFor({ state: 'visible' });

    await page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname, fullPage: true });

    expect(consoleErrors).toEqual([]);
    expect(outsideRequests).toEqual([]);
  }, 60_000);
});
