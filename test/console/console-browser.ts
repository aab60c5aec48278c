import { chromium, type Browser } from 'playwright-core';

/** Where scripts/provision-chromium.sh installs Debian's chromium (npm test runs it). */
export const chromiumPath = '/usr/bin/chromium';

/**
 * Launches Debian's Chromium headless through playwright-core (no browser download: its executable
 * path is given), with a new empty profile (playwright's default) and the flags that keep it from
 * reaching out: this machine's closed network refuses its background connections.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
