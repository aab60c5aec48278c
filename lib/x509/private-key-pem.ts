import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { InvalidArgumentError, errorMessage } from '../errors/accord-error.js';
import { ecdsaP256 } from './generate-ec-key-pair.js';
import { derToPem, pemToDerList } from './pem.js';

/** Writes a private key as PKCS#8 PEM (`PRIVATE KEY`), the form node:tls, Envoy and openssl read. */
export async function privateKeyToPem(privateKey: webcrypto.CryptoKey): Promise<string> {
  return derToPem(new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', privateKey)), 'PRIVATE KEY');
}

/**
 * Reads an EC P-256 PKCS#8 PEM private key and derives its public key, so a key stored alone on
 * disk can sign again and be matched against its certificate. Throws `InvalidArgumentError` for
 * any other input.
 */
export async function keyPairFromPrivateKeyPem(pem: string): Promise<webcrypto.CryptoKeyPair> {
  const [der] = pemToDerList(pem, 'PRIVATE KEY');
  if (der === undefined) throw new InvalidArgumentError('invalid private key: no PRIVATE KEY block');
  let spki: Buffer;
  try {
    const keyObject = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    if (keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new InvalidArgumentError('the key is not an EC P-256 key');
    }
    spki = createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
  } catch (error) {
    throw new InvalidArgumentError(`invalid private key: ${errorMessage(error)}`);
  }
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', der, ecdsaP256, true, ['sign']),
    webcrypto.subtle.importKey('spki', spki, ecdsaP256, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}
