import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { signApproval, verifyApproval } from './approval-signature.js';
import { approvalReport, isFullyApproved, isTrustEstablished } from './contract-approvals.js';
import { forgeApproval } from '../../test/support/test-contracts.js';
import { createTestZone, type TestSvid, type TestZone } from '../../test/support/test-zone.js';
import type { RootChainContract } from './participant-roots.js';
import type { ContractApproval, TrustContract } from './trust-contract.js';
import { validateProposal } from './validate-proposal.js';

const createdAt = new Date('2026-01-01T00:00:00.000Z');
const hourMs = 60 * 60 * 1000;
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

function terms(id: string, ...zones: TestZone[]): RootChainContract {
  const { participants } = validateProposal({ id, participants: zones.map((zone) => zone.participant) });
  return { id, participants, createdAt, rootRotations: [], rootRevocations: [] };
}

function contract(base: RootChainContract, approvals: ContractApproval[], revoked = false): TrustContract {
  return {
    ...base,
    state: revoked ? 'revoked' : 'proposed',
    approvals,
    proposedBy: 'spiffe://admin.example/admin',
    revocation: revoked
      ? { revokedBy: 'spiffe://zone-b.example/admin', revokedAt: signedAt, reason: 'test', signed: undefined }
      : undefined,
    revision: 1,
    rootRotations: [],
    rootRevocations: [],
  };
}

interface Attack {
  name: string;
  build: () => Promise<{ verifyAgainst: RootChainContract; approval: ContractApproval }>;
  error: typeof InvalidArgumentError | typeof PermissionDeniedError;
  message: RegExp;
}

/** A zone-a admin certificate that expired an hour ago: its key leaked from an old backup. */
async function expiredAdminA(): Promise<TestSvid> {
  return zoneA.issue('/accord/admin', {
    notBefore: new Date(Date.now() - 2 * hourMs),
    notAfter: new Date(Date.now() - hourMs),
  });
}

/**
 * Issue 11, item 3: a key whose certificate has expired signs consent, back-dated through
 * `signed_at` to when the certificate was valid. Whatever it does about the timestamp, it fails.
 */
function expiredKeyAttacks(): Attack[] {
  const backdated = () => new Date(Date.now() - 1.5 * hourMs);
  return [
    {
      name: 'an expired key back-dating signed_at, without a timestamp',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await forgeApproval(base, 'zone-a', await expiredAdminA(), {
          signedAt: backdated(),
          timestamper: null,
        });
        return { verifyAgainst: base, approval };
      },
      error: InvalidArgumentError,
      message:
        /^approval\.timestamp: required; the signer's zone PKI timestamps every consent \(TimestampConsent\)$/,
    },
    {
      name: 'an expired key timestamped now by its zone root, with signed_at back-dated',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await forgeApproval(base, 'zone-a', await expiredAdminA(), {
          signedAt: backdated(),
        });
        return { verifyAgainst: base, approval };
      },
      error: PermissionDeniedError,
      message: /^approval rejected: signed_at .* is more than 300 s from its timestamp /,
    },
    {
      name: 'an expired key timestamped now by its zone root, with signed_at now',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await forgeApproval(base, 'zone-a', await expiredAdminA());
        return { verifyAgainst: base, approval };
      },
      error: PermissionDeniedError,
      message:
        /^approval rejected: the signer is not an identity of participant zone-a \(zone-a\.example\) at .*: the certificate is not within its validity period$/,
    },
    {
      name: 'an expired key with a back-dated timestamp the attacker signed itself',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const expired = await expiredAdminA();
        const approval = await forgeApproval(base, 'zone-a', expired, {
          signedAt: backdated(),
          timestamper: async (digest) => ({
            time: backdated(),
            signature: (await zoneC.timestamper(backdated)(digest)).signature,
          }),
        });
        return { verifyAgainst: base, approval };
      },
      error: PermissionDeniedError,
      message:
        /^approval rejected: its timestamp is not signed by a root of participant zone-a in the contract \(its pinned root or a root its verified rotations announced\)$/,
    },
    {
      name: 'an expired key reusing the genuine timestamp of an approval made while it was valid',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const expired = await expiredAdminA();
        const genuine = await forgeApproval(base, 'zone-a', expired, {
          signedAt: backdated(),
          timestamper: zoneA.timestamper(backdated),
        });
        const fresh = await forgeApproval(terms('ab', zoneA, zoneC), 'zone-a', expired, {
          signedAt: backdated(),
          timestamper: null,
        });
        return {
          verifyAgainst: terms('ab', zoneA, zoneC),
          approval: { ...fresh, timestamp: genuine.timestamp },
        };
      },
      error: PermissionDeniedError,
      message:
        /^approval rejected: its timestamp is not signed by a root of participant zone-a in the contract \(its pinned root or a root its verified rotations announced\)$/,
    },
  ];
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

  it('accepts an approval made and timestamped while its signer was valid, long after the signer expired', async () => {
    const base = terms('ab', zoneA, zoneB);
    const expired = await expiredAdminA();
    const madeThen = new Date(Date.now() - 1.5 * hourMs);
    const approval = await forgeApproval(base, 'zone-a', expired, {
      signedAt: madeThen,
      timestamper: zoneA.timestamper(() => madeThen),
    });
    expect(verifyApproval(base, approval).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
  });

  it('accepts a chain that ends with the participant root itself', async () => {
    const base = terms('ab', zoneA, zoneB);
    const approval = await signApproval(
      base,
      'zone-a',
      { ...svidA.signer, certificateChainDer: [svidA.certificateDer, zoneA.rootDer] },
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

  it('reports approved and missing participants in contract order, and each invalid approval with its reason', async () => {
    const base = terms('abc', zoneA, zoneB, zoneC);
    const approvalC = await signApproval(base, 'zone-c', svidC.signer, signedAt);
    const approvalA = await signApproval(base, 'zone-a', svidA.signer, signedAt);
    const forgedB = { ...approvalA, participant: 'zone-b' };
    expect(approvalReport(contract(base, [approvalC, forgedB, approvalA]))).toEqual({
      approved: ['zone-a', 'zone-c'],
      missing: ['zone-b'],
      invalid: [
        {
          participant: 'zone-b',
          reason:
            'approval rejected: its timestamp is not signed by a root of participant zone-b in the contract (its pinned root or a root its verified rotations announced)',
        },
      ],
    });
  });

  it('establishes no trust once revoked, whether the state or an attached revocation says so', async () => {
    const base = terms('ab', zoneA, zoneB);
    const approved = contract(base, [
      await signApproval(base, 'zone-a', svidA.signer, signedAt),
      await signApproval(base, 'zone-b', svidB.signer, signedAt),
    ]);
    const revoked = contract(base, [...approved.approvals], true);
    expect(isTrustEstablished({ ...approved, state: 'active' })).toBe(true);
    expect(isTrustEstablished({ ...approved, state: 'revoked' })).toBe(false);
    expect(isTrustEstablished({ ...revoked, state: 'active' })).toBe(false);
  });

  it('does not count an approval twice for one participant towards full approval', async () => {
    const base = terms('ab', zoneA, zoneB);
    const approvalA = await signApproval(base, 'zone-a', svidA.signer, signedAt);
    expect(isFullyApproved(contract(base, [approvalA, approvalA]))).toBe(false);
  });

  const attacks: Attack[] = [
    {
      name: 'an approval signed by a non-participant zone key',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        return {
          verifyAgainst: base,
          approval: await forgeApproval(base, 'zone-a', svidC, {
            signedAt,
            timestamper: zoneA.timestamper(),
          }),
        };
      },
      error: PermissionDeniedError,
      message: /not an identity of participant zone-a/,
    },
    {
      name: "zone A's key claiming to approve for zone B",
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        return {
          verifyAgainst: base,
          approval: await forgeApproval(base, 'zone-b', svidA, {
            signedAt,
            timestamper: zoneB.timestamper(),
          }),
        };
      },
      error: PermissionDeniedError,
      message: /not an identity of participant zone-b/,
    },
    {
      name: "a certificate from zone B's root carrying zone A's SPIFFE ID",
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const impostor = await zoneB.issueWithUri('spiffe://zone-a.example/accord/admin');
        return {
          verifyAgainst: base,
          approval: await forgeApproval(base, 'zone-a', impostor, {
            signedAt,
            timestamper: zoneA.timestamper(),
          }),
        };
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
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-a', workload, { signedAt }) };
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
    ...expiredKeyAttacks(),
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
      message: /is not a root of participant zone-a/,
    },
    {
      name: 'an approval naming a participant that is not in the contract',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        return { verifyAgainst: base, approval: await forgeApproval(base, 'zone-c', svidC, { signedAt }) };
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
      message: /^approval\.signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 63 bytes$/,
    },
    {
      name: 'an approval without a valid signed_at',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        return { verifyAgainst: base, approval: { ...approval, signedAt: new Date(Number.NaN) } };
      },
      error: InvalidArgumentError,
      message: /^approval\.signed_at: required$/,
    },
    {
      name: 'a timestamp without a valid time',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        const timestamp = approval.timestamp && { ...approval.timestamp, time: new Date(Number.NaN) };
        return { verifyAgainst: base, approval: { ...approval, timestamp } };
      },
      error: InvalidArgumentError,
      message: /^approval\.timestamp\.time: required$/,
    },
    {
      name: 'a timestamp signature that is not 64 bytes',
      build: async () => {
        const base = terms('ab', zoneA, zoneB);
        const approval = await signApproval(base, 'zone-a', svidA.signer, signedAt);
        const timestamp = approval.timestamp && {
          ...approval.timestamp,
          signature: approval.timestamp.signature.subarray(0, 63),
        };
        return { verifyAgainst: base, approval: { ...approval, timestamp } };
      },
      error: InvalidArgumentError,
      message:
        /^approval\.timestamp\.signature: must be a 64-byte IEEE P1363 ECDSA P-256 signature, got 63 bytes$/,
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

  it('accepts signed_at exactly 300 s from its timestamp, either way, and refuses one millisecond more', async () => {
    const base = terms('ab', zoneA, zoneB);
    const time = new Date(Math.floor(Date.now() / 1000) * 1000);
    const approvalSignedAt = (offsetMs: number) =>
      forgeApproval(base, 'zone-a', svidA, {
        signedAt: new Date(time.getTime() + offsetMs),
        timestamper: zoneA.timestamper(() => time),
      });
    for (const offsetMs of [-300_000, 300_000]) {
      const approval = await approvalSignedAt(offsetMs);
      expect(() => verifyApproval(base, approval)).not.toThrow();
    }
    const late = await approvalSignedAt(300_001);
    expect(() => verifyApproval(base, late)).toThrow(
      `approval rejected: signed_at ${new Date(time.getTime() + 300_001).toISOString()} is more than 300 s from its timestamp ${time.toISOString()}`,
    );
  });

  it('refuses to sign with a key of the wrong zone', async () => {
    await expect(signApproval(terms('ab', zoneA, zoneB), 'zone-b', svidA.signer, signedAt)).rejects.toThrow(
      PermissionDeniedError,
    );
  });
});
