import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RotationParties } from '../../lib/contract/announced-rotation.js';
import type { RootActivation } from '../../lib/contract/root-rotation.js';
import { silentLogger } from '../../lib/log/logger.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import {
  startLoopbackDataPlane,
  type DataPlaneZone,
  type LoopbackDataPlane,
  type LoopbackDataPlaneOptions,
} from './loopback-data-plane.js';
import { ContinuousCalls } from './continuous-calls.js';
import { pollUntil } from './poll-until.js';
import { tryActivatePreparedRoot } from './try-activate-prepared-root.js';

/** One direction of cross-zone calls. */
export interface Direction {
  readonly name: string;
  readonly from: DataPlaneZone;
  readonly to: DataPlaneZone;
}

/** How a test file uses its plane: what it calls with and how long a propagation may take. */
export interface LoopbackDataPlaneFixtureOptions {
  /** Temporary directories are named `<directoryPrefix>-XXXXXX`. */
  readonly directoryPrefix: string;
  readonly plane?: LoopbackDataPlaneOptions;
  /** The legacy client's Authorization on every call the waits make. */
  readonly authorization: string;
  /** Bounds each wait for a change to reach the data plane. */
  readonly propagationTimeoutMs: number;
}

/**
 * The waits the data-plane tests share, bound to the file's plane, client credentials and
 * deadline, so each test states only what it waits for. Plain functions, so a test file can
 * destructure them.
 */
export interface LoopbackDataPlaneFixture {
  /** Calls zone B until it answers `expected` (Envoy picks up a new trust bundle within a moment). */
  readonly untilCallZoneB: (expected: number) => Promise<void>;
  /** Starts zone A's calls to zone B, one after the other, each expected to answer 200 (a rotation's traffic). */
  readonly startCallingZoneB: () => ContinuousCalls;
  /** Polls the unforced activation of `parties`' prepared root until it goes through. */
  readonly untilPreparedRootActivated: (parties: RotationParties) => Promise<RootActivation>;
  /** Calls each of `directions` until its status satisfies `answers`; `what` names that in the wait. */
  readonly untilEveryCall: (
    directions: readonly Direction[],
    answers: (status: number) => boolean,
    what: string,
  ) => Promise<void>;
  /**
   * Proposes `id` among the three zones, has every zone approve it and waits until a call answers
   * 200 in each of the six directions: the start of every three-zone rotation test.
   */
  readonly activateAmongThreeZones: (id: string) => Promise<ThreeZones>;
  /** SHA-256 fingerprints, sorted, of the roots `zone`'s provider installed for zone A (its PEM file for Envoy). */
  readonly zoneARootsAt: (zone: DataPlaneZone) => Promise<string[]>;
  /** Waits until `zone` holds exactly `roots` for zone A. */
  readonly untilZoneARootsAt: (zone: DataPlaneZone, roots: readonly string[], what: string) => Promise<void>;
  /** Waits until `zone`'s provider removed its bundle for zone A; `what` names the wait. */
  readonly untilZoneABundleDropped: (
    zone: DataPlaneZone,
    what: string,
    timeoutMs?: number,
    intervalMs?: number,
  ) => Promise<void>;
}

/** The three zones of a plane started with `zoneCount: 3`, and the six directions between them. */
export interface ThreeZones {
  readonly zoneA: DataPlaneZone;
  readonly zoneB: DataPlaneZone;
  readonly zoneC: DataPlaneZone;
  readonly directions: Direction[];
}

/**
 * Starts a loopback data plane before the test file's tests (handing it to `onStarted`) and closes
 * it after them, removing its directories; returns the waits bound to it.
 */
export function useLoopbackDataPlane(
  options: LoopbackDataPlaneFixtureOptions,
  onStarted: (plane: LoopbackDataPlane) => void,
): LoopbackDataPlaneFixture {
  const { authorization, propagationTimeoutMs } = options;
  const directories = new TemporaryDirectories(options.directoryPrefix);
  let plane: LoopbackDataPlane | undefined;
  const started = (): LoopbackDataPlane => {
    if (plane === undefined) throw new Error('the loopback data plane is not started (beforeAll)');
    return plane;
  };

  beforeAll(async () => {
    plane = await startLoopbackDataPlane(await directories.make(), silentLogger, options.plane);
    onStarted(plane);
  }, 120_000);

  afterAll(async () => {
    await plane?.close();
    await directories.removeAll();
  }, 60_000);

  const zoneARootsAt = async (zone: DataPlaneZone): Promise<string[]> => {
    const pem = await readFile(join(zone.bundleDirectory, `${started().zoneA.pki.trustDomain}.pem`), 'utf8');
    return pemToDerList(pem)
      .map((der) => sha256Hex(der))
      .sort();
  };
  /** Every ordered pair of distinct zones: with three zones, six directions. */
  const everyDirection = (): Direction[] => {
    const { zones } = started();
    return zones.flatMap((from) =>
      zones.filter((to) => to !== from).map((to) => ({ name: `${from.name}->${to.name}`, from, to })),
    );
  };
  const untilEveryCall = async (
    directions: readonly Direction[],
    answers: (status: number) => boolean,
    what: string,
  ): Promise<void> => {
    for (const { name, from, to } of directions) {
      await pollUntil(
        `a call ${name} ${what}`,
        async () => (answers((await started().call(from, to, authorization)).status) ? true : undefined),
        propagationTimeoutMs,
        200,
      );
    }
  };

  return {
    untilCallZoneB: async (expected) => {
      await pollUntil(
        `a call to zone B answered ${String(expected)}`,
        async () => ((await started().callZoneB(authorization)).status === expected ? true : undefined),
        propagationTimeoutMs,
        200,
      );
    },
    startCallingZoneB: () => {
      const calls = new ContinuousCalls(() => started().callZoneB(authorization), 200, {
        maxCalls: 20_000,
        maxDurationMs: 180_000,
        pauseMs: 20,
      });
      calls.start();
      return calls;
    },
    untilPreparedRootActivated: (parties) =>
      pollUntil(
        'the prepared root activated',
        () => tryActivatePreparedRoot(parties),
        propagationTimeoutMs,
        200,
      ),
    untilEveryCall,
    activateAmongThreeZones: async (id) => {
      const { zones } = started();
      const [zoneA, zoneB, zoneC] = zones;
      if (zoneA === undefined || zoneB === undefined || zoneC === undefined) throw new Error('three zones');
      await started().activateContract(id, zones);
      const directions = everyDirection();
      await untilEveryCall(directions, (status) => status === 200, 'answered 200');
      return { zoneA, zoneB, zoneC, directions };
    },
    zoneARootsAt,
    untilZoneARootsAt: async (zone, roots, what) => {
      const expected = [...roots].sort().join();
      await pollUntil(
        `${zone.name} ${what}`,
        async () => ((await zoneARootsAt(zone).catch(() => [])).join() === expected ? true : undefined),
        propagationTimeoutMs,
      );
    },
    untilZoneABundleDropped: async (zone, what, timeoutMs = propagationTimeoutMs, intervalMs) => {
      await pollUntil(
        what,
        () =>
          zoneARootsAt(zone).then(
            () => undefined,
            () => true,
          ),
        timeoutMs,
        intervalMs,
      );
    },
  };
}
