import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TemporaryDirectories } from '../test/support/temporary-directories.js';
import { createTestZone } from '../test/support/test-zone.js';
import { trustBundlePemFileName } from '../lib/bundle/bundle-file-names.js';
import { readTrustBundleDirectory } from './trust-bundle-directory.js';

describe('readTrustBundleDirectory', () => {
  const directories = new TemporaryDirectories('accord-bundles');
  afterAll(() => directories.removeAll());

  it('keeps each trust domain’s roots apart and skips files that are not bundles', async () => {
    const [zoneB, zoneC] = await Promise.all([createTestZone('zone-b'), createTestZone('zone-c')]);
    const directory = await directories.make();
    await writeFile(join(directory, trustBundlePemFileName(zoneB.trustDomain)), zoneB.rootPem);
    await writeFile(join(directory, trustBundlePemFileName(zoneC.trustDomain)), zoneC.rootPem);
    await writeFile(join(directory, 'bundle-map.json'), '{}');
    await writeFile(join(directory, '.zone-d.example.pem.123.tmp'), 'partial');

    const { bundles, unreadable } = await readTrustBundleDirectory(directory);

    expect([...bundles.keys()]).toEqual(['zone-b.example', 'zone-c.example']);
    expect(bundles.get('zone-b.example')?.map((root) => root.fingerprint256)).toEqual([
      zoneB.root.fingerprint256,
    ]);
    expect(unreadable).toEqual([]);
  });

  it('leaves out a zone whose file is not valid PEM and says which file', async () => {
    const directory = await directories.make();
    await writeFile(join(directory, 'zone-b.example.pem'), 'not a certificate');
    const { bundles, unreadable } = await readTrustBundleDirectory(directory);
    expect(bundles.size).toBe(0);
    expect(unreadable).toEqual([{ fileName: 'zone-b.example.pem', reason: expect.any(String) as string }]);
  });

  it('treats a missing directory as trusting no partner', async () => {
    await expect(readTrustBundleDirectory('/nonexistent/accord-bundles')).resolves.toEqual({
      bundles: new Map(),
      unreadable: [],
    });
  });
});
