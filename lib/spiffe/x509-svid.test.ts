import * as x509 from '@peculiar/x509';
import { X509Certificate, webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { InvalidArgumentError, UnauthenticatedError } from '../errors/accord-error.js';
import { spiffeIdOfCertificate, verifyX509Svid, type TrustBundleSet } from './x509-svid.js';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const now = new Date('2026-03-01T12:00:00Z');
const hourMs = 3_600_000;
const subjectAltNameOid = '2.5.29.17';

interface Issuer {
  certificate: X509Certificate;
  keys: CryptoKeyPair;
  name: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

async function root(trustDomain: string, validTo = new Date(now.getTime() + 1000 * hourMs)): Promise<Issuer> {
  const keys = await keyPair();
  const name = `CN=${trustDomain} root`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date(now.getTime() - hourMs),
    notAfter: validTo,
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: new X509Certificate(Buffer.from(certificate.rawData)), keys, name };
}

interface LeafOptions {
  uris?: string[];
  isCa?: boolean;
  usages?: x509.KeyUsageFlags;
  notBefore?: Date;
  notAfter?: Date;
  extraExtensions?: x509.Extension[];
  /** Leave out basicConstraints and keyUsage (the X509-SVID spec's verifiers do not require them). */
  withoutConstraints?: boolean;
  /** Other subjectAltName entries beside the URIs. */
  otherNames?: { type: 'dns'; value: string }[];
  /** The key the authority key identifier names; the signing key's unless given. */
  authorityKeys?: CryptoKeyPair;
}

async function leaf(issuer: Issuer, options: LeafOptions = {}): Promise<X509Certificate> {
  const keys = await keyPair();
  const uris = options.uris ?? ['spiffe://zone-a.example/workload'];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=workload',
    issuer: issuer.name,
    notBefore: options.notBefore ?? new Date(now.getTime() - hourMs),
    notAfter: options.notAfter ?? new Date(now.getTime() + hourMs),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      ...(options.withoutConstraints === true
        ? []
        : [
            new x509.BasicConstraintsExtension(options.isCa ?? false, undefined, true),
            new x509.KeyUsagesExtension(options.usages ?? x509.KeyUsageFlags.digitalSignature, true),
          ]),
      await x509.AuthorityKeyIdentifierExtension.create((options.authorityKeys ?? issuer.keys).publicKey),
      ...(uris.length > 0
        ? [
            new x509.SubjectAlternativeNameExtension([
              ...(options.otherNames ?? []),
              ...uris.map((value) => ({ type: 'url' as const, value })),
            ]),
          ]
        : []),
      ...(options.extraExtensions ?? []),
    ],
  });
  return new X509Certificate(Buffer.from(certificate.rawData));
}

let zoneA: Issuer;
let zoneB: Issuer;
let zoneC: Issuer;
let bundlesAB: TrustBundleSet;

beforeAll(async () => {
  [zoneA, zoneB, zoneC] = await Promise.all([
    root('zone-a.example'),
    root('zone-b.example'),
    root('zone-c.example'),
  ]);
  bundlesAB = new Map([
    ['zone-a.example', [zoneA.certificate]],
    ['zone-b.example', [zoneB.certificate]],
  ]);
});

describe('spiffeIdOfCertificate', () => {
  it('reads the SPIFFE ID from the single URI SAN', async () => {
    const cert = await leaf(zoneA);
    expect(spiffeIdOfCertificate(cert).uri).toBe('spiffe://zone-a.example/workload');
  });

  it.each([
    ['no URI SAN', { uris: [] }, 'exactly one subjectAltName extension, found 0'],
    ['two URI SANs', { uris: ['spiffe://zone-a.example/a', 'spiffe://zone-a.example/b'] }, 'found 2'],
    ['a URI SAN that is not a SPIFFE ID', { uris: ['https://zone-a.example/a'] }, 'invalid SPIFFE ID'],
    ['an invalid SPIFFE ID', { uris: ['spiffe://Zone-A.example/a'] }, 'invalid SPIFFE ID'],
  ])('rejects a certificate with %s', async (_name, options: LeafOptions, reason) => {
    const cert = await leaf(zoneA, options);
    expect(() => spiffeIdOfCertificate(cert)).toThrow(InvalidArgumentError);
    expect(() => spiffeIdOfCertificate(cert)).toThrow(reason);
  });

  it('rejects a certificate carrying two subjectAltName extensions', async () => {
    const second = new x509.SubjectAlternativeNameExtension([
      { type: 'url', value: 'spiffe://zone-b.example/x' },
    ]);
    const cert = await leaf(zoneA, { extraExtensions: [second] });
    expect(() => spiffeIdOfCertificate(cert)).toThrow('exactly one subjectAltName extension, found 2');
  });
});

describe('verifyX509Svid', () => {
  it.each([
    ['zone-a', 'spiffe://zone-a.example/workload', () => zoneA],
    ['zone-b', 'spiffe://zone-b.example/other', () => zoneB],
  ])('accepts a valid leaf of %s signed by its own root', async (_zone, uri, issuer) => {
    const cert = await leaf(issuer(), { uris: [uri] });
    const verified = verifyX509Svid(cert, bundlesAB, now);
    expect(verified.spiffeId.uri).toBe(uri);
    expect(verified.certificate).toBe(cert);
  });

  it('accepts a leaf signed by any one of several roots of its trust domain (rotation)', async () => {
    const newRoot = await root('zone-a.example');
    const cert = await leaf(newRoot);
    const bundles = new Map([['zone-a.example', [zoneA.certificate, newRoot.certificate]]]);
    expect(verifyX509Svid(cert, bundles, now).spiffeId.trustDomain).toBe('zone-a.example');
  });

  it('rejects a leaf of zone C when only zone A and zone B are trusted', async () => {
    const cert = await leaf(zoneC, { uris: ['spiffe://zone-c.example/workload'] });
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(UnauthenticatedError);
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(
      'no trust bundle for trust domain zone-c.example',
    );
  });

  it('rejects a leaf claiming zone-b that is signed by the trusted root of zone-a (merged-pool attack)', async () => {
    const forged = await leaf(zoneA, { uris: ['spiffe://zone-b.example/workload'] });
    expect(() => verifyX509Svid(forged, bundlesAB, now)).toThrow(
      'not signed by a root of trust domain zone-b.example',
    );
    const genuine = await leaf(zoneB, { uris: ['spiffe://zone-b.example/workload'] });
    expect(verifyX509Svid(genuine, bundlesAB, now).spiffeId.trustDomain).toBe('zone-b.example');
  });

  it.each([
    ['expired', { notAfter: new Date(now.getTime() - 1) }, 'not within its validity period'],
    ['not yet valid', { notBefore: new Date(now.getTime() + 60_000) }, 'not within its validity period'],
    ['a CA', { isCa: true }, 'the certificate is a CA'],
    [
      'allowed to sign certificates',
      { usages: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign },
      'keyCertSign or cRLSign',
    ],
    ['without a URI SAN', { uris: [] }, 'exactly one subjectAltName extension'],
  ])('rejects a leaf that is %s', async (_name, options: LeafOptions, reason) => {
    const cert = await leaf(zoneA, options);
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(UnauthenticatedError);
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(reason);
  });

  it('checks validity and trust on every call, not once per certificate', async () => {
    const cert = await leaf(zoneA, { notAfter: new Date(now.getTime() + 60_000) });
    expect(verifyX509Svid(cert, bundlesAB, now).spiffeId.trustDomain).toBe('zone-a.example');
    expect(() => verifyX509Svid(cert, bundlesAB, new Date(now.getTime() + 120_000))).toThrow(
      'not within its validity period',
    );
    expect(() => verifyX509Svid(cert, new Map([['zone-b.example', [zoneB.certificate]]]), now)).toThrow(
      'no trust bundle for trust domain zone-a.example',
    );
  });

  it('rejects a leaf whose issuing root has expired', async () => {
    const shortRoot = await root('zone-a.example', new Date(now.getTime() - 1));
    const cert = await leaf(shortRoot);
    const bundles = new Map([['zone-a.example', [shortRoot.certificate]]]);
    expect(() => verifyX509Svid(cert, bundles, now)).toThrow(
      'the issuing root is not within its validity period',
    );
  });

  it('rejects a leaf naming a trusted root as its issuer (name and key identifier) that another key signed', async () => {
    const impostor = await root('zone-a.example');
    const cert = await leaf({ ...impostor, certificate: zoneA.certificate }, { authorityKeys: zoneA.keys });
    expect(cert.checkIssued(zoneA.certificate)).toBe(true);
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(
      'X509-SVID rejected: not signed by a root of trust domain zone-a.example',
    );
    expect(verifyX509Svid(await leaf(zoneA), bundlesAB, now).spiffeId.uri).toBe(
      'spiffe://zone-a.example/workload',
    );
  });

  it('rejects a leaf whose issuer name matches a trusted root but whose signature does not', async () => {
    const impostor = await root('zone-a.example');
    const cert = await leaf({ ...impostor, certificate: zoneA.certificate });
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(
      'not signed by a root of trust domain zone-a.example',
    );
  });

  it('accepts a leaf at the first and the last millisecond of its validity and refuses it one beyond', async () => {
    const notBefore = new Date(now.getTime() - 30 * 60_000);
    const notAfter = new Date(now.getTime() + 30 * 60_000);
    const cert = await leaf(zoneA, { notBefore, notAfter });
    for (const inside of [notBefore, notAfter]) {
      expect(verifyX509Svid(cert, bundlesAB, inside).spiffeId.trustDomain).toBe('zone-a.example');
    }
    for (const outside of [notBefore.getTime() - 1, notAfter.getTime() + 1]) {
      expect(() => verifyX509Svid(cert, bundlesAB, new Date(outside))).toThrow(
        'X509-SVID rejected: the certificate is not within its validity period',
      );
    }
  });

  it('reports as its window the part of the validity the leaf and its root share', async () => {
    const inner = await leaf(zoneA, {
      notBefore: new Date(now.getTime() - 30 * 60_000),
      notAfter: new Date(now.getTime() + 30 * 60_000),
    });
    expect(verifyX509Svid(inner, bundlesAB, now)).toMatchObject({
      validFromMs: now.getTime() - 30 * 60_000,
      validUntilMs: now.getTime() + 30 * 60_000,
    });
    const shortRoot = await root('zone-a.example', new Date(now.getTime() + 10 * 60_000));
    const outer = await leaf(shortRoot, { notBefore: new Date(now.getTime() - 2 * hourMs) });
    const bundles = new Map([['zone-a.example', [shortRoot.certificate]]]);
    expect(verifyX509Svid(outer, bundles, now)).toMatchObject({
      validFromMs: now.getTime() - hourMs,
      validUntilMs: now.getTime() + 10 * 60_000,
    });
  });

  it('refuses a leaf whose trust domain has an empty bundle as having no bundle', async () => {
    const cert = await leaf(zoneA);
    expect(() => verifyX509Svid(cert, new Map([['zone-a.example', []]]), now)).toThrow(
      'X509-SVID rejected: no trust bundle for trust domain zone-a.example',
    );
  });

  it('reads the URI SAN of a leaf that also carries a DNS name', async () => {
    const cert = await leaf(zoneA, { otherNames: [{ type: 'dns', value: 'workload.zone-a.example' }] });
    expect(spiffeIdOfCertificate(cert).uri).toBe('spiffe://zone-a.example/workload');
    expect(verifyX509Svid(cert, bundlesAB, now).spiffeId.uri).toBe('spiffe://zone-a.example/workload');
  });

  it('accepts a leaf without basicConstraints and keyUsage, as the X509-SVID verifiers of go-spiffe do', async () => {
    const cert = await leaf(zoneA, { withoutConstraints: true });
    expect(verifyX509Svid(cert, bundlesAB, now).spiffeId.uri).toBe('spiffe://zone-a.example/workload');
  });

  it('refuses a certificate whose subjectAltName cannot be parsed, naming the parse error', async () => {
    const garbled = new x509.Extension(subjectAltNameOid, false, new Uint8Array([0x05, 0x00]));
    const cert = await leaf(zoneA, { uris: [], extraExtensions: [garbled] });
    expect(() => spiffeIdOfCertificate(cert)).toThrow(InvalidArgumentError);
    expect(() => spiffeIdOfCertificate(cert)).toThrow('cannot parse certificate: ');
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(UnauthenticatedError);
    expect(() => verifyX509Svid(cert, bundlesAB, now)).toThrow(
      'X509-SVID rejected: cannot parse certificate: ',
    );
  });
});
