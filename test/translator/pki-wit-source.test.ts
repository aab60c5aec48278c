import 'reflect-metadata';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { PkiService } from '../../proto/gen/accord/pki/v1/pki_pb.js';
import { createGrpcClient } from '../../lib/grpc/grpc-client.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import type { HttpRequestMessage } from '../../translator/http-message.js';
import { NonceCache } from '../../translator/nonce-cache.js';
import { PkiWitSource } from '../../translator/pki-wit-source.js';
import { signRequest } from '../../translator/sign-request.js';
import { verifySignedRequest } from '../../translator/verify-signed-request.js';
import { startZonePki, type StartedZonePki } from '../../demo/loopback-zone-pki.js';

// The translator's workload identity from a real zone PKI on loopback: SVID by bootstrap token,
// then IssueWIT over mTLS, and the resulting pair signs requests that zone B verifies with zone
// A's published bundle.
jest.setTimeout(30_000);

const frontendPath = '/ns/shop/sa/frontend';
let directory: string;
let zone: StartedZonePki;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'accord-pki-wit-'));
  zone = await startZonePki({
    directory,
    name: 'zone-a',
    trustDomain: 'zone-a.example',
    spiffePaths: [frontendPath],
    logger: silentLogger,
  });
});

afterAll(async () => {
  await zone.pki.close();
  await rm(directory, { recursive: true, force: true });
});

it("obtains a WIT for the workload's own SPIFFE ID whose key signs requests that verify against the zone's bundle", async () => {
  const source = new PkiWitSource({
    pkiAddress: zone.pkiAddress,
    pkiCaFile: zone.rootsFile,
    bootstrapTokenFile: zone.tokenFile(frontendPath),
    witTtlSeconds: 0,
    clock: systemClock,
    logger: silentLogger,
  });
  await source.start();
  try {
    const credential = source.current();
    if (credential === undefined) throw new Error('no WIT');

    const anonymous = createGrpcClient(PkiService, zone.pkiAddress, {
      caPems: [await readFile(zone.rootsFile, 'utf8')],
    });
    const bundle = JSON.parse((await anonymous.getBundle({})).bundleJson) as JSONWebKeySet;
    anonymous.close();

    const request: HttpRequestMessage = {
      method: 'GET',
      scheme: 'https',
      authority: 'orders.zone-b',
      target: '/orders',
      headers: {},
    };
    const headers = signRequest(
      request,
      { ...credential, clock: systemClock, signatureLifetimeSeconds: 60 },
      { audience: 'spiffe://zone-b.example' },
    );
    const verified = await verifySignedRequest(
      { ...request, headers: { ...headers } },
      {
        witKeys: (trustDomain) => (trustDomain === 'zone-a.example' ? bundle : undefined),
        clock: systemClock,
        clockSkewSeconds: 30,
        expectedAudiences: ['spiffe://zone-b.example'],
        nonceCache: new NonceCache({ maxEntries: 10, clock: systemClock }),
        maxSignatureLifetimeSeconds: 300,
      },
    );
    expect(verified.wit.workload.uri).toBe(`spiffe://zone-a.example${frontendPath}`);
  } finally {
    source.stop();
  }
});
