import type { KubeCoreApi } from './kube-core-api.js';
import { isKubeStatus, kubeErrorReason, KubeStatus } from './kube-errors.js';

/** A key of a Secret or ConfigMap. */
export interface ObjectKeyReference {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/**
 * What reading a key found: its text, nothing (the object or the key does not exist), or a
 * refusal (403: RBAC does not let this component read it, which the user has to fix, not retry).
 */
export type ObjectKeyRead =
  | { readonly kind: 'found'; readonly value: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'forbidden'; readonly reason: string };

/** The calls the reader makes; a `KubeCoreApi` (deadlines) in production. */
export type ObjectKeyApi = Pick<KubeCoreApi, 'readNamespacedSecret' | 'readNamespacedConfigMap'>;

const forbidden = 403;

/**
 * Reads one key of a Secret (base64 `data`, decoded as UTF-8) or a ConfigMap (`data`, else
 * `binaryData`). Any other failure (timeout, 5xx) is thrown, for the caller to retry.
 */
export async function readObjectKey(
  api: ObjectKeyApi,
  reference: ObjectKeyReference,
): Promise<ObjectKeyRead> {
  const { namespace, name, key } = reference;
  try {
    if (reference.kind === 'Secret') {
      const secret = await api.readNamespacedSecret({ namespace, name });
      const encoded = secret.data?.[key] ?? secret.stringData?.[key];
      if (encoded === undefined) return { kind: 'missing' };
      return { kind: 'found', value: secret.data?.[key] === undefined ? encoded : decode(encoded) };
    }
    const configMap = await api.readNamespacedConfigMap({ namespace, name });
    const text = configMap.data?.[key];
    if (text !== undefined) return { kind: 'found', value: text };
    const binary = configMap.binaryData?.[key];
    return binary === undefined ? { kind: 'missing' } : { kind: 'found', value: decode(binary) };
  } catch (error) {
    if (isKubeStatus(error, KubeStatus.notFound)) return { kind: 'missing' };
    if (isKubeStatus(error, forbidden)) return { kind: 'forbidden', reason: kubeErrorReason(error) };
    throw error;
  }
}

function decode(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}
