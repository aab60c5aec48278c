import type { TrustContract } from '../../lib/contract/trust-contract.js';
import { approvedContract, forgeApproval, proposedContract } from '../../test/support/test-contracts.js';
import { announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import { createTestRoot, createTestZone, type TestZone } from '../../test/support/test-zone.js';
import {
  desiredStatus,
  readTrustContractStatus,
  statusChanged,
  statusEvents,
  type ContractObservation,
  type TrustContractStatus,
} from './trust-contract-status.js';

let a: TestZone;
let b: TestZone;
let c: TestZone;

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
});

const t0 = new Date('2026-03-01T10:00:00.250Z');
const t1 = new Date('2026-03-01T10:05:00.000Z');

function statusOf(
  observation: ContractObservation,
  previous?: TrustContractStatus,
  now = t0,
): TrustContractStatus {
  return desiredStatus(observation, { contractId: 'ab', generation: 2, previous, now });
}

function seen(contract: TrustContract): ContractObservation {
  return { kind: 'contract', contract, localParticipant: 'zone-a' };
}

function reasonsOf(status: TrustContractStatus): Record<string, string> {
  return Object.fromEntries(
    status.conditions.map((condition) => [condition.type, `${condition.status} ${condition.reason}`]),
  );
}

async function approvedByA(): Promise<TrustContract> {
  return approvedContract('ab', [a, b], [a]).then((contract) => ({ ...contract, state: 'proposed' }));
}

describe('desiredStatus', () => {
  it('reports a contract approved by this zone only as Proposed, waiting for the other zone', async () => {
    const status = statusOf(seen(await approvedByA()));
    expect(status).toMatchObject({
      observedGeneration: 2,
      contractId: 'ab',
      state: 'Proposed',
      approvedBy: ['zone-a'],
      approvalSummary: '1/2',
    });
    expect(reasonsOf(status)).toEqual({
      Proposed: 'True ContractProposed',
      Approved: 'True ApprovedByThisZone',
      Active: 'False WaitingForApprovals',
      Revoked: 'False NotRevoked',
    });
    expect(status.conditions.find((condition) => condition.type === 'Active')?.message).toBe(
      'waiting for approvals of zone-b',
    );
    expect(
      status.conditions.every((condition) => condition.lastTransitionTime === '2026-03-01T10:00:00Z'),
    ).toBe(true);
  });

  it('reports a contract whose every approval verifies as Active', async () => {
    const status = statusOf(seen(await approvedContract('ab', [a, b])));
    expect(status).toMatchObject({
      state: 'Active',
      approvedBy: ['zone-a', 'zone-b'],
      approvalSummary: '2/2',
    });
    expect(reasonsOf(status)).toMatchObject({
      Active: 'True ApprovedByAllParticipants',
      Approved: 'True ApprovedByThisZone',
    });
  });

  it("reports every participant's verified roots, in a form the CRD's schema reads back unchanged", async () => {
    const contract = await approvedContract('ab', [a, b]);
    const next = await createTestRoot('zone-a.example');
    const announced: TrustContract = {
      ...contract,
      rootRotations: [
        {
          announcement: await announceRoot(contract, a, next, a.admin),
          activation: undefined,
          acknowledgements: [
            {
              trustDomain: b.trustDomain,
              acknowledgedBy: 'spiffe://zone-b.example/accord/contract-provider',
              acknowledgedAt: t0,
            },
          ],
        },
      ],
    };
    const status = statusOf(seen(announced));
    expect(status.rotatingParticipants).toBe(1);
    expect(status.participants?.map(({ name, phase }) => `${name} ${phase}`)).toEqual([
      'zone-a Announced',
      'zone-b Stable',
    ]);
    expect(status.participants?.[0]).toMatchObject({
      currentRoot: { sha256: a.rootSha256 },
      nextRoot: { sha256: next.rootSha256, acknowledgedBy: ['zone-b'] },
    });
    expect(readTrustContractStatus(JSON.parse(JSON.stringify(status)))).toEqual(status);
  });

  it('does not count a forged approval even when the repository calls the contract active', async () => {
    const contract = await approvedContract('ab', [a, b], [a]);
    const forged = await forgeApproval(contract, 'zone-b', c.admin);
    const status = statusOf(
      seen({ ...contract, state: 'active', approvals: [...contract.approvals, forged] }),
    );
    expect(status).toMatchObject({ state: 'Proposed', approvedBy: ['zone-a'], approvalSummary: '1/2' });
    expect(status.conditions.find((condition) => condition.type === 'Active')?.message).toMatch(
      /^waiting for approvals of zone-b; not counted: zone-b \(approval rejected: /,
    );
  });

  it('reports a contract this zone has not approved with ApprovalMissing', () => {
    expect(reasonsOf(statusOf(seen(proposedContract('ab', [a, b]))))).toMatchObject({
      Approved: 'False ApprovalMissing',
    });
  });

  it('reports a revoked contract as Revoked whatever its approvals say', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const revocation = {
      revokedBy: 'spiffe://zone-b.example/accord/admin',
      revokedAt: t0,
      reason: 'rotated',
      signed: undefined,
    };
    const status = statusOf(seen({ ...contract, state: 'revoked', revocation }));
    expect(status.state).toBe('Revoked');
    expect(reasonsOf(status)).toMatchObject({
      Active: 'False RevokedByParticipant',
      Revoked: 'True RevokedByParticipant',
    });
    expect(status.conditions.find((condition) => condition.type === 'Revoked')?.message).toBe(
      'revoked by spiffe://zone-b.example/accord/admin at 2026-03-01T10:00:00.250Z: rotated',
    );
  });

  it.each([
    ['invalidSpec', 'InvalidSpec'],
    ['proposeDenied', 'ProposeDenied'],
    ['specMismatch', 'SpecMismatch'],
  ] as const)(
    'reports %s as every condition False with reason %s and no repository facts',
    (kind, reason) => {
      const status = statusOf({ kind, message: 'why' });
      expect(status).toEqual({
        observedGeneration: 2,
        contractId: 'ab',
        conditions: ['Proposed', 'Approved', 'Active', 'Revoked'].map((type) => ({
          type,
          status: 'False',
          reason,
          message: 'why',
          observedGeneration: 2,
          lastTransitionTime: '2026-03-01T10:00:00Z',
        })),
      });
    },
  );

  it('keeps the last repository facts while the repository is unreachable, saying why they are stale', async () => {
    const active = statusOf(seen(await approvedContract('ab', [a, b])));
    const status = statusOf({ kind: 'repositoryUnavailable', message: 'connection refused' }, active, t1);
    expect(status).toMatchObject({
      state: 'Active',
      approvedBy: ['zone-a', 'zone-b'],
      approvalSummary: '2/2',
      participants: active.participants,
      rotatingParticipants: 0,
    });
    expect(reasonsOf(status)).toEqual({
      Proposed: 'True RepositoryUnavailable',
      Approved: 'True RepositoryUnavailable',
      Active: 'True RepositoryUnavailable',
      Revoked: 'False RepositoryUnavailable',
    });
    expect(status.conditions.map((condition) => condition.lastTransitionTime)).toEqual(
      active.conditions.map((condition) => condition.lastTransitionTime),
    );
  });

  it('reports Unknown conditions when the repository was never reached', () => {
    const status = statusOf({ kind: 'repositoryUnavailable', message: 'connection refused' });
    expect(status.state).toBeUndefined();
    expect(status.conditions.map((condition) => condition.status)).toEqual([
      'Unknown',
      'Unknown',
      'Unknown',
      'Unknown',
    ]);
  });

  it('moves lastTransitionTime only for the conditions whose status flipped', async () => {
    const proposed = statusOf(seen(await approvedByA()));
    const active = statusOf(seen(await approvedContract('ab', [a, b])), proposed, t1);
    expect(
      Object.fromEntries(
        active.conditions.map((condition) => [condition.type, condition.lastTransitionTime]),
      ),
    ).toEqual({
      Proposed: '2026-03-01T10:00:00Z',
      Approved: '2026-03-01T10:00:00Z',
      Active: '2026-03-01T10:05:00Z',
      Revoked: '2026-03-01T10:00:00Z',
    });
  });
});

describe('statusChanged and statusEvents', () => {
  it('find nothing to write or record when the same facts are seen again later', async () => {
    const contract = await approvedByA();
    const first = statusOf(seen(contract));
    const again = statusOf(seen(contract), readTrustContractStatus(JSON.parse(JSON.stringify(first))), t1);
    expect(statusChanged(first, again)).toBe(false);
    expect(statusEvents(first, again)).toEqual([]);
  });

  it('record one Normal event per condition that turned True', async () => {
    const proposed = statusOf(seen(await approvedByA()));
    expect(statusEvents(undefined, proposed).map((event) => `${event.type} ${event.reason}`)).toEqual([
      'Normal ContractProposed',
      'Normal ApprovedByThisZone',
    ]);
    const active = statusOf(seen(await approvedContract('ab', [a, b])), proposed, t1);
    expect(statusEvents(proposed, active).map((event) => `${event.type} ${event.reason}`)).toEqual([
      'Normal ApprovedByAllParticipants',
    ]);
  });

  it('record one Warning for a new problem and none when it persists or the facts come back', async () => {
    const active = statusOf(seen(await approvedContract('ab', [a, b])));
    const down = statusOf({ kind: 'repositoryUnavailable', message: 'refused' }, active, t1);
    expect(statusEvents(active, down)).toEqual([
      {
        type: 'Warning',
        reason: 'RepositoryUnavailable',
        message: expect.stringContaining('refused') as unknown,
      },
    ]);
    const stillDown = statusOf({ kind: 'repositoryUnavailable', message: 'timeout' }, down, t1);
    expect(statusEvents(down, stillDown)).toEqual([]);
    expect(
      statusEvents(stillDown, statusOf(seen(await approvedContract('ab', [a, b])), stillDown, t1)),
    ).toEqual([]);
  });

  it('records a Warning when the contract is revoked', async () => {
    const active = statusOf(seen(await approvedContract('ab', [a, b])));
    const revocation = {
      revokedBy: 'spiffe://zone-b.example/accord/admin',
      revokedAt: t1,
      reason: 'done',
      signed: undefined,
    };
    const revoked = statusOf(
      seen({ ...(await approvedContract('ab', [a, b])), state: 'revoked', revocation }),
      active,
      t1,
    );
    expect(statusEvents(active, revoked).map((event) => `${event.type} ${event.reason}`)).toEqual([
      'Warning RevokedByParticipant',
    ]);
  });
});

describe('a participant without a trusted root', () => {
  it('is not Active once a participant revoked every root of its chain, and says so in a Warning', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const active = statusOf(seen(contract));
    expect(reasonsOf(active).Active).toBe('True ApprovedByAllParticipants');

    const afterEmergency = statusOf(
      seen({ ...contract, rootRevocations: [revokeRoot(b, 'key compromised')] }),
      active,
      t1,
    );
    expect(reasonsOf(afterEmergency)).toMatchObject({
      Approved: 'True ApprovedByThisZone',
      Active: 'False ParticipantRootRevoked',
      Revoked: 'False NotRevoked',
    });
    expect(afterEmergency.conditions.find((condition) => condition.type === 'Active')?.message).toBe(
      'zone-b revoked every root of theirs in contract ab (emergency rotation): providers refuse it; trust comes back through a new contract pinning the fresh root, approved by every participant',
    );
    expect(statusEvents(active, afterEmergency).map((event) => `${event.type} ${event.reason}`)).toEqual([
      'Warning ParticipantRootRevoked',
    ]);
  });

  it('stays Active when the revocation is not signed by the revoked root', async () => {
    const contract = await approvedContract('ab', [a, b]);
    const forged = statusOf(seen({ ...contract, rootRevocations: [revokeRoot(b, 'forged', a)] }));
    expect(reasonsOf(forged).Active).toBe('True ApprovedByAllParticipants');
  });
});

describe('readTrustContractStatus', () => {
  it('reads a status it did not write as none, so that it is rewritten', () => {
    expect(readTrustContractStatus({ conditions: 'nope' })).toBeUndefined();
    expect(readTrustContractStatus(undefined)).toBeUndefined();
  });
});
