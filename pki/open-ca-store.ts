import { coreApiClient } from '../lib/kube/kube-client.js';
import type { CaStore } from './ca-store.js';
import { FileCaStore } from './file-ca-store.js';
import { KubeSecretCaStore } from './kube-secret-ca-store.js';
import type { CaStoreLocation } from './pki-config.js';

/**
 * The CA store the config selects: the Kubernetes Secret when `caSecret` is set, else the file in
 * `storeDir`. The server and `accord-pki rotate` both open their store here, so they can never
 * look in different places.
 */
export function openCaStore(config: CaStoreLocation): CaStore {
  if (config.caSecret === undefined) return new FileCaStore(config.storeDir);
  const { kubeconfig, ...location } = config.caSecret;
  return new KubeSecretCaStore(coreApiClient(kubeconfig), location);
}
