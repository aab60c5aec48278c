import { webcrypto, X509Certificate } from 'node:crypto';
import { PermissionDeniedError } from '../errors/accord-error.js';
import { parseSpiffeId } from '../spiffe/spiffe-id.js';
import { createSelfSignedCa } from '../x509/create-self-signed-ca.js';
import { generateEcKeyPair } from '../x509/generate-ec-key-pair.js';
import { issueX509Svid } from '../x509/issue-x509-svid.js';
import { sha256Hex } from '../x509/fingerprint.js';
import type { ContractParticipant } from './trust-contract.js';
import { validateProposal } from './validate-proposal.js';
import { verifyApproverCertificate } from './zone-approvers.js';

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
