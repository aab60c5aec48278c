import { createHash } from 'node:crypto';
import { InvalidConfigError } from '../lib/config/load-config.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { readTokenFile } from '../lib/identity/token-file.js';
import type { BootstrapTokenGrant } from './local-authenticator.js';
import type { PkiConfig } from './pki-config.js';

/**
 * Reads the configured bootstrap token files once, at start, and keeps only each token's SHA-256
 * (what LocalAuthenticator compares), so no token stays in memory. A file that cannot be read or
 * is empty stops the PKI, naming the field; so does a token two grants share, which would hand
 * one component the other's SPIFFE ID (e.g. the provider's Secret given to the operator too).
 */
export async function readBootstrapTokenGrants(
  tokens: PkiConfig['bootstrapTokens'],
): Promise<BootstrapTokenGrant[]> {
  const grants: BootstrapTokenGrant[] = [];
  for (const [index, { spiffePath, tokenFile }] of tokens.entries()) {
    const field = `bootstrapTokens.${String(index)}.tokenFile`;
    let token: string;
    try {
      token = await readTokenFile(tokenFile);
    } catch (error) {
      throw new InvalidConfigError(
        `invalid configuration: ${field}: cannot read ${tokenFile}: ${errorMessage(error)}`,
      );
    }
    if (token === '') throw new InvalidConfigError(`invalid configuration: ${field}: ${tokenFile} is empty`);
    const tokenSha256 = createHash('sha256').update(token, 'utf8').digest('hex');
    const earlier = grants.findIndex((grant) => grant.tokenSha256 === tokenSha256);
    if (earlier >= 0) {
      throw new InvalidConfigError(
        `invalid configuration: ${field}: ${tokenFile} holds the same token as bootstrapTokens.${String(earlier)}.tokenFile; give each SPIFFE ID path its own token`,
      );
    }
    grants.push({ tokenSha256, spiffePath });
  }
  return grants;
}
