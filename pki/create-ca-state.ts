import { createSelfSignedCa } from '../lib/x509/create-self-signed-ca.js';
import { generateEcKeyPair } from '../lib/x509/generate-ec-key-pair.js';
import { privateKeyToPem } from '../lib/x509/private-key-pem.js';
import type { CaState, StoredRoot } from './ca-state.js';

/** How long a new root lives, and how far its notBefore is backdated for clock skew. */
export interface RootPolicy {
  rootTtlSeconds: number;
  backdateSeconds: number;
}

/** Creates a fresh root (key and self-signed certificate) for `trustDomain`. */
export async function createRoot(trustDomain: string, now: Date, policy: RootPolicy): Promise<StoredRoot> {
  const keys = await generateEcKeyPair();
  const certificatePem = await createSelfSignedCa({
    keys,
    trustDomain,
    notBefore: new Date(now.getTime() - policy.backdateSeconds * 1000),
    notAfter: new Date(now.getTime() + policy.rootTtlSeconds * 1000),
  });
  return { certificatePem, privateKeyPem: await privateKeyToPem(keys.privateKey) };
}

/** The state of a brand-new zone: one root, sequence 1. */
export async function createCaState(trustDomain: string, now: Date, policy: RootPolicy): Promise<CaState> {
  return { version: 1, sequence: 1, roots: [await createRoot(trustDomain, now, policy)] };
}
