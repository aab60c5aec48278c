import { X509Certificate } from 'node:crypto';
import { parseSpiffeBundle } from '../../lib/spiffe/spiffe-bundle.js';
import { spiffeBundleFileName } from '../../lib/bundle/bundle-file-names.js';
import { silentLogger } from '../../lib/log/logger.js';
import { verifyX509Svid } from '../../lib/spiffe/x509-svid.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { ManualClock } from '../support/manual-clock.js';
import { createCsr } from '../../lib/x509/create-csr.js';
import { generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { renderBundleFiles } from '../../contract-provider/bundle-files.js';
import { FileCaStore } from '../../pki/file-ca-store.js';
import { PkiAuthority } from '../../pki/pki-authority.js';
import { verifyWit, type WitKeysByTrustDomain } from '../../translator/verify-wit.js';
import { rejectionReason } from '../support/wit-test-fixtures.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';

// A WIT crosses zones with nothing but the trust contract: zone A's PKI signs it, zone B's
// provider writes zone A's bundle from the root the contract pins, and zone B's translator
// verifies it with that bundle's wit-svid key. No key travels any other way.

const directories = new TemporaryDirectories('accord-partner-wit');
afterAll(() => directories.removeAll());

const clock = new ManualClock(new Date());

async function zonePki(trustDomain: string): Promise<PkiAuthority> {
  return PkiAuthority.open({
    store: new FileCaStore(await directories.make()),
    trustDomain,
    clock,
    svidLifetime: { defaultTtlSeconds: 86_400, maxTtlSeconds: 86_400, backdateSeconds: 60 },
    witLifetime: { defaultTtlSeconds: 300, maxTtlSeconds: 3600 },
    rootPolicy: { rootTtlSeconds: 365 * 86_400, backdateSeconds: 60 },
    bundleRefreshHintSeconds: 300,
    logger: silentLogger,
  });
}

/** A WIT for `path`, issued by `pki` to a workload holding an SVID of its zone. */
async function witFrom(pki: PkiAuthority, path: string): Promise<string> {
  const svid = await pki.signCsr(
    parseSpiffeId(`spiffe://${pki.trustDomain}${path}`),
    await createCsr(await generateEcKeyPair()),
    0,
  );
  const caller = verifyX509Svid(new X509Certificate(svid.certificatePem), pki.trustBundles(), clock.now());
  return (await pki.issueWit(caller, 0)).token;
}

/** What zone B's translator sees: the bundle files zone B's provider writes for these partner roots. */
function receiverTrusting(partners: readonly PkiAuthority[]): WitKeysByTrustDomain {
  const desired = new Map(
    partners.map((pki) => [
      pki.trustDomain,
      { rootsPem: pki.getCa().rootCertificatePems, contractIds: ['c'] },
    ]),
  );
  const files = renderBundleFiles(desired, new Map());
  return (trustDomain) => {
    const text = files.get(spiffeBundleFileName(trustDomain));
    return text === undefined ? undefined : parseSpiffeBundle(text);
  };
}

function rejectionOf(token: string, witKeys: WitKeysByTrustDomain): Promise<string> {
  return rejectionReason(verifyWit(token, { witKeys, clock, clockSkewSeconds: 5 }));
}

describe("a partner zone's WIT, verified with the bundle its contract root gives", () => {
  let zoneA: PkiAuthority;
  let zoneC: PkiAuthority;

  beforeAll(async () => {
    [zoneA, zoneC] = await Promise.all([zonePki('zone-a.example'), zonePki('zone-c.example')]);
  });

  it("verifies zone A's WIT with the provider-written bundle of zone A's root", async () => {
    const token = await witFrom(zoneA, '/ns/shop/sa/frontend');
    const verified = await verifyWit(token, {
      witKeys: receiverTrusting([zoneA]),
      clock,
      clockSkewSeconds: 5,
    });
    expect(verified.workload.uri).toBe('spiffe://zone-a.example/ns/shop/sa/frontend');
  });

  it('refuses a WIT of a zone without a contract, and one a contracted zone signed for another zone', async () => {
    const fromC = await witFrom(zoneC, '/ns/shop/sa/frontend');
    expect(await rejectionOf(fromC, receiverTrusting([zoneA]))).toBe('wit_untrusted_domain');
    // Zone C also has a contract, but its root cannot vouch for a workload of zone A.
    const [, payload, signature] = fromC.split('.');
    const header = JSON.parse(Buffer.from(fromC.split('.')[0] ?? '', 'base64url').toString()) as object;
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const relabelled = [
      Buffer.from(JSON.stringify(header)).toString('base64url'),
      Buffer.from(JSON.stringify({ ...claims, sub: 'spiffe://zone-a.example/ns/shop/sa/frontend' })).toString(
        'base64url',
      ),
      signature,
    ].join('.');
    expect(await rejectionOf(relabelled, receiverTrusting([zoneA, zoneC]))).toBe('wit_unknown_key');
  });
});
