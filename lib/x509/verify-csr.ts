import 'reflect-metadata';
import { createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InvalidArgumentError, errorMessage } from '../errors/accord-error.js';
import { ecdsaP256 } from './generate-ec-key-pair.js';
import { pemToDerList } from './pem.js';

/** The parts of a CSR a CA may use after checking it: only the public key. */
export interface VerifiedCsr {
  publicKey: webcrypto.CryptoKey;
  /** DER SubjectPublicKeyInfo of `publicKey`. */
  spkiDer: Uint8Array;
}

/**
 * Parses a PEM CSR, requires an EC P-256 key and checks the CSR's signature with that key (proof
 * of possession: whoever asks for a certificate holds the private key). Returns only the public
 * key, so no caller can be tempted to read an identity from the subject or SANs. Throws
 * `InvalidArgumentError` naming the problem.
 */
export async function verifyCsr(csrPem: string): Promise<VerifiedCsr> {
  const [der] = pemToDerList(csrPem, 'CERTIFICATE REQUEST');
  if (der === undefined) throw new InvalidArgumentError('invalid CSR: no CERTIFICATE REQUEST block');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (error) {
    throw new InvalidArgumentError(`invalid CSR: cannot be parsed: ${errorMessage(error)}`);
  }
  const spkiDer = new Uint8Array(csr.publicKey.rawData);
  let namedCurve: string | undefined;
  try {
    namedCurve = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' })
      .asymmetricKeyDetails?.namedCurve;
  } catch (error) {
    throw new InvalidArgumentError(`invalid CSR: unreadable public key: ${errorMessage(error)}`);
  }
  if (namedCurve !== 'prime256v1') throw new InvalidArgumentError('invalid CSR: the key must be EC P-256');
  let isSignatureValid: boolean;
  try {
    isSignatureValid = await csr.verify();
  } catch (error) {
    throw new InvalidArgumentError(`invalid CSR: signature cannot be checked: ${errorMessage(error)}`);
  }
  if (!isSignatureValid) {
    throw new InvalidArgumentError('invalid CSR: the signature does not match its public key');
  }
  const publicKey = await webcrypto.subtle.importKey('spki', spkiDer, ecdsaP256, true, ['verify']);
  return { publicKey, spkiDer };
}
