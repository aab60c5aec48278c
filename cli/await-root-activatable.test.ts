import type { ContractRotationStatus } from '../lib/contract/announced-rotation.js';
import { activationReadiness, readinessProgress } from './await-root-activatable.js';

const now = new Date('2026-12-06T04:00:00Z');
const later = new Date('2026-12-06T04:00:10Z');

function status(contractId: string, isAnnounced: boolean, pendingPartners: string[]): ContractRotationStatus {
  return {
    contractId,
    currentRootSha256: 'a'.repeat(64),
    isAnnounced,
    acknowledgedBy: [],
    pendingPartners,
  };
}

describe('activationReadiness', () => {
  it('never waits for an announcement: waiting would not make one', () => {
    const readiness = activationReadiness(
      [status('ab', true, []), status('ac', false, ['c.example'])],
      undefined,
      now,
      true,
    );
    expect(readiness).toEqual({ kind: 'unannounced', contractIds: ['ac'] });
  });

  it('waits for every partner, naming them per contract, unless forced', () => {
    const statuses = [status('ab', true, ['b.example']), status('ac', true, ['c.example', 'd.example'])];
    const readiness = activationReadiness(statuses, undefined, now, false);
    expect(readinessProgress(readiness)).toBe(
      'waiting for partners to install the prepared root: ab (b.example), ac (c.example, d.example)',
    );
    expect(activationReadiness(statuses, undefined, now, true)).toEqual({ kind: 'ready' });
  });

  it("then waits for the PKI's bound, forced or not", () => {
    const statuses = [status('ab', true, [])];
    expect(activationReadiness(statuses, later, now, false)).toEqual({
      kind: 'awaiting-pki',
      activatableAt: later,
    });
    expect(activationReadiness(statuses, later, now, true).kind).toBe('awaiting-pki');
    expect(activationReadiness(statuses, now, now, false)).toEqual({ kind: 'ready' });
    expect(activationReadiness([], undefined, now, false)).toEqual({ kind: 'ready' });
  });
});
