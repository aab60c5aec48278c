import { X509Certificate, createPrivateKey, type KeyObject, type webcrypto } from 'node:crypto';
import { witSvidBundleKey } from '../lib/spiffe/spiffe-bundle.js';
import { keyPairFromPrivateKeyPem } from '../lib/x509/private-key-pem.js';
import type { CaState, StoredRoot } from './ca-state.js';

/** One root, parsed and ready to sign. */
export interface LoadedRoot {
  certificatePem: string;
  certificate: X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  removeFromBundleAfter: Date | undefined;
}

/** The CA state with keys imported, so requests do not re-parse PEM. */
export interface CaMaterial {
  state: CaState;
  /** `state.roots`, loaded: the signing root first. */
  roots: LoadedRoot[];
  /** `state.nextRoot`, loaded: in the bundle, never signing. */
  nextRoot: LoadedRoot | undefined;
  /** The signing root's key, as WITs are signed (docs/pki.md, "WIT signing"). */
  witSigningKey: KeyObject;
  /** The `kid` of the signing root's `wit-svid` bundle key (its RFC 7638 thumbprint). */
  witKeyId: string;
}

/** Parses a stored CA state into signing material. */
export async function loadCaMaterial(state: CaState): Promise<CaMaterial> {
  const load = async (root: StoredRoot): Promise<LoadedRoot> => ({
    certificatePem: root.certificatePem,
    certificate: new X509Certificate(root.certificatePem),
    keys: await keyPairFromPrivateKeyPem(root.privateKeyPem),
    removeFromBundleAfter:
      root.removeFromBundleAfter === undefined ? undefined : new Date(root.removeFromBundleAfter),
  });
  const roots = await Promise.all(state.roots.map(load));
  const nextRoot = state.nextRoot === undefined ? undefined : await load(state.nextRoot);
  const [signingRoot] = state.roots;
  if (signingRoot === undefined) throw new Error('the CA state has no root');
  return {
    state,
    roots,
    nextRoot,
    witSigningKey: createPrivateKey(signingRoot.privateKeyPem),
    witKeyId: witSvidBundleKey(signingRoot.certificatePem).kid,
  };
}
