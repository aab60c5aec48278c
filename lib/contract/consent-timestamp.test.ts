import { generateKeyPairSync } from 'node:crypto';
import {
  canonicalConsentTimestampBytes,
  consentSignatureSha256,
  signConsentTimestamp,
} from './consent-timestamp.js';

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
