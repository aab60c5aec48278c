import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeHttpServer, listenHttpServer } from '../../lib/http/http-server-lifecycle.js';
import { silentLogger } from '../../lib/log/logger.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { startLocalMesh, type LocalMesh } from '../../demo/local-mesh.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { launchChromium } from './console-browser.js';
import { accordctlPath, startConsoleProcess, type ConsoleProcess } from './console-process.js';
import { rawRequest } from './raw-request.js';

// Two zones' consoles (real `accordctl console` processes) against one repository, driven in
// Debian's headless Chromium: zone-a proposes, zone-b sees it live and approves, both show the
// contract Active and the edge in the trust graph, zone-b revokes, both show Revoked. Then the
// attacks: login tokens missing, wrong or reused; a cross-origin POST; a forged Host; a bad PEM.
//
// Screenshots go to $ACCORD_CONSOLE_SCREENSHOTS when set (docs/images/console is where
// docs/console.md shows them from), else to a temporary directory.

const contractId = 'zone-a-zone-b';
const hostileReason = '<img src=x onerror="window.pwned=1">partnership ended';
const wait = { timeout: 20_000 };

describe('accordctl console in a real browser, two zones', () => {
  const directories = new TemporaryDirectories('accord-console-e2e');
  let mesh: LocalMesh;
  let consoleA: ConsoleProcess;
  let consoleB: ConsoleProcess;
  let browser: Browser;
  let context: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  let screenshots: string;
  const pageErrors: string[] = [];
  /** What afterAll stops, newest first: only what beforeAll got to start. */
  const cleanups: (() => Promise<unknown>)[] = [];

  const shoot = async (page: Page, name: string) => {
    await page.screenshot({ path: join(screenshots, `${name}.png`) });
  };
  const watchErrors = (page: Page, zone: string) => {
    page.on('console', (message) => {
      // Refusals the tests provoke are logged as "Failed to load resource" (401, 400, 403); any
      // other error (a CSP violation above all) is not expected.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(`${zone}: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageErrors.push(`${zone}: ${error.message}`));
  };
  /** The session of a page: its cookie and its CSRF token, as an attacker with both would hold them. */
  const sessionOf = async (page: Page, port: number) => {
    const cookies = await page.context().cookies(`http://127.0.0.1:${port}`);
    const cookie = cookies.find((candidate) => candidate.name === `accord-console-${port}`);
    const csrf = await page.evaluate<string | null>("sessionStorage.getItem('accord-console-csrf')");
    return { cookie: `${cookie?.name ?? ''}=${cookie?.value ?? ''}`, csrf: csrf ?? '' };
  };
  const row = (page: Page) => page.locator(`tr[data-contract="${contractId}"]`);

  beforeAll(async () => {
    for (const path of [accordctlPath, join(accordctlPath, '../console/web/console.js')]) {
      if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build' (npm test does)`);
    }
    const directory = await directories.make();
    screenshots = process.env.ACCORD_CONSOLE_SCREENSHOTS ?? join(directory, 'screenshots');
    await mkdir(screenshots, { recursive: true });
    mesh = await startLocalMesh(directory, silentLogger);
    cleanups.unshift(() => mesh.close());
    const [zoneA, zoneB] = mesh.zones;
    [consoleA, consoleB] = await Promise.all([
      startConsoleProcess('console zone-a', [
        '--config',
        zoneA.adminConfigFile,
        '--bundle-dir',
        zoneA.bundleDirectory,
      ]),
      startConsoleProcess('console zone-b', [
        '--config',
        zoneB.adminConfigFile,
        '--bundle-dir',
        zoneB.bundleDirectory,
      ]),
    ]);
    cleanups.unshift(() => Promise.all([consoleA.stop(), consoleB.stop()]));
    browser = await launchChromium();
    cleanups.unshift(() => browser.close());
    // One browser profile for both consoles, as one administrator would have: their session
    // cookies live side by side on 127.0.0.1 (named by port), never overwriting each other.
    context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    pageA = await context.newPage();
    pageB = await context.newPage();
    watchErrors(pageA, 'zone-a');
    watchErrors(pageB, 'zone-b');
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await directories.removeAll();
  }, 60_000);

  it('logs each zone in with its one-time URL, then drops the token from the address bar', async () => {
    await pageA.goto(consoleA.loginUrls()[0] ?? '');
    await pageB.goto(consoleB.loginUrls()[0] ?? '');
    await pageA.getByText('Zone zone-a', { exact: false }).first().waitFor(wait);
    await pageB.getByText('Zone zone-b', { exact: false }).first().waitFor(wait);
    await pageA.getByText('Repository: connected').waitFor(wait);
    expect(pageA.url()).toBe(`${consoleA.origin}/#/contracts`);
    expect(pageB.url()).toBe(`${consoleB.origin}/#/contracts`);
    const names = (await context.cookies()).map((cookie) => cookie.name).sort();
    expect(names).toEqual([`accord-console-${consoleA.port}`, `accord-console-${consoleB.port}`].sort());
  });

  it('sends the security headers on every answer', async () => {
    const page = await rawRequest(consoleA.port, 'GET', '/', { host: `127.0.0.1:${consoleA.port}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain(
      "default-src 'self'; script-src 'self'; style-src 'self'",
    );
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).not.toMatch(/<script>|<style>|style=|https?:\/\/(?!127)/);
  });

  it('refuses a bad PEM in the propose form with a clear message, and proposes nothing', async () => {
    await pageA.goto(`${consoleA.origin}/#/propose`);
    await pageA.getByLabel('Partner zone name').fill('zone-b');
    await pageA.getByLabel('Partner trust domain').fill('zone-b.example');
    await pageA.getByLabel('Root certificate (PEM)').fill('this is not a certificate');
    await pageA.getByRole('button', { name: 'Propose' }).click();
    await pageA
      .getByRole('alert')
      .filter({ hasText: 'The partner root cannot be used: invalid PEM: no "CERTIFICATE" block found' })
      .waitFor(wait);
    const session = await sessionOf(pageA, consoleA.port);
    const refused = await rawRequest(
      consoleA.port,
      'POST',
      '/api/contracts',
      {
        host: `127.0.0.1:${consoleA.port}`,
        origin: consoleA.origin,
        cookie: session.cookie,
        'x-accord-csrf': session.csrf,
        'content-type': 'application/json',
      },
      JSON.stringify({
        id: 'bad',
        partner: { name: 'zone-b', trustDomain: 'zone-b.example', rootPem: 'garbage' },
        approve: false,
      }),
    );
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'participant zone-b: invalid PEM: no "CERTIFICATE" block found',
    });
  });

  it('zone-a proposes and approves; zone-b sees the proposal live, waiting for its approval', async () => {
    const rootPem = await readFile(mesh.zones[1].rootsFile, 'utf8');
    const fingerprint = sha256Hex(pemToDerList(rootPem)[0] ?? new Uint8Array());
    await pageA.goto(`${consoleA.origin}/#/propose`);
    await pageA.getByLabel('Contract id').fill(contractId);
    await pageA.getByLabel('Partner zone name').fill('zone-b');
    await pageA.getByLabel('Partner trust domain').fill('zone-b.example');
    await pageA.getByLabel('Root certificate (PEM)').fill(rootPem);
    await pageA.getByRole('button', { name: 'Check the root' }).click();
    await pageA
      .locator('[data-root-sha256]')
      .filter({ hasText: fingerprint.slice(0, 4) })
      .waitFor(wait);
    await shoot(pageA, 'propose');
    await pageA.getByRole('button', { name: 'Propose' }).click();
    await pageA.waitForURL(`${consoleA.origin}/#/contracts/${contractId}`, wait);
    await pageA.locator('[data-approvals]').filter({ hasText: '1/2' }).waitFor(wait);
    // zone-b's page was opened before the proposal and is never reloaded.
    await row(pageB).getByText('waits for your approval').waitFor(wait);
    expect(await row(pageB).locator('[data-state]').textContent()).toBe('proposed');
    await shoot(pageB, 'contracts-pending');
  });

  it('shows zone-b exactly what its approval signs, then zone-b approves: both show Active and the edge', async () => {
    await pageB.locator(`a[href="#/contracts/${contractId}"]`).click();
    await pageB.getByRole('button', { name: 'Approve as zone-b…' }).click();
    const bytes = await pageB.locator('[data-canonical-bytes]').textContent();
    const preview = JSON.parse(bytes ?? '') as {
      type: string;
      contractId: string;
      participant: string;
      participants: { rootSha256: string }[];
    };
    expect(preview).toMatchObject({
      type: 'accord.dev/contract-approval/v1',
      contractId,
      participant: 'zone-b',
    });
    const roots = await Promise.all(mesh.zones.map((zone) => readFile(zone.rootsFile, 'utf8')));
    expect(preview.participants.map((p) => p.rootSha256)).toEqual(
      roots.map((pem) => sha256Hex(pemToDerList(pem)[0] ?? new Uint8Array())),
    );
    await shoot(pageB, 'approve-confirmation');
    await pageB.getByRole('button', { name: 'Sign and approve' }).click();
    await pageB
      .getByRole('status')
      .filter({ hasText: `contract ${contractId} approved as zone-b (zone-b.example); active` })
      .waitFor(wait);
    for (const [page, origin] of [
      [pageA, consoleA.origin],
      [pageB, consoleB.origin],
    ] as const) {
      await page.goto(`${origin}/#/contracts`);
      await row(page).locator('[data-state]').filter({ hasText: 'active' }).waitFor(wait);
      expect(await row(page).locator('[data-approvals]').textContent()).toBe('2/2');
      await page.goto(`${origin}/#/graph`);
      // Attached, not visible: a vertical line's box is 0 wide, which Playwright calls hidden.
      await page
        .locator('line[data-edge="zone-a.example zone-b.example"][data-state="active"]')
        .waitFor({ ...wait, state: 'attached' });
    }
    await shoot(pageA, 'trust-graph');
  });

  it('shows each zone the partner bundle its provider installed', async () => {
    await pageB.goto(`${consoleB.origin}/#/bundles`);
    await pageB.locator('tr[data-bundle="zone-a.example"]').waitFor(wait);
    await shoot(pageB, 'bundles');
  });

  it('shows the repository admin the verified audit timeline, and zone-b the refusal in words', async () => {
    await pageA.goto(`${consoleA.origin}/#/audit`);
    await pageA
      .locator('[data-verification]')
      .filter({ hasText: 'Verified: hash chain verified from the genesis to entry 3' })
      .waitFor(wait);
    expect(await pageA.locator('li[data-sequence]').count()).toBe(3);
    await shoot(pageA, 'audit-log');
    await pageB.goto(`${consoleB.origin}/#/audit`);
    await pageB
      .getByRole('alert')
      .filter({ hasText: 'The repository refused the audit log: PERMISSION_DENIED' })
      .waitFor(wait);
  });

  it('refuses a cross-origin POST that carries the session cookie, and a forged Origin with the whole session', async () => {
    // A page on another port of 127.0.0.1 is "same-site": the browser sends the console's cookie
    // with its form POST. Only the Origin check stands between it and the revocation.
    const evilServer = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        `<form method="POST" enctype="text/plain" action="${consoleA.origin}/api/contracts/${contractId}/revoke">` +
          `<input name='{"reason":"attack","x":"' value='"}'><button>Win a prize</button></form>`,
      );
    });
    const evilPort = await listenHttpServer(evilServer, '127.0.0.1', 0);
    const evil = await context.newPage();
    try {
      await evil.goto(`http://127.0.0.1:${evilPort}/`);
      // The user clicks the attacker's button: a real cross-site form POST, cookie attached.
      const [answer] = await Promise.all([
        evil.waitForResponse((response) => response.request().method() === 'POST', wait),
        evil.getByRole('button', { name: 'Win a prize' }).click(),
      ]);
      expect(answer.url()).toBe(`${consoleA.origin}/api/contracts/${contractId}/revoke`);
      expect((await answer.request().allHeaders()).cookie).toContain(`accord-console-${consoleA.port}=`);
      expect(answer.status()).toBe(403);
      expect(await answer.json()).toEqual({
        code: 'PERMISSION_DENIED',
        message: `cross-origin request refused: Origin "http://127.0.0.1:${evilPort}" is not ${consoleA.origin}`,
      });
    } finally {
      await evil.close();
      await closeHttpServer(evilServer);
    }
    const session = await sessionOf(pageA, consoleA.port);
    const forged = await rawRequest(
      consoleA.port,
      'POST',
      `/api/contracts/${contractId}/revoke`,
      {
        host: `127.0.0.1:${consoleA.port}`,
        origin: consoleB.origin,
        cookie: session.cookie,
        'x-accord-csrf': session.csrf,
        'content-type': 'application/json',
      },
      '{"reason":"attack"}',
    );
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toEqual({
      code: 'PERMISSION_DENIED',
      message: `cross-origin request refused: Origin "${consoleB.origin}" is not ${consoleA.origin}`,
    });
    const noCsrf = await rawRequest(
      consoleA.port,
      'POST',
      `/api/contracts/${contractId}/revoke`,
      {
        host: `127.0.0.1:${consoleA.port}`,
        origin: consoleA.origin,
        cookie: session.cookie,
        'content-type': 'application/json',
      },
      '{"reason":"attack"}',
    );
    expect(noCsrf.status).toBe(401);
    await pageA.goto(`${consoleA.origin}/#/contracts`);
    expect(await row(pageA).locator('[data-state]').textContent()).toBe('active');
  });

  it('refuses a forged Host header (DNS rebinding) and answers the real one', async () => {
    const rebound = await rawRequest(consoleA.port, 'GET', '/', {
      host: `attacker.example:${consoleA.port}`,
    });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toEqual({
      code: 'MISDIRECTED',
      message: `the console answers only to http://127.0.0.1:${consoleA.port} (Host "attacker.example:${consoleA.port}" refused)`,
    });
    const api = await rawRequest(consoleA.port, 'GET', '/api/events', {
      host: `attacker.example:${consoleA.port}`,
    });
    expect(api.status).toBe(421);
    expect((await rawRequest(consoleA.port, 'GET', '/', { host: `127.0.0.1:${consoleA.port}` })).status).toBe(
      200,
    );
  });

  it('refuses a missing, a wrong and a reused login token; a new URL goes to the console output only', async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    await page.goto(`${consoleA.origin}/`);
    await page
      .getByRole('alert')
      .filter({ hasText: 'Open the login URL that accordctl console printed.' })
      .waitFor(wait);
    await page.goto(`${consoleA.origin}/#login=wrong-token`);
    await page.reload();
    await page
      .getByRole('alert')
      .filter({ hasText: 'login token unknown, expired or already used' })
      .waitFor(wait);
    await page.goto('about:blank');
    await page.goto(consoleA.loginUrls()[0] ?? '');
    await page
      .getByRole('alert')
      .filter({ hasText: 'login token unknown, expired or already used' })
      .waitFor(wait);
    expect(await page.getByText('Zone zone-a').count()).toBe(0);
    const missing = await rawRequest(
      consoleA.port,
      'POST',
      '/api/session',
      { host: `127.0.0.1:${consoleA.port}`, origin: consoleA.origin, 'content-type': 'application/json' },
      '{"token":""}',
    );
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'no login token: open the login URL the console printed',
    });
    // The legitimate path: ask for a new URL; the console prints it (not to the browser); it works once.
    await page.getByRole('button', { name: 'Print a new login URL' }).click();
    await page.getByText('A new login URL was printed where the console runs').waitFor(wait);
    const fresh = await consoleA.nextLoginUrl(1);
    await page.goto('about:blank');
    await page.goto(fresh);
    await page.getByText('Zone zone-a', { exact: false }).first().waitFor(wait);
    await stranger.close();
  });

  it('zone-b revokes with a reason: both show Revoked, the reason as text, the edge gone', async () => {
    await pageB.goto(`${consoleB.origin}/#/contracts/${contractId}`);
    await pageB.getByRole('button', { name: 'Revoke…' }).click();
    await pageB.getByRole('button', { name: 'Revoke contract' }).click();
    await pageB.getByRole('alert').filter({ hasText: 'Give a reason' }).waitFor(wait);
    await pageB.getByLabel('Reason (required').fill(hostileReason);
    await pageB.getByRole('button', { name: 'Revoke contract' }).click();
    await pageB
      .getByRole('status')
      .filter({ hasText: `contract ${contractId} revoked by spiffe://zone-b.example/accord/admin` })
      .waitFor(wait);
    for (const [page, origin] of [
      [pageA, consoleA.origin],
      [pageB, consoleB.origin],
    ] as const) {
      await page.goto(`${origin}/#/contracts`);
      await row(page).locator('[data-state]').filter({ hasText: 'revoked' }).waitFor(wait);
      expect(await row(page).textContent()).toContain(hostileReason);
      expect(await page.evaluate<unknown>('window.pwned')).toBeUndefined();
      await page.goto(`${origin}/#/graph`);
      await page.getByText('No zone trusts another yet.').waitFor(wait);
    }
    await pageA.goto(`${consoleA.origin}/#/contracts/${contractId}`);
    await pageA.locator('[data-reason]').filter({ hasText: hostileReason }).waitFor(wait);
    await shoot(pageA, 'contract-revoked');
  });

  it('fits a narrow window', async () => {
    await pageB.setViewportSize({ width: 420, height: 800 });
    await pageB.goto(`${consoleB.origin}/#/contracts`);
    await row(pageB).waitFor(wait);
    const overflow = await pageB.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(pageB, 'narrow');
  });

  it('met no script error and no Content-Security-Policy violation on the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
