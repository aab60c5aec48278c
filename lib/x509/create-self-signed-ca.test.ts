import { X509Certificate } from 'node:crypto';
import { createSelfSignedCa } from './create-self-signed-ca.js';
import { generateEcKeyPair } from './generate-ec-key-pair.js';

describe('createSelfSignedCa', () => {
  it('creates a self-signed CA for the trust domain with the requested validity', async () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2027-01-01T00:00:00Z');
    const pem = await createSelfSignedCa({
      keys: await generateEcKeyPair(),
      trustDomain: 'zone-a.example',
      notBefore,
      notAfter,
    });
    const cert = new X509Certificate(pem);
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('URI:spiffe://zone-a.example');
    expect(cert.subject).toContain('CN=zone-a.example root CA');
    expect(new Date(cert.validFrom)).toEqual(notBefore);
    expect(new Date(cert.validTo)).toEqual(notAfter);
  });

  it('rejects an invalid trust domain', async () => {
    const keys = await generateEcKeyPair();
    await expect(
      createSelfSignedCa({ keys, trustDomain: 'Zone-A', notBefore: new Date(), notAfter: new Date() }),
    ).rejects.toThrow('trust domain characters are limited');
  });
});
