import { readObjectKey, type ObjectKeyApi } from '../../lib/kube/object-key-reader.js';
import { InvalidSpecError, type ReadRoot } from './trust-contract-spec.js';

/**
 * The `readRoot` port over the Kubernetes API: a referenced Secret or ConfigMap key, `undefined`
 * when the object or key does not exist. A reference outside `rootNamespace` (when set) and a 403
 * are user mistakes (`InvalidSpecError`, not retried until something changes): the chart's RBAC
 * lets the operator read roots only there. Anything else is thrown, for the work queue to retry.
 */
export function kubeRootReader(api: ObjectKeyApi, rootNamespace: string | undefined): ReadRoot {
  return async (reference) => {
    const object = `${reference.kind} ${reference.namespace}/${reference.name}`;
    if (rootNamespace !== undefined && reference.namespace !== rootNamespace) {
      throw new InvalidSpecError(
        `${object}: this operator only reads roots from namespace ${rootNamespace}; put the root there`,
      );
    }
    const read = await readObjectKey(api, reference);
    switch (read.kind) {
      case 'found':
        return read.value;
      case 'missing':
        return undefined;
      case 'forbidden':
        throw new InvalidSpecError(`${object}: the operator may not read it (${read.reason})`);
    }
  };
}
