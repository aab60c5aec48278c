import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { createSelfSignedCa } from './create-self-signed-ca.js';
import { generateEcKeyPair } from './generate-ec-key-pair.js';
import { concatenatePems, derToPem, pemToDerList } from './pem.js';

const first = new Uint8Array(Array.from({ length: 100 }, (_, index) => index));
const second = new Uint8Array([1, 2, 3]);

describe('pemToDerList and derToPem', () => {
  it('round-trips DER through PEM with 64-character lines', () => {
    const pem = derToPem(first);
    expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true);
    expect(pemToDerList(pem)).toEqual([first]);
  });

  it('reads several blocks in order and skips blocks with other labels and text between blocks', () => {
    const pem = `subject: test\n${derToPem(first)}${derToPem(second, 'PRIVATE KEY')}\r\n${derToPem(second)}`;
    expect(pemToDerList(pem)).toEqual([first, second]);
    expect(pemToDerList(pem, 'PRIVATE KEY')).toEqual([second]);
  });

  it('reads CRLF line endings', () => {
    expect(pemToDerList(derToPem(first).replace(/\n/g, '\r\n'))).toEqual([first]);
  });

  it.each([
    ['empty input', '', 'no "CERTIFICATE" block found'],
    ['only another label', derToPem(second, 'PRIVATE KEY'), 'no "CERTIFICATE" block found'],
    ['bad base64', '-----BEGIN CERTIFICATE-----\nAB$D\n-----END CERTIFICATE-----\n', 'not valid base64'],
    ['truncated base64', '-----BEGIN CERTIFICATE-----\nABC\n-----END CERTIFICATE-----\n', 'not valid base64'],
    ['an empty body', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', 'not valid base64'],
    ['mismatched labels', '-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n', 'ends with'],
    ['an unterminated block', `${derToPem(first)}-----BEGIN CERTIFICATE-----\nAQID\n`, 'not terminated'],
  ])('rejects %s', (_name, pem, reason) => {
    expect(() => pemToDerList(pem)).toThrow(InvalidArgumentError);
    expect(() => pemToDerList(pem)).toThrow(reason);
  });
});

describe('concatenatePems', () => {
  it('writes roots as generated (no final newline) so that OpenSSL reads every one of them', async () => {
    const root = async (trustDomain: string) =>
      createSelfSignedCa({
        keys: await generateEcKeyPair(),
        trustDomain,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
      });
    const roots = [await root('zone-a.example'), await root('zone-a.example')];
    expect(roots.every((pem) => !pem.endsWith('\n'))).toBe(true);
    const directory = await mkdtemp(join(tmpdir(), 'accord-pem-'));
    try {
      const file = join(directory, 'roots.pem');
      await writeFile(file, concatenatePems(roots));
      const { stdout } = await promisify(execFile)('openssl', ['storeutl', '-certs', file]);
      expect(stdout).toContain('Total found: 2');
      // What a plain join wrote before: OpenSSL finds no certificate at all.
      await writeFile(file, roots.join(''));
      const joined = await promisify(execFile)('openssl', ['storeutl', '-certs', file]).then(
        () => ({ stdout: 'openssl succeeded' }),
        (error: unknown) => ({ stdout: String((error as { stdout?: unknown }).stdout) }),
      );
      expect(joined.stdout).toContain('Total found: 0');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
