import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ecdsaP256 } from './generate-ec-key-pair.js';

/**
 * Builds a PKCS#10 CSR (PEM) signed by `keys`, proving possession of the private key. The zone
 * PKI ignores the subject (identity comes from the authenticated caller), so it is informational.
 */
export async function createCsr(
  keys: webcrypto.CryptoKeyPair,
  subject = 'CN=accord-workload',
): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: ecdsaP256,
  });
  return csr.toString('pem');
}
