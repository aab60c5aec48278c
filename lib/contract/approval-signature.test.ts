import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { signApproval, verifyApproval } from './approval-signature.js';
import { approvalReport, isFullyApproved, isTrustEstablished } from './contract-approvals.js';
import { forgeApproval } from '../../test/support/test-contracts.js';
import { createTestZone, type TestSvid, type TestZone } from '../../test/support/test-zone.js';
import type { ContractApproval, ContractTerms, TrustContract } from './trust-contract.js';
import { validateProposal } from './validate-proposal.js';

const createdAt = new Date('2026-01-01T00:00:00.000Z');
const signedAt = new Date();

let zoneA: TestZone;
let zoneB: TestZone;
let zoneC: TestZone;
let svidA: TestSvid;
let svidB: TestSvid;
let svidC: TestSvid;

beforeAll(async () => {
  [zoneA, zoneB, zoneC] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-c'),
  ]);
  [svidA, svidB, svidC] = [zoneA.admin, zoneB.admin, zoneC.operator];
});

function terms(id: string, ...zones: TestZone[]): ContractTerms {
  const { participants } = validateProposal({ id, participants: zones.map((zone) => zone.participant) });
  return { id, participants, createdAt };
}

function contract(base: ContractTerms, approvals: ContractApproval[], revoked = false): TrustContract {
  return {
    ...base,
    state: revoked ? 'revoked' : 'proposed',
    approvals,
    proposedBy: 'spiffe://admin.example/admin',
    revocation: revoked
      ? { revokedBy: 'spiffe://zone-b.example/admin', revokedAt: signedAt, reason: 'test' }
      : undefined,
    revision: 1,
    rootRotations: [],
    rootRevocations: [],
  };
}

describe('verifyApproval', () => {
  it.each([
    ['admin', '/accord/admin'],
    ['operator', '/accord/operator'],
  ] as const)("accepts an approval signed by the participant zone's %s", async (approver, path) => {
    const base = terms('ab', zoneA, zoneB);
    const approval = await signApproval(base, 'zone-a', zoneA[approver].signer, signedAt);
    expect(verifyApproval(base, approval).spiffeId.uri).toBe(`spiffe://zone-a.example${path}`);
  });

  it('accepts a chain that ends with the participant root itself', async () => {
    const base = terms('ab', zoneA, zoneB);
    const approval = await signApproval(
      base,
      'zone-a',
      { privateKey: svidA.privateKey, certificateChainDer: [svidA.certificateDer, zoneA.rootDer] },
      signedAt,
    );
    expect(() => verifyApproval(base, approval)).not.toThrow();
  });

  it('makes a contract fully approved and trusted only once every participant approved', async () => {
    const base = terms('ab', zoneA, zoneB);
    const approvalA = await signApproval(base, 'zone-a', svidA.signer, signedAt);
    const approvalB = await signApproval(base, 'zone-b', svidB.signer, signedAt);
    expect(isFullyApproved(contract(base, [approvalA]))).toBe(false);
    expect(approvalReport(contract(base, [approvalA])).missing).toEqual(['zone-b']);
    expect(isFullyApproved(contract(base, [approvalA, approvalB]))).toBe(true);
    expect(isTrustEstablished(contract(base, [approvalA, approvalB]))).toBe(true);
    expect(isTrustEstablished(contract(base, [approvalA, approvalB], true))).toBe(false);
  });

  it('does not count an approval twice for one participant towards full approval', async () => {
    const base = terms('ab', zoneA, zoneB);
    const approvalA = await signApproval(base, 'zone-a', svidA.signer, signedAt);
    expect(isFullyApproved(contract(base, [approvalA, approvalA]))).toBe(false);
  });

  interface Attack {
    name: string;
    build: () => Promise<{ verifyAgainst: ContractTerms; approval: ContractApproval }>;
    error: typeof InvalidArgumentError | typeof PermissionDeniedError;
    message: RegExp;
  }
  const attacks: Attack[] = [
    {
      name: 'an approval signed by a non-participant zone key',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-a', svidC, signedAt) };
      },
      error: PermissionDeniedError,
      message: /not an identity of participant zone-a/,
    },
    {
      name: "zone A's key claiming to approve for zone B",
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-b', svidA, signedAt) };
      },
      error: PermissionDeniedError,
      message: /not an identity of participant zone-b/,
    },
    {
      name: "a certificate from zone B's root carrying zone A's SPIFFE ID",
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const impostor = await zoneB.issueWithUri('spiffe://zone-a.example/accord/admin');
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-a', impostor, signedAt) };
      },
      error: PermissionDeniedError,
      message: /not signed by a root of trust domain zone-a.example/,
    },
    ...[
      '/ns/shop/sa/some-app',
      '/accord/contract-provider',
      '/accord/admin/extra',
      '/accord',
      '/Accord/admin',
    ].map((path): Attack => ({
      name: `an approval signed by ${path}, an identity of the participant zone that is not a designated approver`,
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const workload = await zoneA.issue(path);
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-a', workload, signedAt) };
      },
      error: PermissionDeniedError,
      message: new RegExp(
        `the signer spiffe://zone-a.example${path} is not a designated approver of participant zone-a \\(only spiffe://zone-a.example/accord/admin, spiffe://zone-a.example/accord/operator\\)`,
      ),
    })),
    {
      name: 'an approval made for a different contract id',
      build: async () => ({
        verifyAgainst: terms('other', zoneA, zoneB),
        approval: await signApproval(terms('ab', zoneA, zoneB), 'zone-a', svidA.signer, signedAt),
      }),
      error: PermissionDeniedError,
      message: /signature does not verify/,
    },
    {
      name: 'an approval made for a different participant set',
      build: async () => ({
        verifyAgainst: terms('ab', zoneA, zoneB),
        approval: await signApproval(terms('ab', zoneA, zoneB, zoneC), 'zone-a', svidA.signer, signedAt),
      }),
      error: PermissionDeniedError,
      message: /signature does not verify/,
    },
    {
      name: 'an approval replayed onto a re-proposal with a new creation time',
      build: async () => ({
        verifyAgainst: { ...terms('ab', zoneA, zoneB), createdAt: new Date('2026-02-01T00:00:00.000Z') },
        approval: await signApproval(terms('ab', zoneA, zoneB), 'zone-a', svidA.signer, signedAt),
      }),
      error: PermissionDeniedError,
      message: /signature does not verify/,
    },
    {
      name: 'a contract whose zone B root was swapped after zone A approved',
      build: async () => {
        const attacker = await createTestZone('zone-b', 'zone-b.example');
        return {
          verifyAgainst: terms('ab', zoneA, attacker),
          approval: await signApproval(terms('ab', zoneA, zoneB), 'zone-a', svidA.signer, signedAt),
        };
      },
      error: PermissionDeniedError,
      message: /signature does not verify/,
    },
    {
      name: 'a signer certificate that had expired at signing time',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const expired = await zoneA.issue('/accord/admin', {
          notBefore: new Date(signedAt.getTime() - 3_600_000),
          notAfter: new Date(signedAt.getTime() - 1_000),
        });
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-a', expired, signedAt) };
      },
      error: PermissionDeniedError,
      message: /not within its validity period/,
    },
    {
      name: 'an approval whose signed_at was changed after signing',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        return { verifyAgainst: base, approval: { ...approval, signedAt: new Date(signedAt.getTime() - 1) } };
      },
      error: PermissionDeniedError,
      message: /signature does not verify/,
    },
    {
      name: "a chain whose second certificate is not the participant's root",
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        return {
          verifyAgainst: base,
          approval: { ...approval, certificateChainDer: [svidA.certificateDer, zoneB.rootDer] },
        };
      },
      error: PermissionDeniedError,
      message: /is not the root of participant zone-a/,
    },
    {
      name: 'an approval naming a participant that is not in the contract',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-c', svidC, signedAt) };
      },
      error: InvalidArgumentError,
      message: /"zone-c" is not a participant of contract ab/,
    },
    {
      name: 'a signature that is not 64 bytes',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        return {
          verifyAgainst: base,
          approval: { ...approval, signature: approval.signature.subarray(0, 63) },
        };
      },
      error: InvalidArgumentError,
      message: /64-byte IEEE P1363/,
    },
    {
      name: 'a chain that is not DER',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        return {
          verifyAgainst: base,
          approval: { ...approval, certificateChainDer: [new Uint8Array([1, 2, 3])] },
        };
      },
      error: InvalidArgumentError,
      message: /certificate_chain\[0\]: not a valid DER/,
    },
  ];

  it.each(attacks)('rejects $name', async ({ build, error, message }) => {
    const { verifyAgainst, approval } = await build();
    expect(() => verifyApproval(verifyAgainst, approval)).toThrow(error);
    expect(() => verifyApproval(verifyAgainst, approval)).toThrow(message);
    expect(isFullyApproved(contract(verifyAgainst, [approval]))).toBe(false);
  });

  it('refuses to sign with a key of the wrong zone', async () => {
    await expect(signApproval(terms('ab', zoneA, zoneB), 'zone-b', svidA.signer, signedAt)).rejects.toThrow(
      PermissionDeniedError,
    );
  });
});
