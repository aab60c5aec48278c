import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../../lib/log/logger.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { startLocalMesh, type LocalMesh } from '../../demo/local-mesh.js';
import { runWalkthrough, type StepResult } from '../../demo/walkthrough.js';

const accordctlPath = resolve(__dirname, '../../dist/cli/main.js');

describe('the local walkthrough (npm start)', () => {
  const directories = new TemporaryDirectories('accord-walkthrough-test');
  let mesh: LocalMesh;
  let results: StepResult[];
  let transcript = '';

  beforeAll(async () => {
    if (!existsSync(accordctlPath))
      throw new Error(`${accordctlPath} is missing: run 'npm run build' (npm test does)`);
    mesh = await startLocalMesh(await directories.make(), silentLogger);
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => (transcript += chunk.toString()));
    results = await runWalkthrough({ mesh, accordctlPath, out });
  }, 90_000);

  afterAll(async () => {
    await mesh.close();
    await directories.removeAll();
  });

  it('goes rejected, still rejected, accepted, rejected — each as expected', () => {
    expect(
      results.map((result) => [result.title, result.isAsExpected, result.happened.split(' ')[0]]),
    ).toEqual([
      ['no contract', true, 'rejected'],
      ['proposed, approved by zone-a only', true, 'rejected'],
      ['approved by both zones', true, 'accepted'],
      ['revoked by zone-b', true, 'rejected'],
    ]);
  });

  it('shows that zone-b itself refused zone-a while there was no active contract', () => {
    expect(results[0]?.happened).toContain(
      'zone-b refused zone-a: client certificate not issued by a trusted root',
    );
  });

  it('lets zone-b see the caller SPIFFE ID of zone-a once both approved', () => {
    expect(results[2]?.happened).toContain('hello spiffe://zone-a.example/demo/client');
  });

  it('prints the accordctl command of every contract step', () => {
    expect(transcript).toContain('$ accordctl contracts propose --id zone-a-zone-b');
    expect(transcript).toContain('$ accordctl contracts approve zone-a-zone-b');
    expect(transcript).toContain('$ accordctl contracts revoke zone-a-zone-b');
  });

  it('leaves neither zone with a bundle for the other after the revocation', async () => {
    const [zoneA, zoneB] = mesh.zones;
    expect((await readdir(zoneA.bundleDirectory)).filter((name) => !name.startsWith('.'))).not.toContain(
      'zone-b.example.pem',
    );
    expect((await readdir(zoneB.bundleDirectory)).filter((name) => !name.startsWith('.'))).not.toContain(
      'zone-a.example.pem',
    );
  });
});
