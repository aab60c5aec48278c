import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { spiffeIdOf } from '../spiffe/spiffe-id.js';
import { ecdsaP256 } from './generate-ec-key-pair.js';
import { randomSerialNumber } from './random-serial-number.js';

/** What a zone root CA certificate states. */
export interface SelfSignedCaOptions {
  keys: webcrypto.CryptoKeyPair;
  trustDomain: string;
  notBefore: Date;
  notAfter: Date;
  /** Subject CN; defaults to `<trustDomain> root CA`. */
  commonName?: string;
}

/**
 * Creates a zone root CA certificate (PEM): cA=TRUE with pathLen 0 (it signs leaves only),
 * critical keyUsage keyCertSign+cRLSign, a subject key identifier for leaves to point at, and the
 * trust domain's SPIFFE ID as its only URI SAN, as the X509-SVID spec allows for signing certificates.
 */
export async function createSelfSignedCa(options: SelfSignedCaOptions): Promise<string> {
  const trustDomainId = spiffeIdOf(options.trustDomain, '');
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [options.commonName ?? `${options.trustDomain} root CA`] }, { O: ['Accord'] }],
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys: options.keys,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(options.keys.publicKey),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: trustDomainId.uri }]),
    ],
  });
  return certificate.toString('pem');
}
