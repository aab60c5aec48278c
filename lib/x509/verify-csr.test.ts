import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { createCsr } from './create-csr.js';
import { ecdsaP256, generateEcKeyPair } from './generate-ec-key-pair.js';
import { verifyCsr } from './verify-csr.js';

describe('verifyCsr', () => {
  it('accepts a CSR signed by its own key and returns that public key', async () => {
    const keys = await generateEcKeyPair();
    const verified = await verifyCsr(await createCsr(keys));
    const expected = createPublicKey({ key: Buffer.from(verified.spkiDer), format: 'der', type: 'spki' });
    const actual = createPublicKey({
      key: Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey)),
      format: 'der',
      type: 'spki',
    });
    expect(actual.equals(expected)).toBe(true);
    expect(verified.publicKey.type).toBe('public');
  });

  it('rejects a CSR carrying one key but signed with another (no proof of possession)', async () => {
    const [victim, attacker] = await Promise.all([generateEcKeyPair(), generateEcKeyPair()]);
    const forged = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=forged',
      keys: { publicKey: victim.publicKey, privateKey: attacker.privateKey },
      signingAlgorithm: ecdsaP256,
    });
    await expect(verifyCsr(forged.toString('pem'))).rejects.toThrow(
      'the signature does not match its public key',
    );
  });

  it('rejects a CSR with an RSA key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = {
      publicKey: await crypto.subtle.importKey(
        'spki',
        rsa.publicKey.export({ type: 'spki', format: 'der' }),
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        true,
        ['verify'],
      ),
      privateKey: await crypto.subtle.importKey(
        'pkcs8',
        rsa.privateKey.export({ type: 'pkcs8', format: 'der' }),
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        true,
        ['sign'],
      ),
    };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=rsa',
      keys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    });
    await expect(verifyCsr(csr.toString('pem'))).rejects.toThrow('the key must be EC P-256');
  });

  it.each([
    ['not PEM', 'hello', 'no "CERTIFICATE REQUEST" block'],
    [
      'a PEM block of garbage',
      '-----BEGIN CERTIFICATE REQUEST-----\nAQID\n-----END CERTIFICATE REQUEST-----\n',
      'cannot be parsed',
    ],
  ])('rejects %s', async (_name, pem, reason) => {
    await expect(verifyCsr(pem)).rejects.toThrow(InvalidArgumentError);
    await expect(verifyCsr(pem)).rejects.toThrow(reason);
  });
});
