import { X509Certificate, createPrivateKey, type webcrypto } from 'node:crypto';
import { UsageError } from '../lib/cli/command-line.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { SpiffeId } from '../lib/spiffe/spiffe-id.js';
import { spiffeIdOfCertificate } from '../lib/spiffe/x509-svid.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { keyPairFromPrivateKeyPem } from '../lib/x509/private-key-pem.js';
import type { CliEnvironment } from './cli-environment.js';
import { readInput } from './read-input.js';

/** The caller's SVID as read from `--cert`: the chain to send and the SPIFFE ID it names. */
export interface CallerCertificate {
  chainDer: Uint8Array[];
  leaf: X509Certificate;
  spiffeId: SpiffeId;
}

/** The caller's SVID and its private key: what signs approvals. */
export interface CallerSigner extends CallerCertificate {
  privateKey: webcrypto.CryptoKey;
}

/** Reads `--cert` (`why` completes "--cert is required to …"); a wrong file is a usage error. */
export async function readCallerCertificate(
  env: CliEnvironment,
  certPath: string | undefined,
  why: string,
): Promise<CallerCertificate> {
  if (certPath === undefined)
    throw new UsageError(`--cert is required to ${why} (or cert: in the config file)`);
  return parseCertificate(await readInput(env, certPath));
}

/** Reads `--cert` and `--key` and checks that they belong together. */
export async function readCallerSigner(
  env: CliEnvironment,
  paths: { certPath: string | undefined; keyPath: string | undefined },
  why: string,
): Promise<CallerSigner> {
  const certificate = await readCallerCertificate(env, paths.certPath, why);
  if (paths.keyPath === undefined)
    throw new UsageError(`--key is required to ${why} (or key: in the config file)`);
  const keyPem = await readInput(env, paths.keyPath);
  try {
    const { privateKey } = await keyPairFromPrivateKeyPem(keyPem);
    if (!certificate.leaf.checkPrivateKey(createPrivateKey(keyPem)))
      throw new Error('the key does not belong to the certificate');
    return { ...certificate, privateKey };
  } catch (error) {
    throw new UsageError(`--cert/--key: ${errorMessage(error)}`);
  }
}

function parseCertificate(pem: string): CallerCertificate {
  try {
    const chainDer = pemToDerList(pem);
    const [first] = chainDer;
    if (first === undefined) throw new Error('holds no certificate');
    const leaf = new X509Certificate(first);
    return { chainDer, leaf, spiffeId: spiffeIdOfCertificate(leaf) };
  } catch (error) {
    throw new UsageError(`--cert: ${errorMessage(error)}`);
  }
}
