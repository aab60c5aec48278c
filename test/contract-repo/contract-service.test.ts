import { status as GrpcStatus } from '@grpc/grpc-js';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { AuditChainVerifier } from '../../lib/contract/audit-chain.js';
import {
  approvalToProto,
  auditEntryFromProto,
  contractFromProto,
  revokeRequestToProto,
} from '../../lib/contract/contract-codec.js';
import { canonicalRevocationBytes } from '../../lib/contract/canonical-consent.js';
import { signConsent } from '../../lib/contract/consent-signature.js';
import { forgeApproval, revocationBy } from '../support/test-contracts.js';
import type { TestSvid } from '../support/test-zone.js';
import type { TrustContract } from '../../lib/contract/trust-contract.js';
import type { GrpcClient } from '../../lib/grpc/grpc-client.js';
import { AccordError } from '../../lib/errors/accord-error.js';
import { errorKindOfStatus } from '../../lib/grpc/grpc-status.js';
import { silentLogger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import {
  ContractService,
  ContractState,
  type WatchResponse,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';
import { startContractRepo, type RunningContractRepo } from '../../contract-repo/start-contract-repo.js';
import { createContractRepoFixture, type ContractRepoFixture } from './contract-repo-fixture.js';

type Client = GrpcClient<typeof ContractService>;

let fixture: ContractRepoFixture;
let running: RunningContractRepo;
let admin: Client;
let zoneA: Client;
let zoneB: Client;
let zoneC: Client;
let anonymous: Client;
let contractCounter = 0;

beforeAll(async () => {
  fixture = await createContractRepoFixture();
  running = await startContractRepo(fixture.config, silentLogger, systemClock);
  admin = fixture.client(running.grpcPort, fixture.admin);
  zoneA = fixture.client(running.grpcPort, fixture.svidA);
  zoneB = fixture.client(running.grpcPort, fixture.svidB);
  zoneC = fixture.client(running.grpcPort, fixture.svidC);
  anonymous = fixture.client(running.grpcPort, undefined);
});

afterAll(async () => {
  for (const client of [admin, zoneA, zoneB, zoneC, anonymous]) client.close();
  await running.close();
  await fixture.cleanup();
});

async function expectStatus(call: Promise<unknown>, code: GrpcStatus, details?: RegExp): Promise<void> {
  const error: unknown = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AccordError);
  expect((error as AccordError).kind).toBe(errorKindOfStatus(code));
  if (details !== undefined) expect((error as AccordError).message).toMatch(details);
}

async function proposeAB(): Promise<TrustContract> {
  contractCounter += 1;
  const response = await admin.create({
    contract: {
      id: `ab-${contractCounter}`,
      participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneB.participant }],
    },
  });
  if (response.contract === undefined) throw new Error('no contract in response');
  return contractFromProto(response.contract);
}

async function approve(client: Client, contract: TrustContract, participant: string, signer: TestSvid) {
  const approval = await signApproval(contract, participant, signer.signer, new Date());
  return client.approve({ id: contract.id, approval: approvalToProto(approval) });
}

describe('accord.contracts.v1.ContractService over mTLS', () => {
  it('never activates or serves a contract approved by only one of two zones', async () => {
    const contract = await proposeAB();
    const response = await approve(zoneA, contract, 'zone-a', fixture.svidA);
    expect(response.contract?.state).toBe(ContractState.PROPOSED);
    for (const client of [zoneA, zoneB]) {
      const certificates = await client.getCertificates({});
      expect(certificates.partners.filter((partner) => partner.contractIds.includes(contract.id))).toEqual(
        [],
      );
    }
  });

  it('activates a contract approved by both zones and serves each zone only its partner root', async () => {
    const contract = await proposeAB();
    await approve(zoneA, contract, 'zone-a', fixture.svidA);
    const response = await approve(zoneB, contract, 'zone-b', fixture.svidB);
    expect(response.contract?.state).toBe(ContractState.ACTIVE);
    const forA = await zoneA.getCertificates({});
    expect(forA.certificates).toEqual([fixture.zoneB.rootPem]);
    expect(forA.partners[0]).toMatchObject({
      name: 'zone-b',
      trustDomain: 'zone-b.example',
      hash: fixture.zoneB.rootSha256,
    });
    expect((await zoneB.getCertificates({})).certificates).toEqual([fixture.zoneA.rootPem]);
    expect((await zoneC.getCertificates({})).certificates).toEqual([]);
  });

  it('rejects an approval signed by a non-participant key and stores nothing', async () => {
    const contract = await proposeAB();
    const forged = approvalToProto(await forgeApproval(contract, 'zone-b', fixture.svidC));
    await expectStatus(
      zoneB.approve({ id: contract.id, approval: forged }),
      GrpcStatus.PERMISSION_DENIED,
      /^approval rejected: its timestamp is not signed by a root of participant zone-b in the contract \(its pinned root or a root its verified rotations announced\)$/,
    );
    // Even with a timestamp of zone-b's own root, the signer is still not zone-b's.
    const timestamped = approvalToProto(
      await forgeApproval(contract, 'zone-b', fixture.svidC, { timestamper: fixture.zoneB.timestamper() }),
    );
    await expectStatus(
      zoneB.approve({ id: contract.id, approval: timestamped }),
      GrpcStatus.PERMISSION_DENIED,
      /^approval rejected: the signer is not an identity of participant zone-b \(zone-b\.example\) at .*: X509-SVID rejected: no trust bundle for trust domain zone-c\.example$/,
    );
    expect((await zoneB.get({ id: contract.id })).contract?.approvals).toEqual([]);
  });

  it("refuses a zone-b workload's approval and revocation over mTLS, and takes its operator's", async () => {
    const workload = await fixture.zoneB.issue('/ns/shop/sa/some-app');
    const workloadClient = fixture.client(running.grpcPort, workload);
    try {
      const contract = await proposeAB();
      const ownApproval = approvalToProto(await forgeApproval(contract, 'zone-b', workload));
      const approvers = 'spiffe://zone-b.example/accord/admin, spiffe://zone-b.example/accord/operator';
      await expectStatus(
        workloadClient.approve({ id: contract.id, approval: ownApproval }),
        GrpcStatus.PERMISSION_DENIED,
        new RegExp(
          `^spiffe://zone-b.example/ns/shop/sa/some-app may not approve for participant zone-b: only its designated approvers \\(${approvers}\\) may$`,
        ),
      );
      await expectStatus(
        zoneB.approve({ id: contract.id, approval: ownApproval }),
        GrpcStatus.PERMISSION_DENIED,
        /the signer spiffe:\/\/zone-b.example\/ns\/shop\/sa\/some-app is not a designated approver of participant zone-b/,
      );
      await expectStatus(
        workloadClient.revoke(
          revokeRequestToProto(
            contract.id,
            'not mine',
            await revocationBy(contract, fixture.zoneB, 'not mine'),
          ),
        ),
        GrpcStatus.PERMISSION_DENIED,
        /^spiffe:\/\/zone-b\.example\/ns\/shop\/sa\/some-app may not revoke for participant zone-b: only its designated approvers/,
      );
      expect((await workloadClient.get({ id: contract.id })).contract).toMatchObject({
        state: ContractState.PROPOSED,
        approvals: [],
      });
      const approved = await approve(zoneB, contract, 'zone-b', fixture.svidB);
      expect(approved.contract?.approvals.map((approval) => approval.participant)).toEqual(['zone-b']);
    } finally {
      workloadClient.close();
    }
  });

  it('lets zone C neither read nor approve an A–B contract', async () => {
    const contract = await proposeAB();
    await expectStatus(zoneC.get({ id: contract.id }), GrpcStatus.NOT_FOUND);
    expect((await zoneC.list({})).contracts.map((each) => each.id)).not.toContain(contract.id);
    const approval = await signApproval(contract, 'zone-a', fixture.svidA.signer, new Date());
    await expectStatus(
      zoneC.approve({ id: contract.id, approval: approvalToProto(approval) }),
      GrpcStatus.NOT_FOUND,
    );
    await expectStatus(
      zoneC.revoke(revokeRequestToProto(contract.id, '', await revocationBy(contract, fixture.zoneA, ''))),
      GrpcStatus.NOT_FOUND,
    );
  });

  it('refuses admin operations to zone identities', async () => {
    const contract = await proposeAB();
    await expectStatus(
      zoneA.create({
        contract: { participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneC.participant }] },
      }),
      GrpcStatus.PERMISSION_DENIED,
    );
    await expectStatus(zoneA.delete({ id: contract.id }), GrpcStatus.PERMISSION_DENIED);
    await expectStatus(zoneA.auditLog({}), GrpcStatus.PERMISSION_DENIED);
    expect((await zoneA.get({ id: contract.id })).contract?.id).toBe(contract.id);
  });

  it('lets a participant revoke, after which its partner root is no longer served', async () => {
    const contract = await proposeAB();
    await approve(zoneA, contract, 'zone-a', fixture.svidA);
    await approve(zoneB, contract, 'zone-b', fixture.svidB);
    const revoked = await zoneB.revoke(
      revokeRequestToProto(contract.id, 'test', await revocationBy(contract, fixture.zoneB, 'test')),
    );
    expect(revoked.contract?.state).toBe(ContractState.REVOKED);
    expect(revoked.contract?.revocation?.revokedBy).toBe('spiffe://zone-b.example/accord/operator');
    const forA = await zoneA.getCertificates({});
    expect(forA.partners.flatMap((partner) => partner.contractIds)).not.toContain(contract.id);
  });

  it('refuses a call without a client certificate as UNAUTHENTICATED', async () => {
    await expectStatus(anonymous.list({}), GrpcStatus.UNAUTHENTICATED);
  });

  it('refuses a client certificate from a trust domain that is not enrolled as UNAUTHENTICATED', async () => {
    const outsider = fixture.client(running.grpcPort, await fixture.hub.issue('/intruder'));
    try {
      await expectStatus(outsider.list({}), GrpcStatus.UNAUTHENTICATED);
    } finally {
      outsider.close();
    }
  });

  it('refuses as UNAUTHENTICATED an identity of zone-b issued by zone-a’s root, while zone-b’s own operator revokes', async () => {
    const contract = await proposeAB();
    await approve(zoneA, contract, 'zone-a', fixture.svidA);
    await approve(zoneB, contract, 'zone-b', fixture.svidB);
    // zone-a's root is an enrolled client CA, so the TLS handshake succeeds; only the
    // per-trust-domain check keeps zone-a's PKI from speaking for zone-b.
    const forged = await fixture.zoneA.issueWithUri('spiffe://zone-b.example/accord/operator');
    // The impostor signs the revocation with its own key: the call is refused before it is read.
    const now = new Date();
    const impostor = fixture.client(running.grpcPort, forged);
    try {
      await expectStatus(
        impostor.revoke(
          revokeRequestToProto(
            contract.id,
            'forged',
            await signConsent(
              canonicalRevocationBytes(contract, 'zone-b', now, 'forged'),
              'zone-b',
              forged.signer,
              now,
            ),
          ),
        ),
        GrpcStatus.UNAUTHENTICATED,
        /not signed by a root of trust domain zone-b\.example/,
      );
    } finally {
      impostor.close();
    }
    const stillActive = await zoneB.get({ id: contract.id });
    expect(stillActive.contract?.state).toBe(ContractState.ACTIVE);
    const revoked = await zoneB.revoke(
      revokeRequestToProto(contract.id, 'genuine', await revocationBy(contract, fixture.zoneB, 'genuine')),
    );
    expect(revoked.contract?.state).toBe(ContractState.REVOKED);
  });

  const malformed: { name: string; call: () => Promise<unknown>; code: GrpcStatus; details: RegExp }[] = [
    {
      name: 'a proposal with one participant',
      call: () => admin.create({ contract: { participants: [{ ...fixture.zoneA.participant }] } }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /participants: a contract needs at least 2/,
    },
    {
      name: 'a proposal with an unparsable root',
      call: () =>
        admin.create({
          contract: {
            participants: [
              { ...fixture.zoneA.participant },
              { ...fixture.zoneB.participant, publicKey: 'not pem' },
            ],
          },
        }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /participants\[1\]\.public_key: not a PEM certificate/,
    },
    {
      name: 'a proposal whose fingerprint does not match',
      call: () =>
        admin.create({
          contract: {
            participants: [
              { ...fixture.zoneA.participant, hash: fixture.zoneB.rootSha256 },
              { ...fixture.zoneB.participant },
            ],
          },
        }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /participants\[0\]\.hash: .* does not match/,
    },
    {
      name: 'a proposal with duplicate participants',
      call: () =>
        admin.create({
          contract: { participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneA.participant }] },
        }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /participants\[1\]\.name: "zone-a" is already used/,
    },
    {
      name: 'a proposal that sets its own state',
      call: () =>
        admin.create({
          contract: {
            state: ContractState.ACTIVE,
            participants: [{ ...fixture.zoneA.participant }, { ...fixture.zoneB.participant }],
          },
        }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /contract\.state: must be empty/,
    },
    {
      name: 'a request without a contract',
      call: () => admin.create({}),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /contract: required/,
    },
    {
      name: 'an unknown contract id',
      call: () => admin.get({ id: 'does-not-exist' }),
      code: GrpcStatus.NOT_FOUND,
      details: /contract does-not-exist not found/,
    },
    {
      name: 'an empty contract id',
      call: () => admin.get({ id: '' }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /id: required/,
    },
    {
      name: 'an approval without a signature',
      call: () => zoneA.approve({ id: 'ab-1', approval: { participant: 'zone-a' } }),
      code: GrpcStatus.INVALID_ARGUMENT,
      details: /approval.signature: required/,
    },
    {
      name: 'a message larger than 1 MiB',
      call: () => admin.revoke({ id: 'ab-1', reason: 'x'.repeat(1024 * 1024 + 1) }),
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      details: /./,
    },
  ];

  it.each(malformed)('answers $name with a precise status', async ({ call, code, details }) => {
    await expectStatus(call(), code, details);
  });

  describe('untrusted input in error messages', () => {
    const hugeId = 'x'.repeat(900 * 1024);

    /** Calls with a short deadline; the call must fail with `kind` well before it. */
    async function refusedQuickly(call: Promise<unknown>, kind: string): Promise<string> {
      const started = performance.now();
      const error: unknown = await call.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ kind });
      // Before the bound, a 900 KB id came back whole and the call hung until its 5 s deadline.
      expect(performance.now() - started).toBeLessThan(4000);
      return (error as Error).message;
    }

    it('answers a 900 KB contract id with a short quoted INVALID_ARGUMENT, and the connection keeps serving', async () => {
      const client = fixture.client(running.grpcPort, fixture.svidA);
      try {
        for (const call of [
          client.get({ id: hugeId }, { deadlineMs: 5000 }),
          client.revoke({ id: hugeId }, { deadlineMs: 5000 }),
        ]) {
          const message = await refusedQuickly(call, 'InvalidArgument');
          expect(message).toBe(`id: "${'x'.repeat(64)}…" (921600 characters) is not a contract id`);
        }
        const contract = await proposeAB();
        await expect(client.get({ id: contract.id }, { deadlineMs: 5000 })).resolves.toMatchObject({
          contract: { id: contract.id },
        });
      } finally {
        client.close();
      }
    });

    it('answers a 900 KB participant name in an approval with a short quoted INVALID_ARGUMENT', async () => {
      const contract = await proposeAB();
      const approval = await signApproval(contract, 'zone-a', fixture.svidA.signer, new Date());
      const message = await refusedQuickly(
        zoneA.approve(
          { id: contract.id, approval: { ...approvalToProto(approval), participant: hugeId } },
          { deadlineMs: 5000 },
        ),
        'InvalidArgument',
      );
      expect(message).toBe(
        `approval.participant: "${'x'.repeat(64)}…" (921600 characters) is not a participant name`,
      );
      await expect(approve(zoneA, contract, 'zone-a', fixture.svidA)).resolves.toBeDefined();
    });

    it('escapes control characters of an id instead of echoing them', async () => {
      const message = await refusedQuickly(
        admin.get({ id: 'ab\r\nforged: line\u001b[2J' }),
        'InvalidArgument',
      );
      expect(message).toBe('id: "ab\\r\\nforged: line\\u001b[2J" is not a contract id');
    });
  });

  it('streams a snapshot, then a change when a contract the zone is part of becomes active', async () => {
    const contract = await proposeAB();
    await approve(zoneA, contract, 'zone-a', fixture.svidA);
    const abort = new AbortController();
    const stream = zoneB.watch({}, { signal: abort.signal })[Symbol.asyncIterator]();
    const next = async (): Promise<WatchResponse> => {
      const result = await stream.next();
      if (result.done === true) throw new Error('watch ended');
      return result.value;
    };
    const snapshot = await next();
    expect(snapshot.event.case).toBe('snapshot');
    await approve(zoneB, contract, 'zone-b', fixture.svidB);
    const change = await next();
    expect(change.event.case).toBe('change');
    expect(change.event.case === 'change' ? change.event.value.contract?.state : undefined).toBe(
      ContractState.ACTIVE,
    );
    expect(Number(change.resumeToken)).toBeGreaterThan(Number(snapshot.resumeToken));
    abort.abort();
    await stream.return?.();
  });

  it('serves an audit log that verifies page by page up to the head', async () => {
    await proposeAB();
    const verifier = new AuditChainVerifier();
    let head = 0n;
    for (let start = 1n; ;) {
      const page = await admin.auditLog({ startSequence: start, pageSize: 3 });
      head = page.headSequence;
      for (const entry of page.entries) {
        verifier.add(auditEntryFromProto(entry));
      }
      if (page.entries.length === 0 || BigInt(verifier.head.sequence) >= head) break;
      start = BigInt(verifier.head.sequence + 1);
    }
    expect(verifier.finish().sequence).toBe(Number(head));
  });
});
