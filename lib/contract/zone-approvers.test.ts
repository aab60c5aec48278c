import { webcrypto, X509Certificate } from 'node:crypto';
import { participantOf } from '../../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { parseSpiffeId } from '../spiffe/spiffe-id.js';
import { createSelfSignedCa } from '../x509/create-self-signed-ca.js';
import { generateEcKeyPair } from '../x509/generate-ec-key-pair.js';
import { issueX509Svid } from '../x509/issue-x509-svid.js';
import { sha256Hex } from '../x509/fingerprint.js';
import type { ContractParticipant } from './trust-contract.js';
import { validateProposal } from './validate-proposal.js';
import { isZoneApprover, verifyApproverCertificate, zoneApproverIds } from './zone-approvers.js';

const hourMs = 60 * 60 * 1000;
const trustDomain = 'zone-a.example';

let participant: ContractParticipant;
let issueAdmin: (subjectKey: webcrypto.CryptoKey) => Promise<Uint8Array>;

async function createRoot(domain: string) {
  const keys = await generateEcKeyPair();
  const pem = await createSelfSignedCa({
    keys,
    trustDomain: domain,
    notBefore: new Date(Date.now() - hourMs),
    notAfter: new Date(Date.now() + 24 * hourMs),
  });
  return { keys, pem, sha256: sha256Hex(new X509Certificate(pem).raw) };
}

beforeAll(async () => {
  // Zones whose roots are P-256, as every Accord PKI makes them; a root signs whatever key it is
  // given, so only the approver check itself stands between a P-384 or RSA signer and consent.
  const [rootA, rootB] = await Promise.all([createRoot(trustDomain), createRoot('zone-b.example')]);
  const { participants } = validateProposal({
    id: 'ab',
    participants: [
      { name: 'zone-a', trustDomain, publicKey: rootA.pem, hash: rootA.sha256 },
      { name: 'zone-b', trustDomain: 'zone-b.example', publicKey: rootB.pem, hash: rootB.sha256 },
    ],
  });
  const zoneA = participants.find((candidate) => candidate.name === 'zone-a');
  if (zoneA === undefined) throw new Error('zone-a is a participant');
  participant = zoneA;
  issueAdmin = async (subjectKey) => {
    const pem = await issueX509Svid({
      issuerCertificatePem: rootA.pem,
      issuerKeys: rootA.keys,
      subjectPublicKey: subjectKey,
      spiffeId: parseSpiffeId(`spiffe://${trustDomain}/accord/admin`),
      validity: { notBefore: new Date(Date.now() - hourMs), notAfter: new Date(Date.now() + hourMs) },
    });
    return new Uint8Array(new X509Certificate(pem).raw);
  };
});

describe('verifyApproverCertificate: the signer key is ECDSA P-256 only', () => {
  it('accepts the zone admin with a P-256 key', async () => {
    const { publicKey } = await generateEcKeyPair();
    const svid = verifyApproverCertificate(
      participant,
      [await issueAdmin(publicKey)],
      new Date(),
      'approval',
    );
    expect(svid.spiffeId.uri).toBe(`spiffe://${trustDomain}/accord/admin`);
  });

  it.each([
    ['ECDSA P-384', { name: 'ECDSA', namedCurve: 'P-384' }, ['sign', 'verify']],
    [
      'RSA-2048',
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      ['sign', 'verify'],
    ],
  ] as const)(
    'refuses the zone admin certified by the zone root with an %s key',
    async (_name, algorithm, usages) => {
      const { publicKey } = await webcrypto.subtle.generateKey(algorithm, true, [...usages]);
      const chain = [await issueAdmin(publicKey)];
      const verify = () => verifyApproverCertificate(participant, chain, new Date(), 'approval');
      expect(verify).toThrow(PermissionDeniedError);
      expect(verify).toThrow('approval rejected: the signer key is not ECDSA P-256');
    },
  );
});

describe('verifyApproverCertificate: the chain, the trust domain and the path', () => {
  let zone: TestZone;
  let other: TestZone;
  let zoneParticipant: ContractParticipant;
  beforeAll(async () => {
    [zone, other] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
    zoneParticipant = participantOf(zone);
  });
  const check = (chain: readonly Uint8Array[], roots?: ContractParticipant[]) => () =>
    verifyApproverCertificate(zoneParticipant, chain, new Date(), 'revocation', roots);

  it('accepts the admin and the operator, alone or followed by the zone root', () => {
    expect(check([zone.admin.certificateDer])().spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
    expect(check([zone.operator.certificateDer, zone.rootDer])().spiffeId.uri).toBe(
      'spiffe://zone-a.example/accord/operator',
    );
  });

  it.each([
    ['an empty chain', () => [], 'revocation.certificate_chain: empty; the signer certificate comes first'],
    [
      'an intermediate',
      () => [zone.admin.certificateDer, zone.rootDer, zone.rootDer],
      'revocation.certificate_chain: at most the signer certificate and the participant root (intermediates are not accepted)',
    ],
    [
      'a certificate over 16 KiB',
      () => [zone.admin.certificateDer, new Uint8Array(16 * 1024 + 1)],
      'revocation.certificate_chain[1]: larger than 16384 bytes',
    ],
    [
      'a signer that is not DER',
      () => [new Uint8Array([1, 2, 3])],
      'revocation.certificate_chain[0]: not a valid DER X.509 certificate',
    ],
  ])('refuses %s as invalid input', (_name, chain, message) => {
    expect(check(chain())).toThrow(InvalidArgumentError);
    expect(check(chain())).toThrow(message);
  });

  it("keeps the parser's error as the cause of a signer that is not DER, for the logs", () => {
    let refused: unknown;
    try {
      check([new Uint8Array([1, 2, 3])])();
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).cause).toHaveProperty('message');
  });

  it('refuses a second certificate that is no root of the participant (16 KiB is not too large)', () => {
    const message =
      'revocation rejected: certificate_chain[1] is not a root of participant zone-a in the contract';
    expect(check([zone.admin.certificateDer, other.rootDer])).toThrow(new PermissionDeniedError(message));
    expect(check([zone.admin.certificateDer, new Uint8Array(16 * 1024)])).toThrow(
      new PermissionDeniedError(message),
    );
  });

  it("refuses the partner's admin, and the zone's own admin against a root list without its root", () => {
    expect(check([other.admin.certificateDer])).toThrow(PermissionDeniedError);
    expect(check([other.admin.certificateDer])).toThrow(
      /^revocation rejected: the signer is not an identity of participant zone-a \(zone-a\.example\) at \d{4}-\d\d-\d\dT[\d:.]+Z: /,
    );
    expect(check([zone.admin.certificateDer], [participantOf(other)])).toThrow(
      /^revocation rejected: the signer is not an identity of participant zone-a/,
    );
  });

  it('refuses a workload of the zone, naming the designated approvers', async () => {
    const web = await zone.issue('/ns/shop/sa/web');
    expect(check([web.certificateDer])).toThrow(
      new PermissionDeniedError(
        'revocation rejected: the signer spiffe://zone-a.example/ns/shop/sa/web is not a designated approver of participant zone-a (only spiffe://zone-a.example/accord/admin, spiffe://zone-a.example/accord/operator)',
      ),
    );
  });
});

describe('zoneApproverIds and isZoneApprover', () => {
  it('names the admin and the operator of a trust domain, and no one else', () => {
    expect(zoneApproverIds('zone-a.example')).toEqual([
      'spiffe://zone-a.example/accord/admin',
      'spiffe://zone-a.example/accord/operator',
    ]);
    expect(isZoneApprover('spiffe://zone-a.example/accord/operator', 'zone-a.example')).toBe(true);
    expect(isZoneApprover('spiffe://zone-b.example/accord/operator', 'zone-a.example')).toBe(false);
    expect(isZoneApprover('spiffe://zone-a.example/accord/pki', 'zone-a.example')).toBe(false);
  });
});
