import type { TrustContractResource } from '../../lib/kube/trust-contract-api.js';
import { isReconcileInputChange } from './trust-contract-controller.js';
import { revokeOnDeleteFinalizer } from './trust-contract-spec.js';

function resource(
  metadata: Partial<TrustContractResource['metadata']>,
  status?: unknown,
): TrustContractResource {
  return {
    metadata: { name: 'ab', resourceVersion: '1', generation: 1, ...metadata },
    spec: { participants: [] },
    ...(status === undefined ? {} : { status }),
  };
}

describe('isReconcileInputChange', () => {
  const created = resource({});
  const finalized = resource({ resourceVersion: '2', finalizers: [revokeOnDeleteFinalizer] });

  it('ignores the echoes of the operator’s own writes: its finalizer added, its status written', () => {
    expect(isReconcileInputChange(created, finalized)).toBe(false);
    const withStatus = resource(
      { resourceVersion: '3', finalizers: [revokeOnDeleteFinalizer] },
      { observedGeneration: 1, conditions: [] },
    );
    expect(isReconcileInputChange(finalized, withStatus)).toBe(false);
  });

  it('reconciles a new spec, a deletion, and its own finalizer removed by someone else', () => {
    expect(isReconcileInputChange(finalized, resource({ ...finalized.metadata, generation: 2 }))).toBe(true);
    expect(
      isReconcileInputChange(
        finalized,
        resource({ ...finalized.metadata, deletionTimestamp: '2026-12-06T01:00:00Z' }),
      ),
    ).toBe(true);
    expect(isReconcileInputChange(finalized, resource({ ...finalized.metadata, finalizers: [] }))).toBe(true);
  });
});
