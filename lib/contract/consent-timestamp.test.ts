import { canonicalConsentTimestampBytes, consentSignatureSha256 } from './consent-timestamp.js';

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
});
