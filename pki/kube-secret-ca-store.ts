import type { KubeCoreApi } from '../lib/kube/kube-core-api.js';
import type { V1Secret } from '../lib/kube/kube-objects.js';
import { FailedPreconditionError, UnavailableError } from '../lib/errors/accord-error.js';
import { isKubeStatus, kubeErrorReason, KubeStatus } from '../lib/kube/kube-errors.js';
import { parseCaState, type CaState } from './ca-state.js';
import type { CaStore } from './ca-store.js';

/** The Secret data key holding the whole `CaState` as JSON, private keys included. */
export const caStateSecretKey = 'ca-state.json';

/** Labels the CA Secret is created with, so operators can find it (and back it up). */
export const caSecretLabels: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'accord',
  'app.kubernetes.io/component': 'pki',
};

/** Field manager of every write, so `managedFields` shows who owns the Secret. */
const fieldManager = 'accord-pki';

/** The Secret holding the zone's CA state. */
export interface CaSecretLocation {
  namespace: string;
  name: string;
}

/** The only calls the store makes: tests and callers pass a `KubeCoreApi`. */
export type SecretClient = Pick<
  KubeCoreApi,
  'readNamespacedSecret' | 'createNamespacedSecret' | 'replaceNamespacedSecret'
>;

/**
 * Kubernetes-mode `CaStore`: the CA state lives in one Opaque Secret under `caStateSecretKey`.
 * The API server provides both guarantees the interface asks for: create fails with 409 when the
 * Secret exists (so of several PKIs starting at once exactly one root wins), and an update carrying
 * the `resourceVersion` of an earlier read fails with 409 when anybody wrote in between
 * (compare-and-swap). A Secret that exists but does not hold a valid CA state is reported, never
 * overwritten: it may hold the only copy of the zone's root keys.
 */
export class KubeSecretCaStore implements CaStore {
  readonly #client: SecretClient;
  readonly #location: CaSecretLocation;

  constructor(client: SecretClient, location: CaSecretLocation) {
    this.#client = client;
    this.#location = location;
  }

  async load(): Promise<CaState | undefined> {
    const secret = await this.#read();
    return secret === undefined ? undefined : caStateFromSecret(secret, this.#location);
  }

  async createIfAbsent(state: CaState): Promise<CaState> {
    let created: V1Secret | undefined;
    try {
      created = await this.#client.createNamespacedSecret({
        namespace: this.#location.namespace,
        fieldManager,
        body: newCaSecret(this.#location, state),
      });
    } catch (error) {
      if (!isKubeStatus(error, KubeStatus.conflict)) throw apiFailure('create', this.#location, error);
    }
    const stored = created ?? (await this.#read());
    if (stored === undefined) {
      throw new UnavailableError(`${describe(this.#location)} vanished right after creation`);
    }
    return caStateFromSecret(stored, this.#location);
  }

  async replace(state: CaState, expectedVersion: number): Promise<void> {
    const secret = await this.#read();
    if (secret === undefined) {
      throw new FailedPreconditionError(`${describe(this.#location)} does not exist: no CA state to replace`);
    }
    if (caStateFromSecret(secret, this.#location).version !== expectedVersion) throw concurrentChange();
    // Write back the object just read, resourceVersion included: the API server refuses it if
    // anybody wrote since, and every other key, label and annotation stays as it was.
    secret.data = { ...secret.data, [caStateSecretKey]: encodeCaState(state) };
    try {
      await this.#client.replaceNamespacedSecret({
        name: this.#location.name,
        namespace: this.#location.namespace,
        fieldManager,
        body: secret,
      });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.conflict)) throw concurrentChange();
      throw apiFailure('update', this.#location, error);
    }
  }

  async #read(): Promise<V1Secret | undefined> {
    try {
      return await this.#client.readNamespacedSecret(this.#location);
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
      throw apiFailure('get', this.#location, error);
    }
  }
}

/**
 * Reads the CA state out of its Secret, or says precisely what is wrong with the Secret. The
 * messages name keys and fields only: a JSON parser's message could quote private key material.
 */
export function caStateFromSecret(secret: V1Secret, location: CaSecretLocation): CaState {
  const where = `${describe(location)}, key ${caStateSecretKey}`;
  const encoded = secret.data?.[caStateSecretKey];
  if (encoded === undefined) {
    throw new FailedPreconditionError(`${describe(location)} has no key ${caStateSecretKey}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw new FailedPreconditionError(`${where}: not valid JSON`);
  }
  const state = parseCaState(document);
  if ('problems' in state) {
    throw new FailedPreconditionError(`${where}: not a CA state (${state.problems.join('; ')})`);
  }
  return state;
}

function newCaSecret(location: CaSecretLocation, state: CaState): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: location.name, namespace: location.namespace, labels: { ...caSecretLabels } },
    type: 'Opaque',
    data: { [caStateSecretKey]: encodeCaState(state) },
  };
}

function encodeCaState(state: CaState): string {
  return Buffer.from(JSON.stringify(state, undefined, 2)).toString('base64');
}

function describe(location: CaSecretLocation): string {
  return `Secret ${location.namespace}/${location.name}`;
}

function concurrentChange(): FailedPreconditionError {
  return new FailedPreconditionError('the CA state changed concurrently; reload and retry');
}

/** Any other API failure (forbidden, namespace missing, server down), with the API server's reason. */
function apiFailure(verb: string, location: CaSecretLocation, error: unknown): UnavailableError {
  return new UnavailableError(`cannot ${verb} ${describe(location)} (${kubeErrorReason(error)})`, {
    cause: error,
  });
}
