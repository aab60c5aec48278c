import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { SpiffeId } from '../spiffe/spiffe-id.js';
import { ecdsaP256 } from './generate-ec-key-pair.js';
import { randomSerialNumber } from './random-serial-number.js';

/** What an X509-SVID is issued from. */
export interface SvidIssuance {
  issuerCertificatePem: string;
  issuerKeys: webcrypto.CryptoKeyPair;
  subjectPublicKey: webcrypto.CryptoKey;
  spiffeId: SpiffeId;
  validity: { notBefore: Date; notAfter: Date };
}

/**
 * Signs a leaf X509-SVID (PEM) following the SPIFFE X509-SVID profile: the SPIFFE ID as the only
 * URI SAN, critical basicConstraints cA=FALSE, critical keyUsage digitalSignature (EC keys need no
 * keyEncipherment), extKeyUsage serverAuth+clientAuth (the same SVID serves and calls), a random
 * serial, and key identifiers so verifiers can pick the right root during a rotation.
 */
export async function issueX509Svid(issuance: SvidIssuance): Promise<string> {
  const issuer = new x509.X509Certificate(issuance.issuerCertificatePem);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ O: ['Accord'] }],
    issuer: issuer.subjectName,
    notBefore: issuance.validity.notBefore,
    notAfter: issuance.validity.notAfter,
    publicKey: issuance.subjectPublicKey,
    signingKey: issuance.issuerKeys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: issuance.spiffeId.uri }]),
      await x509.SubjectKeyIdentifierExtension.create(issuance.subjectPublicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuance.issuerKeys.publicKey),
    ],
  });
  return certificate.toString('pem');
}
