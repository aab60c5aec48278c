import { sign } from 'node:crypto';
import { approvedContract } from '../../test/support/test-contracts.js';
import { announceRoot } from '../../test/support/test-root-rotation.js';
import { createTestRoot, createTestZone, type TestZone } from '../../test/support/test-zone.js';
import { verifyRootAnnouncement } from '../contract/root-statement-signature.js';
import type { RootAnnouncement } from '../contract/root-rotation.js';
import type { ContractParticipant, TrustContract } from '../contract/trust-contract.js';
import { certificateFromDer, isCertificateIssuedBy, isSignedByCertificateKey } from './signature-verdicts.js';

let a: TestZone;
let mallory: TestZone;

beforeAll(async () => {
  // Mallory's zone has zone A's name and trust domain (so the same certificate names), not its keys.
  [a, mallory] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-a')]);
});

const statement = (sequence: number) =>
  new TextEncoder().encode(JSON.stringify({ trustDomain: 'zone-a.example', sequence }));
const signedByA = (bytes: Uint8Array) =>
  new Uint8Array(sign('sha256', bytes, { key: a.rootKey, dsaEncoding: 'ieee-p1363' }));

describe('isSignedByCertificateKey: a remembered verdict covers exactly what was verified', () => {
  it('refuses a statement differing in one field after the genuine one was remembered', () => {
    const genuine = statement(3);
    const signature = signedByA(genuine);
    expect(isSignedByCertificateKey(a.root, genuine, signature)).toBe(true);
    expect(isSignedByCertificateKey(a.root, genuine, signature)).toBe(true);
    expect(isSignedByCertificateKey(a.root, statement(4), signature)).toBe(false);
    expect(isSignedByCertificateKey(a.root, genuine, signature)).toBe(true);
  });

  it('refuses the genuine bytes and signature for another key with the same names', () => {
    const genuine = statement(5);
    const signature = signedByA(genuine);
    expect(isSignedByCertificateKey(a.root, genuine, signature)).toBe(true);
    expect(isSignedByCertificateKey(mallory.root, genuine, signature)).toBe(false);
  });

  it('refuses a signature with one byte changed, and one that is not 64 bytes', () => {
    const genuine = statement(6);
    const signature = signedByA(genuine);
    expect(isSignedByCertificateKey(a.root, genuine, signature)).toBe(true);
    const flipped = new Uint8Array(signature);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(isSignedByCertificateKey(a.root, genuine, flipped)).toBe(false);
    expect(isSignedByCertificateKey(a.root, genuine, signature.subarray(0, 63))).toBe(false);
  });
});

describe('isCertificateIssuedBy', () => {
  it("refuses a leaf for a root with the issuer's name but another key, after the genuine verdict", () => {
    expect(isCertificateIssuedBy(a.admin.certificate, a.root)).toBe(true);
    expect(isCertificateIssuedBy(a.admin.certificate, a.root)).toBe(true);
    expect(isCertificateIssuedBy(a.admin.certificate, mallory.root)).toBe(false);
    expect(isCertificateIssuedBy(mallory.admin.certificate, a.root)).toBe(false);
  });
});

describe('certificateFromDer', () => {
  it('returns the parsed certificate of exactly these bytes, and refuses a DER with a byte missing', () => {
    const parsed = certificateFromDer(a.rootDer);
    expect(parsed.fingerprint256).toBe(a.root.fingerprint256);
    expect(certificateFromDer(new Uint8Array(a.rootDer))).toBe(parsed);
    expect(certificateFromDer(mallory.rootDer)).not.toBe(parsed);
    expect(() => certificateFromDer(a.rootDer.subarray(0, a.rootDer.byteLength - 1))).toThrow();
  });
});

describe('verifyRootAnnouncement with remembered verdicts', () => {
  let contract: TrustContract;
  let participant: ContractParticipant;
  let genuine: RootAnnouncement;

  beforeAll(async () => {
    const b = await createTestZone('zone-b');
    contract = await approvedContract('ab', [a, b]);
    const found = contract.participants.find((candidate) => candidate.name === 'zone-a');
    if (found === undefined) throw new Error('zone-a is not a participant');
    participant = found;
    genuine = await announceRoot(contract, a, await createTestRoot('zone-a.example'), a.admin, {
      sequence: 3,
    });
  });

  const verify = (announcement: RootAnnouncement) =>
    verifyRootAnnouncement(contract, participant, announcement, participant, [participant]);

  it('refuses the genuine signatures on an announcement with one field changed, after the genuine one verified', async () => {
    expect(verify(genuine).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
    const otherRoot = await createTestRoot('zone-a.example');
    const tampered: RootAnnouncement[] = [
      { ...genuine, sequence: 4 },
      { ...genuine, announcedAt: new Date(genuine.announcedAt.getTime() - 1) },
      { ...genuine, rootPem: otherRoot.rootPem, root: otherRoot.root, rootSha256: otherRoot.rootSha256 },
    ];
    for (const announcement of tampered) {
      expect(() => verify(announcement)).toThrow(
        `root announcement ${announcement.sequence} of zone-a rejected: it is not signed by the key of the root it replaces (${a.rootSha256})`,
      );
    }
    expect(() => verify({ ...genuine, approverSignature: genuine.previousRootSignature })).toThrow(
      "root announcement 3 of zone-a rejected: the approver's signature (spiffe://zone-a.example/accord/admin) does not verify over the canonical bytes",
    );
    expect(verify(genuine).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
  });
});
