import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidConfigError } from '../lib/config/load-config.js';
import { TemporaryDirectories } from '../test/support/temporary-directories.js';
import { readBootstrapTokenGrants } from './bootstrap-token-grants.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const directories = new TemporaryDirectories('accord-bootstrap-tokens');
afterAll(() => directories.removeAll());

/** Writes each `[name, content]` into a fresh directory; returns the files' paths by name. */
async function tokenFiles(...files: [string, string][]): Promise<Record<string, string>> {
  const directory = await directories.make();
  const paths: Record<string, string> = {};
  for (const [name, content] of files) {
    paths[name] = join(directory, name);
    await writeFile(join(directory, name), content, { mode: 0o600 });
  }
  return paths;
}

describe('readBootstrapTokenGrants', () => {
  it('keeps only the SHA-256 of each token, without the whitespace a Secret file may add', async () => {
    const files = await tokenFiles(['provider', 'provider-token\n'], ['operator', '  operator-token ']);
    await expect(
      readBootstrapTokenGrants([
        { spiffePath: '/accord/contract-provider', tokenFile: files.provider ?? '' },
        { spiffePath: '/accord/operator', tokenFile: files.operator ?? '' },
      ]),
    ).resolves.toEqual([
      { spiffePath: '/accord/contract-provider', tokenSha256: sha256('provider-token') },
      { spiffePath: '/accord/operator', tokenSha256: sha256('operator-token') },
    ]);
  });

  it('accepts no bootstrap token at all (ServiceAccount tokens and renewals only)', async () => {
    await expect(readBootstrapTokenGrants([])).resolves.toEqual([]);
  });

  it.each([
    [
      'a missing file',
      async () => [{ spiffePath: '/a', tokenFile: join(await directories.make(), 'absent') }],
      /^invalid configuration: bootstrapTokens\.0\.tokenFile: cannot read \/.*absent: .*ENOENT/,
    ],
    [
      'an empty file',
      async () => {
        const files = await tokenFiles(['ok', 'token'], ['empty', '\n']);
        return [
          { spiffePath: '/a', tokenFile: files.ok ?? '' },
          { spiffePath: '/b', tokenFile: files.empty ?? '' },
        ];
      },
      /^invalid configuration: bootstrapTokens\.1\.tokenFile: \/.*empty is empty$/,
    ],
    [
      // One Secret given to the provider and the operator would let either act as the other.
      'one token granting two SPIFFE IDs',
      async () => {
        const files = await tokenFiles(['provider', 'same-token'], ['operator', 'same-token\n']);
        return [
          { spiffePath: '/accord/contract-provider', tokenFile: files.provider ?? '' },
          { spiffePath: '/accord/operator', tokenFile: files.operator ?? '' },
        ];
      },
      /^invalid configuration: bootstrapTokens\.1\.tokenFile: \/.*operator holds the same token as bootstrapTokens\.0\.tokenFile; give each SPIFFE ID path its own token$/,
    ],
  ])('stops the PKI at start on %s, naming the field', async (_case, tokens, message) => {
    const read = readBootstrapTokenGrants(await tokens());
    await expect(read).rejects.toThrow(InvalidConfigError);
    await expect(read).rejects.toThrow(message);
  });
});
