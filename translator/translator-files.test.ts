import 'reflect-metadata';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/log/logger.js';
import { renderSpiffeBundle } from '../lib/spiffe/spiffe-bundle.js';
import { createTestZoneCa } from '../test/envoy/envoy-harness.js';
import { hashBasicPassword } from './basic-credentials.js';
import { TranslatorFiles } from './translator-files.js';
import { testZone, type TestZone } from '../test/support/wit-test-fixtures.js';

let directory: string;
let bundleDirectory: string;
let secretsDirectory: string;
let zoneA: TestZone;
let zoneB: TestZone;

beforeAll(async () => {
  [zoneA, zoneB] = await Promise.all([testZone('zone-a.example'), testZone('zone-b.example')]);
});

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-translator-files-'));
  bundleDirectory = join(directory, 'bundles');
  secretsDirectory = join(directory, 'secrets');
  await mkdir(bundleDirectory);
  await mkdir(secretsDirectory);
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const writeBundle = (zone: TestZone) =>
  writeFile(join(bundleDirectory, `${zone.trustDomain}.spiffe.json`), JSON.stringify(zone.bundle));

describe('TranslatorFiles', () => {
  it('answers WIT keys per trust domain from each zone its own file, never merged', async () => {
    await writeBundle(zoneA);
    await writeBundle(zoneB);
    const files = new TranslatorFiles({ bundleDirectory }, silentLogger);
    await files.reload();
    expect(files.witKeys('zone-a.example')).toEqual(zoneA.bundle);
    expect(files.witKeys('zone-b.example')).toEqual(zoneB.bundle);
    expect(files.witKeys('zone-c.example')).toBeUndefined();
    expect(files.isReady()).toBe(true);
  });

  it('keeps an unchanged bundle as the same object across reloads and replaces a changed one', async () => {
    // The verified-WIT cache belongs to the bundle object: kept while the file is the same, gone with a change.
    await writeBundle(zoneA);
    await writeBundle(zoneB);
    const files = new TranslatorFiles({ bundleDirectory }, silentLogger);
    await files.reload();
    const [firstA, firstB] = [files.witKeys('zone-a.example'), files.witKeys('zone-b.example')];
    const rotatedB = await testZone('zone-b.example');
    await writeFile(join(bundleDirectory, 'zone-b.example.spiffe.json'), JSON.stringify(rotatedB.bundle));
    await files.reload();
    expect(files.witKeys('zone-a.example')).toBe(firstA);
    expect(files.witKeys('zone-b.example')).not.toBe(firstB);
    expect(files.witKeys('zone-b.example')).toEqual(rotatedB.bundle);
  });

  it('stops trusting a zone as soon as its bundle file is removed', async () => {
    await writeBundle(zoneA);
    const files = new TranslatorFiles({ bundleDirectory }, silentLogger);
    await files.reload();
    await rm(join(bundleDirectory, 'zone-a.example.spiffe.json'));
    await files.reload();
    expect(files.witKeys('zone-a.example')).toBeUndefined();
  });

  it('leaves out a zone whose bundle file is not a JWK set', async () => {
    await writeFile(join(bundleDirectory, 'zone-a.example.spiffe.json'), '{"keys": 1}');
    const files = new TranslatorFiles({ bundleDirectory }, silentLogger);
    await files.reload();
    expect(files.witKeys('zone-a.example')).toBeUndefined();
  });

  it("keeps Envoy's trust-bundles SDS file in step with the provider's PEM files", async () => {
    const [caA, caC] = await Promise.all([
      createTestZoneCa('zone-a.example'),
      createTestZoneCa('zone-c.example'),
    ]);
    await writeFile(join(bundleDirectory, 'zone-a.example.pem'), caA.rootPem);
    const files = new TranslatorFiles(
      { bundleDirectory, envoySecretsDirectory: secretsDirectory },
      silentLogger,
    );
    await files.reload();
    const secretPath = join(secretsDirectory, 'accord-trust-bundles.yaml');
    expect(await readFile(secretPath, 'utf8')).not.toContain('zone-c.example');
    await writeFile(join(bundleDirectory, 'zone-c.example.pem'), caC.rootPem);
    await files.reload();
    expect(await readFile(secretPath, 'utf8')).toContain('zone-c.example');
  });

  it("trusts the own zone's roots from the PKI next to the partners, for Envoy and for WITs", async () => {
    const [caA, caB] = await Promise.all([
      createTestZoneCa('zone-a.example'),
      createTestZoneCa('zone-b.example'),
    ]);
    let ownRootsPem: string[] = [];
    const files = new TranslatorFiles(
      {
        bundleDirectory,
        envoySecretsDirectory: secretsDirectory,
        ownZone: () => ({ trustDomain: 'zone-b.example', rootsPem: ownRootsPem }),
      },
      silentLogger,
    );
    const secretPath = join(secretsDirectory, 'accord-trust-bundles.yaml');
    // No partner and no own roots yet: nothing to validate with, so nothing is written or trusted.
    await files.reload();
    await expect(readFile(secretPath, 'utf8')).rejects.toThrow('ENOENT');
    expect(files.witKeys('zone-b.example')).toBeUndefined();

    ownRootsPem = [caB.rootPem];
    await files.reload();
    expect(await readFile(secretPath, 'utf8')).toContain('zone-b.example');
    expect(files.witKeys('zone-b.example')?.keys).toEqual(renderSpiffeBundle([caB.rootPem], 0).keys);
    await writeFile(join(bundleDirectory, 'zone-a.example.pem'), caA.rootPem);
    await files.reload();
    const secret = await readFile(secretPath, 'utf8');
    expect(secret).toContain('zone-a.example');
    expect(secret).toContain('zone-b.example');
  });

  it('keeps the last good user file when a new one is invalid, and is not ready before a first good one', async () => {
    const basicUsersFile = join(directory, 'users.yaml');
    await writeFile(basicUsersFile, 'users: [not, a, map]');
    const files = new TranslatorFiles({ bundleDirectory, basicUsersFile }, silentLogger);
    await files.reload();
    expect(files.isReady()).toBe(false);
    await writeFile(basicUsersFile, `users: { alice: "${await hashBasicPassword('wonderland')}" }`);
    await files.reload();
    expect(files.isReady()).toBe(true);
    await writeFile(basicUsersFile, 'users: { alice: plain }');
    await files.reload();
    expect(await files.users()?.verify('alice', 'wonderland')).toBe(true);
  });
});
