import { silentLogger } from '../../lib/log/logger.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { pollUntil } from './poll-until.js';
import { startTwoClusterMesh, type TwoClusterMesh, type TwoClusterMeshOptions } from './two-cluster-mesh.js';

/** How a test file starts its mesh and how long its waits may take. */
export interface TwoClusterMeshFixtureOptions {
  /** Temporary directories are named `<directoryPrefix>-XXXXXX`. */
  readonly directoryPrefix: string;
  /** What the file changes about the mesh (operator replicas, short SVIDs, …). */
  readonly mesh?: Omit<TwoClusterMeshOptions, 'directory' | 'logger'>;
  /** Bounds each `waitFor`. */
  readonly deadlineMs: number;
  /** How often `waitFor` checks; `pollUntil`'s default if unset. */
  readonly pollIntervalMs?: number;
}

/** What the fixture gives a test file besides the mesh itself. */
export interface TwoClusterMeshFixture {
  /** `pollUntil` within the deadline, quoting the operators' last log lines when it expires. */
  readonly waitFor: <T>(what: string, check: () => Promise<T | undefined>) => Promise<T>;
}

/**
 * Starts a two-cluster mesh before the test file's tests (handing it to `onStarted`) and closes it
 * after them, removing its directory: the set-up every two-cluster test file shares.
 */
export function useTwoClusterMesh(
  options: TwoClusterMeshFixtureOptions,
  onStarted: (mesh: TwoClusterMesh) => void,
): TwoClusterMeshFixture {
  const directories = new TemporaryDirectories(options.directoryPrefix);
  let mesh: TwoClusterMesh | undefined;

  beforeAll(async () => {
    mesh = await startTwoClusterMesh({
      ...options.mesh,
      directory: await directories.make(),
      logger: silentLogger,
    });
    onStarted(mesh);
  }, 240_000);

  afterAll(async () => {
    await mesh?.close();
    await directories.removeAll();
  }, 60_000);

  return {
    waitFor: (what, check) => {
      if (mesh === undefined) throw new Error('the two-cluster mesh is not started (beforeAll)');
      return mesh.explained(pollUntil(what, check, options.deadlineMs, options.pollIntervalMs));
    },
  };
}
