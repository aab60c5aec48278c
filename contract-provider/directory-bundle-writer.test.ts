import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/log/logger.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import type { DesiredBundles } from './bundle-writer.js';
import { DirectoryBundleWriter } from './directory-bundle-writer.js';
import {
  spiffeBundleRoots,
  witSvidBundleKey,
  type SpiffeBundleDocument,
} from '../lib/spiffe/spiffe-bundle.js';

let b: TestZone;
let c: TestZone;
let directory: string;

beforeAll(async () => {
  [b, c] = await Promise.all([createTestZone('zone-b'), createTestZone('zone-c')]);
});

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-bundles-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function desired(...zones: TestZone[]): DesiredBundles {
  return new Map(zones.map((zone) => [zone.trustDomain, { rootsPem: [zone.rootPem], contractIds: ['ab'] }]));
}

async function readJson<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(join(directory, name), 'utf8')) as T;
}

describe('DirectoryBundleWriter', () => {
  it('writes a PEM file and a SPIFFE bundle per zone and a bundle map naming each zone', async () => {
    const writer = new DirectoryBundleWriter(directory, silentLogger);
    const result = await writer.sync(desired(b, c));
    expect(result).toEqual({ written: [b.trustDomain, c.trustDomain], removed: [] });
    expect((await readdir(directory)).sort()).toEqual([
      'bundle-map.json',
      'zone-b.example.pem',
      'zone-b.example.spiffe.json',
      'zone-c.example.pem',
      'zone-c.example.spiffe.json',
    ]);
    expect(new X509Certificate(await readFile(join(directory, 'zone-b.example.pem'))).fingerprint256).toBe(
      b.root.fingerprint256,
    );
    const bundle = await readJson<SpiffeBundleDocument>('zone-b.example.spiffe.json');
    expect(bundle.spiffe_sequence).toBe(1);
    expect(bundle.keys).toEqual([
      expect.objectContaining({
        kty: 'EC',
        crv: 'P-256',
        use: 'x509-svid',
        x5c: [b.root.raw.toString('base64')],
      }),
      witSvidBundleKey(b.rootPem),
    ]);
    const map = await readJson<Record<string, SpiffeBundleDocument>>('bundle-map.json');
    expect(Object.keys(map)).toEqual([b.trustDomain, c.trustDomain]);
    expect(map[b.trustDomain]).toEqual(bundle);
  });

  it('writes nothing when the installed bundles already match', async () => {
    const writer = new DirectoryBundleWriter(directory, silentLogger);
    await writer.sync(desired(b));
    expect(await writer.sync(desired(b))).toEqual({ written: [], removed: [] });
  });

  it('removes a zone that is no longer trusted and keeps the others', async () => {
    const writer = new DirectoryBundleWriter(directory, silentLogger);
    await writer.sync(desired(b, c));
    expect(await writer.sync(desired(c))).toEqual({ written: [], removed: [b.trustDomain] });
    expect((await readdir(directory)).sort()).toEqual([
      'bundle-map.json',
      'zone-c.example.pem',
      'zone-c.example.spiffe.json',
    ]);
    expect(Object.keys(await readJson<object>('bundle-map.json'))).toEqual([c.trustDomain]);
  });

  it('moves to the next spiffe_sequence when a zone roots change', async () => {
    const writer = new DirectoryBundleWriter(directory, silentLogger);
    await writer.sync(desired(b));
    await writer.sync(new Map([[b.trustDomain, { rootsPem: [b.rootPem, c.rootPem], contractIds: ['ab'] }]]));
    const bundle = await readJson<SpiffeBundleDocument>('zone-b.example.spiffe.json');
    expect(bundle.spiffe_sequence).toBe(2);
    expect(spiffeBundleRoots(bundle)).toEqual([b.root.raw.toString('base64'), c.root.raw.toString('base64')]);
  });

  it('repairs a bundle file that was edited on disk and leaves unrelated files alone', async () => {
    const writer = new DirectoryBundleWriter(directory, silentLogger);
    await writer.sync(desired(b));
    await writeFile(join(directory, 'zone-b.example.pem'), 'tampered');
    await writeFile(join(directory, 'README.txt'), 'not ours');
    expect(await writer.sync(desired(b))).toEqual({ written: [b.trustDomain], removed: [] });
    expect(await readFile(join(directory, 'zone-b.example.pem'), 'utf8')).toBe(b.rootPem);
    expect(await readFile(join(directory, 'README.txt'), 'utf8')).toBe('not ours');
  });
});
