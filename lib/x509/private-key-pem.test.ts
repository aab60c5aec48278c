import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { ecdsaP256, generateEcKeyPair } from './generate-ec-key-pair.js';
import { keyPairFromPrivateKeyPem, privateKeyToPem } from './private-key-pem.js';

describe('privateKeyToPem and keyPairFromPrivateKeyPem', () => {
  it('round-trips an EC P-256 key whose derived public key verifies what the private key signs', async () => {
    const original = await generateEcKeyPair();
    const pem = await privateKeyToPem(original.privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const restored = await keyPairFromPrivateKeyPem(pem);
    const data = new TextEncoder().encode('hello');
    const signature = await webcrypto.subtle.sign(ecdsaP256, restored.privateKey, data);
    expect(await webcrypto.subtle.verify(ecdsaP256, original.publicKey, signature, data)).toBe(true);
    expect(await webcrypto.subtle.verify(ecdsaP256, restored.publicKey, signature, data)).toBe(true);
  });

  it.each([
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    ],
    [
      'a P-384 key',
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    ],
    ['garbage inside the PEM block', '-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n'],
    ['no PEM at all', 'not a key'],
  ])('rejects %s', async (_name, pem) => {
    await expect(keyPairFromPrivateKeyPem(String(pem))).rejects.toThrow(InvalidArgumentError);
  });
});
