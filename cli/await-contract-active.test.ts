import { signApproval } from '../lib/contract/approval-signature.js';
import { FailedPreconditionError, NotFoundError } from '../lib/errors/accord-error.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { InMemoryRepository } from '../test/cli/in-memory-repository.js';
import { ManualTimers } from '../test/support/manual-timers.js';
import { approvedContract, proposedContract, revocationBy } from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import { awaitContractActive, awaitedIn, waitVerdict, WaitTimeoutError } from './await-contract-active.js';

let a: TestZone;
let b: TestZone;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
});

const revoked = (contract: TrustContract): TrustContract => ({
  ...contract,
  state: 'revoked',
  revocation: {
    revokedBy: 'spiffe://zone-b.example/accord/admin',
    revokedAt: new Date(),
    reason: 'ended',
    signed: undefined,
  },
});

describe('waitVerdict', () => {
  it('waits for a proposed contract and is done with an active one whose approvals verify', async () => {
    expect(waitVerdict({ id: 'ab', contract: proposedContract('ab', [a, b]) }).kind).toBe('waiting');
    expect(
      waitVerdict({
        id: 'ab',
        contract: { ...(await approvedContract('ab', [a, b], [a])), state: 'proposed' },
      }).kind,
    ).toBe('waiting');
    expect(waitVerdict({ id: 'ab', contract: await approvedContract('ab', [a, b]) }).kind).toBe('active');
  });

  it.each([
    [
      'revoked',
      () => Promise.resolve({ id: 'ab', contract: revoked(proposedContract('ab', [a, b])) }),
      FailedPreconditionError,
      'contract ab was revoked by spiffe://zone-b.example/accord/admin: ended',
    ],
    [
      'deleted',
      () => Promise.resolve({ id: 'ab', isGone: 'deleted' as const }),
      FailedPreconditionError,
      'contract ab was deleted while waiting for it',
    ],
    [
      'never visible',
      () => Promise.resolve({ id: 'ab', isGone: 'absent' as const }),
      NotFoundError,
      'contract ab not found (or not visible to your zone)',
    ],
    [
      'marked active by the repository with an approval missing',
      async () => ({
        id: 'ab',
        contract: { ...(await approvedContract('ab', [a, b], [a])), state: 'active' as const },
      }),
      FailedPreconditionError,
      'the repository marks contract ab active, but its approvals do not verify here (active: 1 of 2 approvals, waiting for zone-b)',
    ],
  ])('fails for good when the contract was %s', async (_, awaited, errorClass, message) => {
    const verdict = waitVerdict(await awaited());
    expect(verdict).toEqual({ kind: 'failed', error: expect.any(errorClass) as Error });
    if (verdict.kind === 'failed') expect(verdict.error.message).toBe(message);
  });
});

describe('awaitedIn', () => {
  it('finds the contract in a snapshot or a change, notes its absence or deletion, and ignores other contracts', () => {
    const contract = proposedContract('ab', [a, b]);
    expect(awaitedIn('ab', { kind: 'snapshot', contracts: [{ id: 'ab', contract }] })).toEqual({
      id: 'ab',
      contract,
    });
    expect(awaitedIn('ab', { kind: 'snapshot', contracts: [] })).toEqual({ id: 'ab', isGone: 'absent' });
    expect(awaitedIn('ab', { kind: 'change', contract: { id: 'cd', contract } })).toBeUndefined();
    expect(awaitedIn('ab', { kind: 'deleted', id: 'ab', terms: undefined })).toEqual({
      id: 'ab',
      isGone: 'deleted',
    });
    expect(awaitedIn('ab', { kind: 'deleted', id: 'cd', terms: undefined })).toBeUndefined();
  });
});

describe('awaitContractActive', () => {
  /** A repository with contract `ab` approved by zone-a, and a wait on it that has opened its stream. */
  async function waiting() {
    const repository = new InMemoryRepository();
    const timers = new ManualTimers();
    const interruption = new AbortController();
    await repository.create({ id: 'ab', participants: [a.participant, b.participant] });
    const proposed = await repository.get('ab');
    const approvedByA = await repository.approve(
      'ab',
      await signApproval(proposed, 'zone-a', a.admin.signer, new Date()),
    );
    const reads = { get: jest.spyOn(repository, 'get'), list: jest.spyOn(repository, 'list') };
    const result = awaitContractActive(repository, approvedByA, {
      timeoutMs: 60_000,
      timers,
      interrupted: interruption.signal,
    });
    for (let turn = 0; repository.openWatches === 0; turn++) {
      if (turn > 1000) throw new Error('the wait never opened a watch');
      await new Promise(setImmediate);
    }
    return { repository, timers, interruption, result, proposed, reads };
  }

  it('returns once the last approval arrives through the Watch stream, without polling, and closes the stream', async () => {
    const { repository, result, proposed, reads } = await waiting();
    await repository.approve('ab', await signApproval(proposed, 'zone-b', b.admin.signer, new Date()));
    const active = await result;
    expect(active.state).toBe('active');
    expect(active.approvals.map((approval) => approval.participant).sort()).toEqual(['zone-a', 'zone-b']);
    expect(reads.get).not.toHaveBeenCalled();
    expect(reads.list).not.toHaveBeenCalled();
    expect(repository.openWatches).toBe(0);
  });

  it('fails with the revocation, and closes the stream', async () => {
    const { repository, result, proposed } = await waiting();
    await repository.revoke('ab', 'ended', await revocationBy(proposed, a, 'ended'));
    await expect(result).rejects.toThrow(
      new FailedPreconditionError(
        'contract ab was revoked by spiffe://zone-a.example/accord/operator: ended',
      ),
    );
    expect(repository.openWatches).toBe(0);
  });

  it('gives up when the timeout fires, naming whose approval is missing, and closes the stream', async () => {
    const { repository, timers, result } = await waiting();
    timers.fire((delayMs) => delayMs === 60_000);
    await expect(result).rejects.toThrow(
      new WaitTimeoutError(
        'timed out after 60s waiting for contract ab to become active (proposed: 1 of 2 approvals, waiting for zone-b)',
      ),
    );
    expect(repository.openWatches).toBe(0);
  });

  it('stops on Ctrl-C with a CancelledError and closes the stream', async () => {
    const { repository, interruption, result } = await waiting();
    interruption.abort();
    await expect(result).rejects.toThrow(/^interrupted while waiting for contract ab to become active/);
    expect(repository.openWatches).toBe(0);
  });

  it('returns at once, without a watch, when the contract is already active', async () => {
    const repository = new InMemoryRepository();
    const watch = jest.spyOn(repository, 'watch');
    const active = await approvedContract('ab', [a, b]);
    const timers = new ManualTimers();
    await expect(
      awaitContractActive(repository, active, {
        timeoutMs: 1,
        timers,
        interrupted: new AbortController().signal,
      }),
    ).resolves.toBe(active);
    expect(watch).not.toHaveBeenCalled();
    expect(timers.delays()).toEqual([]);
  });
});
