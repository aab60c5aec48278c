import { basicAuthorization } from '../../translator/basic-credentials.js';
import type { LoopbackDataPlane } from './loopback-data-plane.js';
import { useLoopbackDataPlane } from './loopback-data-plane-fixture.js';
import { pollUntil } from './poll-until.js';

// Issue 4, "End to end on loopback": real Envoys, translators, PKIs, providers and the repository;
// the only thing the test does by hand is what admins do (propose, approve, revoke).
jest.setTimeout(120_000);

const alice = basicAuthorization('alice', 'wonderland');
/** A contract is active, revoked or propagated within seconds; this bounds each wait. */
const propagationTimeoutMs = 30_000;
const contractId = 'zone-a-zone-b';

let plane: LoopbackDataPlane;
/** Calls zone B until the status is `expected` (Envoy picks up a new trust bundle within a moment). */
const { untilCallZoneB: untilStatus } = useLoopbackDataPlane(
  { directoryPrefix: 'accord-data-plane', authorization: alice, propagationTimeoutMs },
  (started) => (plane = started),
);

async function handshakeFailures(): Promise<number> {
  return (await plane.handshakeFailures(plane.zoneA)) + (await plane.handshakeFailures(plane.zoneB));
}

describe('the data plane between two zones on loopback', () => {
  it('fails the mTLS handshake between the Envoys while no contract is active', async () => {
    const before = await handshakeFailures();
    expect((await plane.callZoneB(alice)).status).toBe(503);
    expect(await handshakeFailures()).toBeGreaterThan(before);
    expect(plane.zoneB.appCalls).toEqual([]);
  });

  it("with an active contract, zone A's Basic client reaches zone B's API, which sees zone B's credentials", async () => {
    await plane.activateContract(contractId);
    await pollUntil(
      'both providers trust the other zone',
      async () => (await plane.hasMutualTrust()) || undefined,
      propagationTimeoutMs,
    );
    await untilStatus(200);

    const call = plane.zoneB.appCalls.at(-1);
    expect(call?.authorization).toBe(basicAuthorization('orders-alice', 'b-secret'));
    expect(call?.user).toBe('alice');
    expect(call?.path).toBe('/orders?id=1');
    // The legitimate path works; a wrong local password never leaves zone A.
    const received = plane.zoneB.appCalls.length;
    expect((await plane.callZoneB(basicAuthorization('alice', 'guess'))).status).toBe(401);
    expect(plane.zoneB.appCalls).toHaveLength(received);
  });

  it('fails the handshake again once the contract is revoked', async () => {
    await plane.revokeContract(contractId);
    await pollUntil(
      'both providers dropped the other zone',
      async () => (!(await plane.hasMutualTrust()) ? true : undefined),
      propagationTimeoutMs,
    );
    const before = await handshakeFailures();
    // Connections made before the revocation live at most a second (maxConnectionDurationMs).
    await untilStatus(503);
    expect(await handshakeFailures()).toBeGreaterThan(before);
    // A pooled connection made just before the revocation may still carry a request until its one
    // second is up; translator B refuses it (403: zone A is no longer trusted). After that, none.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const received = plane.zoneB.appCalls.length;
    expect((await plane.callZoneB(alice)).status).toBe(503);
    expect(plane.zoneB.appCalls).toHaveLength(received);
  });
});
