import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Writable } from 'node:stream';
import type { LocalMesh, LocalZone } from './local-mesh.js';
import { callZoneService, type CallOutcome } from './zone-client.js';

const run = promisify(execFile);

/** How long a step may take to reach its expected outcome before it counts as failed. */
const convergenceTimeoutMs = 10_000;
/** How long "still rejected" is watched for after a half-approved proposal. */
const stillRejectedObservationMs = 1_500;
const contractId = 'zone-a-zone-b';

export interface WalkthroughOptions {
  mesh: LocalMesh;
  /** Absolute path of the built `accordctl` entrypoint (dist/cli/main.js). */
  accordctlPath: string;
  out: Writable;
}

export interface StepResult {
  title: string;
  expected: string;
  happened: string;
  isAsExpected: boolean;
}

/**
 * The four-step story of issue #2: zone-a's workload calls zone-b's service (rejected), zone-a
 * proposes and approves a contract (still rejected), zone-b approves (accepted), zone-b revokes
 * (rejected again). Every contract action is a real `accordctl` run; every call is real mTLS.
 */
export async function runWalkthrough(options: WalkthroughOptions): Promise<StepResult[]> {
  const { mesh, out } = options;
  const [zoneA, zoneB] = mesh.zones;
  const results: StepResult[] = [];
  const call = async (): Promise<CallOutcome> => {
    const outcome = await callZoneService(zoneB.service.port, zoneB.trustDomain, zoneA.client());
    const refusal = zoneB.service.lastRefusal();
    // The server's own reason says more than the client's view of a torn-down handshake.
    return outcome.isAccepted || refusal === undefined
      ? outcome
      : { ...outcome, detail: `${zoneB.name} refused ${zoneA.name}: ${refusal}` };
  };
  const accordctl = async (zone: LocalZone, args: readonly string[]) => {
    const argv = [...args, '--config', zone.adminConfigFile];
    out.write(`      $ accordctl ${args.join(' ')}\n`);
    const { stdout } = await run(process.execPath, [options.accordctlPath, ...argv]);
    out.write(indent(stdout));
  };
  const step = (
    title: string,
    expected: string,
    outcome: CallOutcome,
    isAsExpected: boolean,
    elapsed = '',
  ) => {
    const happened = `${outcome.isAccepted ? 'accepted' : 'rejected'}${elapsed} — ${outcome.detail}`;
    results.push({ title, expected, happened, isAsExpected });
    out.write(
      `      expected: ${expected}\n      happened: ${happened}\n      ${isAsExpected ? 'OK' : 'NOT AS EXPECTED'}\n\n`,
    );
  };

  out.write(`[1/4] ${zoneA.name} calls ${zoneB.name}'s service with its SVID; there is no contract\n`);
  {
    const outcome = await call();
    step('no contract', 'rejected', outcome, !outcome.isAccepted);
  }

  out.write(`[2/4] ${zoneA.name} proposes a contract with ${zoneB.name} and approves it\n`);
  await accordctl(
    zoneA,
    [
      'contracts',
      'propose',
      '--id',
      contractId,
      participantFlag(zoneA),
      participantFlag(zoneB),
      '--approve',
    ].flat(),
  );
  {
    const outcome = await stillRejected(call, stillRejectedObservationMs);
    step(
      'proposed, approved by zone-a only',
      `rejected (${zoneB.name} has not approved)`,
      outcome,
      !outcome.isAccepted,
      ` for ${stillRejectedObservationMs} ms`,
    );
  }

  out.write(`[3/4] ${zoneB.name} approves the contract\n`);
  await accordctl(zoneB, ['contracts', 'approve', contractId]);
  {
    const { outcome, elapsedMs } = await waitForOutcome(call, true);
    step(
      'approved by both zones',
      'accepted',
      outcome,
      outcome.isAccepted,
      ` ${elapsedMs} ms after the approval`,
    );
  }

  out.write(`[4/4] ${zoneB.name} revokes the contract\n`);
  await accordctl(zoneB, ['contracts', 'revoke', contractId, '--reason', 'walkthrough: revocation']);
  {
    const { outcome, elapsedMs } = await waitForOutcome(call, false);
    step(
      'revoked by zone-b',
      'rejected (within a second)',
      outcome,
      !outcome.isAccepted,
      ` ${elapsedMs} ms after the revocation`,
    );
  }
  return results;
}

function participantFlag(zone: LocalZone): string[] {
  return ['--participant', `name=${zone.name},trust-domain=${zone.trustDomain},root=${zone.rootsFile}`];
}

/** Calls repeatedly until the call is (or is not) accepted, or the convergence timeout passes. */
async function waitForOutcome(
  call: () => Promise<CallOutcome>,
  isAcceptedWanted: boolean,
): Promise<{ outcome: CallOutcome; elapsedMs: number }> {
  const startedMs = performance.now();
  for (;;) {
    const outcome = await call();
    const elapsedMs = Math.round(performance.now() - startedMs);
    if (outcome.isAccepted === isAcceptedWanted || elapsedMs > convergenceTimeoutMs)
      return { outcome, elapsedMs };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Calls repeatedly for `durationMs`; returns the first accepted outcome, or the last rejection. */
async function stillRejected(call: () => Promise<CallOutcome>, durationMs: number): Promise<CallOutcome> {
  const untilMs = performance.now() + durationMs;
  let outcome = await call();
  while (!outcome.isAccepted && performance.now() < untilMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    outcome = await call();
  }
  return outcome;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `        ${line}\n`)
    .join('');
}
