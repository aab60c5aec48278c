import { approvedContract, forgeApproval, revokedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestSvid,
  type TestZone,
} from '../../test/support/test-zone.js';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { signApproval, verifyApproval } from './approval-signature.js';
import { canonicalRevocationBytes } from './canonical-consent.js';
import { signConsent } from './consent-signature.js';
import type { ConsentTimestamper } from './consent-timestamp.js';
import { signRevocation, verifyRevocation } from './revocation-signature.js';
import type { TrustContract } from './trust-contract.js';
import type { ConsentSigner } from './zone-approvers.js';

// Consent after a zone's root rotation (docs/threat-model.md T3, docs/root-rotation.md): once an
// announced rotation is activated, the zone's PKI timestamps and certifies with the new root, so
// approvals and revocations verify against the participant's roots that the contract's verified
// rotation chain trusts at the timestamp's time, and against nothing else.

const hourMs = 60 * 60 * 1000;
const reason = 'zone-a leaves';

let a: TestZone;
let b: TestZone;
/** Zone A's announced and activated next root. */
let a1: TestRoot;
/** A root of zone A's trust domain the contract never heard of (prepared by its PKI, never announced; or an attacker's). */
let a2: TestRoot;
let a1Operator: TestSvid;
let a1Admin: TestSvid;
let a2Operator: TestSvid;
let contract: TrustContract;

beforeAll(async () => {
  [a, b, a1, a2] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestRoot('zone-a.example'),
    createTestRoot('zone-a.example'),
  ]);
  [a1Operator, a1Admin, a2Operator] = await Promise.all([
    a1.issue('/accord/operator'),
    a1.issue('/accord/admin'),
    a2.issue('/accord/operator'),
  ]);
  contract = await approvedContract('ab', [a, b]);
});

/** `contract` after zone A announced `a1` and activated it now; the pinned root retires after `retainMs`. */
async function rotated(retainMs = hourMs): Promise<TrustContract> {
  const activatedAt = new Date(Math.floor(Date.now()));
  return {
    ...contract,
    rootRotations: [
      {
        announcement: await announceRoot(contract, a, a1, a.admin),
        activation: activateRoot(a, a1, 1, activatedAt, retainMs),
        acknowledgements: [{ trustDomain: b.trustDomain, acknowledgedBy: 'x', acknowledgedAt: activatedAt }],
      },
    ],
  };
}

/** A consent signer made of any key, certificate chain and timestamper: an attacker's tooling. */
function signerOf(
  svid: TestSvid,
  timestamp: ConsentTimestamper,
  chain = [svid.certificateDer],
): ConsentSigner {
  return { privateKey: svid.privateKey, certificateChainDer: chain, timestamp };
}

/** Zone A's revocation of `carried` signed with `signer`, without `signRevocation`'s self-check. */
async function revocationWith(carried: TrustContract, signer: ConsentSigner, signedAt = new Date()) {
  const signed = await signConsent(
    canonicalRevocationBytes(carried, 'zone-a', signedAt, reason),
    'zone-a',
    signer,
    signedAt,
  );
  return { reason, signed };
}

describe('consent after an announced root rotation: the legitimate path', () => {
  it("accepts the zone's revocation timestamped and certified by its activated new root", async () => {
    const carried = await rotated();
    const signed = await signRevocation(carried, 'zone-a', reason, a1Operator.signer, new Date());
    expect(verifyRevocation(carried, { reason, signed }).spiffeId.uri).toBe(
      'spiffe://zone-a.example/accord/operator',
    );
  });

  it('accepts an approval by the new root, and with the new root itself as the second certificate', async () => {
    const carried = await rotated();
    const approval = await signApproval(carried, 'zone-a', a1Admin.signer, new Date());
    expect(verifyApproval(carried, approval).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
    const withRoot = await signApproval(
      carried,
      'zone-a',
      signerOf(a1Admin, a1.timestamper(), [a1Admin.certificateDer, a1.rootDer]),
      new Date(),
    );
    expect(() => verifyApproval(carried, withRoot)).not.toThrow();
  });

  it('accepts consent by the replaced root while it overlaps, and approvals it made before it retired', async () => {
    const carried = await rotated();
    const signed = await signRevocation(carried, 'zone-a', reason, a.operator.signer, new Date());
    expect(() => verifyRevocation(carried, { reason, signed })).not.toThrow();
    const retired = await rotated(1);
    const later = new Date(Date.now() + 1000);
    expect(retired.approvals.map((approval) => verifyApproval(retired, approval).spiffeId.uri)).toEqual([
      'spiffe://zone-a.example/accord/admin',
      'spiffe://zone-b.example/accord/admin',
    ]);
    const byNewRootLater = await signRevocation(
      retired,
      'zone-a',
      reason,
      a1Operator.signerAt(() => later),
      later,
    );
    expect(() => verifyRevocation(retired, { reason, signed: byNewRootLater })).not.toThrow();
  });

  it('still accepts consent by the pinned root of a contract without rotations', async () => {
    const revoked = await revokedContract(contract, a, reason);
    const revocation = revoked.revocation;
    if (revocation === undefined) throw new Error('no revocation');
    expect(() => verifyRevocation(revoked, revocation)).not.toThrow();
  });
});

/** Zone A's revocation by its pinned root's operator a second from now, once `rotated(1)` retired that root. */
function revocationByReplacedRootLater(carried: TrustContract) {
  const later = new Date(Date.now() + 1000);
  return revocationWith(
    carried,
    a.operator.signerAt(() => later),
    later,
  );
}

interface Attack {
  name: string;
  revocation: (carried: TrustContract) => Promise<{ reason: string; signed: TrustContract['approvals'][0] }>;
  /** The contract as carried (default: rotated from A to A1, A retiring in an hour). */
  carried?: () => Promise<TrustContract>;
  error: typeof InvalidArgumentError | typeof PermissionDeniedError;
  message: RegExp;
}

const attacks: Attack[] = [
  {
    name: 'a root the contract never announced (prepared by the PKI, or an attacker with the trust domain)',
    revocation: (carried) => revocationWith(carried, a2Operator.signer),
    error: PermissionDeniedError,
    message:
      /^revocation rejected: its timestamp is not signed by a root of participant zone-a in the contract \(its pinned root or a root its verified rotations announced\)$/,
  },
  {
    name: 'a timestamp by the new root, the signer certified by an unannounced root',
    revocation: (carried) => revocationWith(carried, signerOf(a2Operator, a1.timestamper())),
    error: PermissionDeniedError,
    message:
      /^revocation rejected: the signer is not an identity of participant zone-a \(zone-a\.example\) at .*/,
  },
  {
    name: 'an unannounced root sent as the second certificate',
    revocation: (carried) =>
      revocationWith(
        carried,
        signerOf(a1Operator, a1.timestamper(), [a1Operator.certificateDer, a2.rootDer]),
      ),
    error: PermissionDeniedError,
    message:
      /^revocation rejected: certificate_chain\[1\] is not a root of participant zone-a in the contract$/,
  },
  {
    name: 'a new root announced without the replaced root key (a forged announcement)',
    carried: async () => ({
      ...contract,
      rootRotations: [
        {
          announcement: await announceRoot(contract, a, a1, a.admin, { continuitySigner: a2 }),
          activation: undefined,
          acknowledgements: [],
        },
      ],
    }),
    revocation: (carried) => revocationWith(carried, a1Operator.signer),
    error: PermissionDeniedError,
    message:
      /^revocation rejected: its timestamp is not signed by a root of participant zone-a in the contract/,
  },
  {
    name: 'the new root after the zone revoked it (emergency rotation)',
    carried: async () => ({ ...(await rotated()), rootRevocations: [revokeRoot(a1, 'key compromised')] }),
    revocation: (carried) => revocationWith(carried, a1Operator.signer),
    error: PermissionDeniedError,
    message: new RegExp(
      `^revocation rejected: its timestamp is signed by root [0-9a-f]{64} of participant zone-a, which is revoked$`,
    ),
  },
  {
    name: 'the new root after the zone revoked every root it held (emergency rotation)',
    carried: async () => ({
      ...(await rotated()),
      rootRevocations: [revokeRoot(a, 'key compromised'), revokeRoot(a1, 'key compromised')],
    }),
    revocation: (carried) => revocationWith(carried, a1Operator.signer),
    error: PermissionDeniedError,
    message:
      /^revocation rejected: its timestamp is not signed by a root of participant zone-a in the contract/,
  },
  {
    name: 'the pinned root after the zone revoked it (emergency rotation)',
    carried: () => Promise.resolve({ ...contract, rootRevocations: [revokeRoot(a, 'key compromised')] }),
    revocation: (carried) => revocationWith(carried, a.operator.signer),
    error: PermissionDeniedError,
    message:
      /^revocation rejected: its timestamp is signed by root [0-9a-f]{64} of participant zone-a, which is revoked$/,
  },
  {
    // The chain ends at a revoked root, so a root both retired and revoked is reported as revoked,
    // the stronger of the two reasons (never as "retired at").
    name: 'the replaced root timestamping after it retired and was then revoked',
    carried: async () => ({ ...(await rotated(1)), rootRevocations: [revokeRoot(a, 'key compromised')] }),
    revocation: revocationByReplacedRootLater,
    error: PermissionDeniedError,
    message:
      /^revocation rejected: its timestamp is signed by root [0-9a-f]{64} of participant zone-a, which is revoked$/,
  },
  {
    name: 'the replaced root timestamping after it retired',
    carried: () => rotated(1),
    revocation: revocationByReplacedRootLater,
    error: PermissionDeniedError,
    message:
      /^revocation rejected: its timestamp is signed by root [0-9a-f]{64} of participant zone-a, which retired at .+, before the timestamp's time .+$/,
  },
];

describe('consent after an announced root rotation: roots the chain does not trust are refused', () => {
  it.each(attacks)('refuses a revocation by $name', async (attack) => {
    const carried = await (attack.carried ?? rotated)();
    const revocation = await attack.revocation(carried);
    expect(() => verifyRevocation(carried, revocation)).toThrow(attack.error);
    expect(() => verifyRevocation(carried, revocation)).toThrow(attack.message);
  });

  it('refuses an approval by a root the contract never announced, and names the root in the message', async () => {
    const carried = await rotated();
    const approval = await forgeApproval(carried, 'zone-a', await a2.issue('/accord/admin'));
    expect(() => verifyApproval(carried, approval)).toThrow(
      'approval rejected: its timestamp is not signed by a root of participant zone-a in the contract',
    );
    const revokedNew = { ...carried, rootRevocations: [revokeRoot(a1, 'key compromised')] };
    const byRevoked = await forgeApproval(revokedNew, 'zone-a', a1Admin);
    expect(() => verifyApproval(revokedNew, byRevoked)).toThrow(
      `approval rejected: its timestamp is signed by root ${a1.rootSha256} of participant zone-a, which is revoked`,
    );
  });

  it("does not let one participant's rotated root consent for its partner", async () => {
    const carried = await rotated();
    const approval = await forgeApproval(carried, 'zone-b', a1Admin);
    expect(() => verifyApproval(carried, approval)).toThrow(
      'approval rejected: its timestamp is not signed by a root of participant zone-b in the contract',
    );
  });
});
