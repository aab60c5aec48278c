import type { HubDurabilityOptions } from './hub-durability.js';
import type { KubeClientImportOptions } from './kube-client-import.js';
import type { KubePropagationOptions } from './kube-propagation.js';
import type { LiveMeshOptions } from './live-mesh.js';
import type { PropagationOptions } from './propagation.js';
import type { RepositoryKubeScaleOptions } from './repository-kube-scale.js';
import type { RepositoryScaleOptions } from './repository-scale.js';
import type { RootRotationOptions } from './root-rotation.js';
import type { TranslatorPathOptions } from './translator-path.js';

/** How big each benchmark runs; `--quick` picks the reduced set. */
export interface BenchSizes {
  readonly propagation: Pick<PropagationOptions, 'zoneCount' | 'changeCount' | 'maxDurationMs'>;
  readonly repository: Omit<RepositoryScaleOptions, 'progress'>;
  readonly repositoryKube: Omit<RepositoryKubeScaleOptions, 'progress'>;
  readonly kubePropagation: Omit<KubePropagationOptions, 'progress'>;
  readonly kubeClientImport: Omit<KubeClientImportOptions, 'progress'>;
  readonly translatorPath: Omit<TranslatorPathOptions, 'progress' | 'cpuTimes'>;
  readonly rootRotation: Omit<RootRotationOptions, 'progress'>;
  readonly hubDurability: Omit<HubDurabilityOptions, 'progress'>;
  readonly liveMesh: Omit<LiveMeshOptions, 'progress'>;
}

/**
 * Issue #2's sizes: 20 zones and at least 100 changes. Issue #13's: the repository with 10,000 and
 * 100,000 active contracts among 100 zones, three runs of 30,000 GetCertificates calls from a zone in 10. Issue
 * #3's: 30 runs across two clusters, operator memory with 1,000 TrustContracts. Issue #4's (and
 * 13's): wrk for 10 s per setup of the translator path with 8 in flight (after 3 s unmeasured)
 * and 5 s with one in flight, three repetitions, 2,000 in-process decisions per direction, 5,000 no-op Checks
 * per concurrency for the ext_authz transport. Issue 11 item 9's: three repository replicas on
 * the Kubernetes store at the production follow interval, one killed with SIGKILL during a burst
 * of 300 operations (60 in quick mode). Issue #13's Kubernetes store: 10,000 contracts (30,000 entry
 * objects, which take minutes to create here; 2,000 in quick mode), three starts. Issue 12's:
 * medians of three fresh live meshes (one in quick mode).
 */
export const fullSizes: BenchSizes = {
  propagation: { zoneCount: 20, changeCount: 100, maxDurationMs: 300_000 },
  repository: {
    totals: [10_000, 100_000],
    zoneCount: 100,
    callerContracts: 10,
    startups: 3,
    calls: 30_000,
    callRuns: 3,
    warmupCalls: 2000,
    concurrency: 16,
    connections: 2,
    maxDurationMs: 120_000,
  },
  repositoryKube: {
    totals: [10_000],
    zoneCount: 100,
    startups: 3,
    createConcurrency: 32,
    snapshotTimeoutMs: 300_000,
  },
  kubePropagation: {
    runs: 30,
    trustContracts: 1000,
    createConcurrency: 8,
    maxDurationMs: 600_000,
    propagationTimeoutMs: 30_000,
    reconcileTimeoutMs: 600_000,
  },
  kubeClientImport: { repetitions: 5 },
  rootRotation: {
    zoneCount: 4,
    rotations: 50,
    emergencies: 20,
    maxDurationMs: 120_000,
    propagationTimeoutMs: 10_000,
  },
  translatorPath: {
    loadSeconds: 10,
    concurrency: 8,
    unloadedSeconds: 5,
    warmupRequests: 50,
    warmupSeconds: 3,
    repetitions: 3,
    decisionIterations: 2000,
    decisionMaxDurationMs: 30_000,
    transportCalls: 5000,
  },
  hubDurability: {
    replicas: 3,
    preparedContracts: 100,
    newProposals: 100,
    killAfterAcknowledged: 100,
    followIntervalMs: 500,
  },
  liveMesh: { runs: 3, timeoutMs: 300_000 },
};

/**
 * Small enough that each benchmark of `npm run bench -- --quick` finishes within about a minute on
 * two cores (kube-propagation spends half of it starting two API servers), except that
 * kube-propagation still creates 1,000 TrustContracts: issue 13's operator memory figure is at
 * 1,000 (`operator-memory-1000`).
 */
export const quickSizes: BenchSizes = {
  propagation: { zoneCount: 6, changeCount: 20, maxDurationMs: 20_000 },
  repository: {
    totals: [10_000],
    zoneCount: 100,
    callerContracts: 10,
    startups: 3,
    calls: 10_000,
    callRuns: 3,
    warmupCalls: 1000,
    concurrency: 16,
    connections: 2,
    maxDurationMs: 30_000,
  },
  repositoryKube: {
    totals: [2_000],
    zoneCount: 100,
    startups: 3,
    createConcurrency: 32,
    snapshotTimeoutMs: 60_000,
  },
  kubePropagation: {
    runs: 10,
    trustContracts: 1000,
    createConcurrency: 8,
    maxDurationMs: 60_000,
    propagationTimeoutMs: 30_000,
    reconcileTimeoutMs: 120_000,
  },
  kubeClientImport: { repetitions: 3 },
  rootRotation: {
    zoneCount: 3,
    rotations: 10,
    emergencies: 5,
    maxDurationMs: 30_000,
    propagationTimeoutMs: 10_000,
  },
  translatorPath: {
    loadSeconds: 3,
    concurrency: 8,
    unloadedSeconds: 2,
    warmupRequests: 20,
    warmupSeconds: 2,
    repetitions: 1,
    decisionIterations: 200,
    decisionMaxDurationMs: 5_000,
    transportCalls: 1000,
  },
  hubDurability: {
    replicas: 3,
    preparedContracts: 20,
    newProposals: 20,
    killAfterAcknowledged: 20,
    followIntervalMs: 500,
  },
  liveMesh: { runs: 1, timeoutMs: 300_000 },
};
