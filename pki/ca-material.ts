import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  type webcrypto,
} from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { keyPairFromPrivateKeyPem } from '../lib/x509/private-key-pem.js';
import type { CaState } from './ca-state.js';

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
  roots: LoadedRoot[];
  witSigningKey: KeyObject;
  witPublicJwk: JWK;
  /** RFC 7638 thumbprint of the WIT public key: stable, and changes exactly when the key does. */
  witKeyId: string;
}

/** Parses a stored CA state into signing material. */
export async function loadCaMaterial(state: CaState): Promise<CaMaterial> {
  const roots = await Promise.all(
    state.roots.map(async (root) => ({
      certificatePem: root.certificatePem,
      certificate: new X509Certificate(root.certificatePem),
      keys: await keyPairFromPrivateKeyPem(root.privateKeyPem),
      removeFromBundleAfter:
        root.removeFromBundleAfter === undefined ? undefined : new Date(root.removeFromBundleAfter),
    })),
  );
  const witSigningKey = createPrivateKey(state.witSigningKeyPem);
  const witPublicJwk = await exportJWK(createPublicKey(witSigningKey));
  return { state, roots, witSigningKey, witPublicJwk, witKeyId: await calculateJwkThumbprint(witPublicJwk) };
}
