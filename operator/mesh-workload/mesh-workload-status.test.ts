import {
  desiredMeshWorkloadStatus,
  meshWorkloadReasons,
  meshWorkloadStatusChanged,
  readMeshWorkloadStatus,
} from './mesh-workload-status.js';

const rendered = {
  generation: 3,
  injectedPods: 2,
  ready: true,
  reason: meshWorkloadReasons.configRendered,
  message: 'sidecar config rendered for zone-b.example',
};
const t0 = new Date('2026-11-23T10:00:00.456Z');
const t1 = new Date('2026-11-23T11:00:00Z');

describe('MeshWorkload status', () => {
  it('describes the generation, the injected pods and Ready with its reason', () => {
    expect(desiredMeshWorkloadStatus(rendered, undefined, t0)).toEqual({
      observedGeneration: 3,
      injectedPods: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 3,
          lastTransitionTime: '2026-11-23T10:00:00Z',
          reason: 'ConfigRendered',
          message: 'sidecar config rendered for zone-b.example',
        },
      ],
    });
  });

  it('is unchanged for the same observation later (nothing to write)', () => {
    const first = desiredMeshWorkloadStatus(rendered, undefined, t0);
    const again = desiredMeshWorkloadStatus(rendered, readMeshWorkloadStatus(first), t1);
    expect(meshWorkloadStatusChanged(first, again)).toBe(false);
  });

  it('moves lastTransitionTime only when Ready flips', () => {
    const first = desiredMeshWorkloadStatus(rendered, undefined, t0);
    const morePods = desiredMeshWorkloadStatus({ ...rendered, injectedPods: 3 }, first, t1);
    expect(meshWorkloadStatusChanged(first, morePods)).toBe(true);
    expect(morePods.conditions[0]?.lastTransitionTime).toBe('2026-11-23T10:00:00Z');
    const missing = desiredMeshWorkloadStatus(
      {
        ...rendered,
        ready: false,
        reason: meshWorkloadReasons.secretMissing,
        message: 'Secret x does not exist',
      },
      first,
      t1,
    );
    expect(missing.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'SecretMissing',
      lastTransitionTime: '2026-11-23T11:00:00Z',
    });
  });

  it('reads a status of another shape as none', () => {
    expect(readMeshWorkloadStatus({ phase: 'Ready' })).toBeUndefined();
    expect(readMeshWorkloadStatus(undefined)).toBeUndefined();
  });
});
