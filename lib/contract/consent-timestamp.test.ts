import 'reflect-metadata';
import { KeyObject, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import { PermissionDeniedError } from '../errors/accord-error.js';
import { sha256Hex } from '../x509/fingerprint.js';
import {
  canonicalConsentTimestampBytes,
  consentSignatureSha256,
  signConsentTimestamp,
  verifyConsentTimestamp,
} from './consent-timestamp.js';
import { participantRootChain } from './participant-roots.js';
import type { ContractParticipant } from './trust-contract.js';
import { validateParticipant } from './validate-proposal.js';

// The exact bytes a zone PKI signs to timestamp a consent signature, written out: a wire format
// between every PKI and every verifier (approval-signature.test.ts and
// consent-root-rotation.test.ts check the rules of verifying it).

describe('consent timestamp bytes', () => {
  it('are the tagged trust domain, the SHA-256 of the signature in hex and the time', () => {
    const digest = consentSignatureSha256(new TextEncoder().encode('sig'));
    const bytes = canonicalConsentTimestampBytes(
      'zone-a.example',
      digest,
      new Date('2026-12-06T03:00:00.250Z'),
    );
    expect(new TextDecoder().decode(bytes)).toBe(
      '{"type":"accord.dev/consent-timestamp/v1","trustDomain":"zone-a.example","signatureSha256":"a543997d84f12798350c09bdef2cdb171bf41ed3e4a5f808af2feb0c56263009","time":"2026-12-06T03:00:00.250Z"}',
    );
  });

  it('are signed only over a 32-byte digest', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rootKey = await crypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ format: 'der', type: 'pkcs8' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    await expect(
      signConsentTimestamp(rootKey, 'zone-a.example', new Uint8Array(31), new Date()),
    ).rejects.toThrow('signature_sha256: must be 32 bytes');
    const timestamp = await signConsentTimestamp(
      rootKey,
      'zone-a.example',
      new Uint8Array(32),
      new Date(1.9),
    );
    expect(timestamp.time).toEqual(new Date(1));
    expect(timestamp.signature.byteLength).toBe(64);
  });
});

// Zone PKIs timestamp with ECDSA P-256 roots only, but a proposal may pin any self-signed CA as a
// participant's root. A root of another key type must make that participant's consent refused as
// PERMISSION_DENIED, never make the verification throw: node's verify with an Ed25519 key and a
// SHA-256 digest throws ERR_OSSL_INVALID_DIGEST, and an Ed25519 signature is 64 bytes like a P1363
// P-256 one, so only the key-type check of `isSignedByCertificateKey` keeps it from being tried.
describe('verifyConsentTimestamp with a participant root that is not EC P-256', () => {
  const consentSignature = new TextEncoder().encode('an approval signature');
  const time = new Date('2026-12-06T06:00:00.000Z');
  let zoneA: TestZone;
  let ed25519Root: ContractParticipant;
  let ed25519Key: KeyObject;

  beforeAll(async () => {
    zoneA = await createTestZone('zone-a');
    const algorithm = { name: 'Ed25519' };
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=zone-e.example root CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: algorithm,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    ed25519Key = KeyObject.from(keys.privateKey);
    ed25519Root = validateParticipant(
      {
        name: 'zone-e',
        trustDomain: 'zone-e.example',
        publicKey: certificate.toString('pem'),
        hash: sha256Hex(new Uint8Array(certificate.rawData)),
      },
      'participants[1]',
    );
  });

  const contractWith = (participant: ContractParticipant) => ({
    id: 'ae',
    participants: [validateParticipant(zoneA.participant, 'participants[0]'), participant],
    createdAt: new Date('2026-12-01T00:00:00.000Z'),
    rootRotations: [],
    rootRevocations: [],
  });

  it('refuses a timestamp the Ed25519 root signed as PERMISSION_DENIED naming the participant', () => {
    const chain = participantRootChain(contractWith(ed25519Root), ed25519Root);
    const bytes = canonicalConsentTimestampBytes(
      'zone-e.example',
      consentSignatureSha256(consentSignature),
      time,
    );
    const timestamp = { time, signature: new Uint8Array(sign(null, bytes, ed25519Key)) };
    expect(timestamp.signature.byteLength).toBe(64);
    const check = () => verifyConsentTimestamp(chain, consentSignature, timestamp, 'approval');
    expect(check).toThrow(PermissionDeniedError);
    expect(check).toThrow(
      'approval rejected: its timestamp is not signed by a root of participant zone-e in the contract (its pinned root or a root its verified rotations announced)',
    );
  });

  it("accepts the P-256 root's own timestamp in the same contract, with the roots trusted at its time", async () => {
    const participant = validateParticipant(zoneA.participant, 'participants[0]');
    const chain = participantRootChain(contractWith(ed25519Root), participant);
    const timestamp = await zoneA.timestamper(() => time)(consentSignatureSha256(consentSignature));
    const verified = verifyConsentTimestamp(chain, consentSignature, timestamp, 'approval');
    expect(verified.time).toEqual(time);
    expect(verified.roots.map((root) => root.rootSha256)).toEqual([zoneA.rootSha256]);
  });
});
