import { parseConfig } from '../lib/config/load-config.js';
import { ManualClock } from '../test/support/manual-clock.js';
import {
  testWit,
  testWorkloadKey,
  testZone,
  witKeysOf,
  type TestZone,
} from '../test/support/wit-test-fixtures.js';
import {
  basicAuthorization,
  BasicUserStore,
  hashBasicPassword,
  InboundCredentialMap,
} from './basic-credentials.js';
import { decideInbound, decideOutbound, type Decision, type InboundPolicy } from './check-handler.js';
import type { HttpRequestMessage } from './http-message.js';
import { NonceCache } from './nonce-cache.js';
import {
  audienceResolver,
  inboundAudiences,
  translatorConfigSchema,
  type TranslatorConfig,
} from './translator-config.js';

/**
 * Issue 11, item 5, with the configuration defaults: a request zone A signs for one service of
 * zone B is accepted by that service only, not by another service of the zone (per-service
 * `wimse-aud`); and a captured request can be replayed to another replica of the same service
 * (nonce caches are per process) only within the short default window, after which it is refused.
 */
const now = new Date('2026-12-05T12:00:00Z');
const frontend = 'spiffe://zone-a.example/ns/shop/sa/frontend';
const peer = 'spiffe://zone-a.example/ns/shop/sa/frontend';

let zoneA: TestZone;
let users: BasicUserStore;
let wit: string;
let workloadKey: Awaited<ReturnType<typeof testWorkloadKey>>;

beforeAll(async () => {
  [zoneA, workloadKey] = await Promise.all([testZone('zone-a.example'), testWorkloadKey()]);
  wit = await testWit(zoneA, workloadKey, { issuedAt: new Date(now.getTime() - 60_000) });
  users = await BasicUserStore.parse(`users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`);
});

const credentials = InboundCredentialMap.parse(`
mappings:
  - { workload: "${frontend}", user: alice, username: b-alice, password: "b-secret" }
`);

/** Zone B's translator config with the defaults, for a service partners call `services`. */
function zoneBConfig(services: string[]): TranslatorConfig {
  return parseConfig(translatorConfigSchema, {
    trustDomain: 'zone-b.example',
    bundleDirectory: '/bundles',
    inbound: { services },
  });
}

/** One replica of a zone B service, as start-translator builds it: its own nonce cache. */
function replica(config: TranslatorConfig, clock: ManualClock): InboundPolicy {
  return {
    verification: {
      witKeys: witKeysOf(zoneA),
      clock,
      clockSkewSeconds: config.inbound.clockSkewSeconds,
      expectedAudiences: inboundAudiences(config),
      nonceCache: new NonceCache({ maxEntries: config.inbound.nonceCacheEntries, clock }),
      maxSignatureLifetimeSeconds: config.inbound.maxSignatureLifetimeSeconds,
    },
    trustedIntermediaries: new Set(),
    credentials: () => credentials,
    identityOnly: false,
  };
}

/** Zone A's outbound translation (config defaults) of alice's request to `host`: what leaves zone A. */
async function signedByA(host: string, clock: ManualClock): Promise<HttpRequestMessage> {
  const config = parseConfig(translatorConfigSchema, {
    trustDomain: 'zone-a.example',
    bundleDirectory: '/bundles',
    outbound: {
      basicUsersFile: '/users',
      zones: [{ hostSuffix: 'zone-b', audience: 'spiffe://zone-b.example' }],
    },
    workloadIdentity: { witFile: '/wit', privateKeyFile: '/key' },
  });
  const outbound = config.outbound;
  if (outbound === undefined) throw new Error('no outbound config');
  const request: HttpRequestMessage = {
    method: 'POST',
    scheme: 'http',
    authority: `${host}:8080`,
    target: '/orders?id=1',
    headers: { 'content-type': 'application/json', authorization: basicAuthorization('alice', 'wonderland') },
    body: new TextEncoder().encode('{"qty":1}'),
  };
  const decision = await decideOutbound(request, {
    users: () => users,
    signer: () => ({
      wit,
      privateKey: workloadKey.privateKey,
      clock,
      signatureLifetimeSeconds: outbound.signatureLifetimeSeconds,
    }),
    audienceForHost: audienceResolver(outbound.zones),
  });
  if (decision.outcome !== 'allow') throw new Error(`outbound denied: ${decision.reason}`);
  const headers = Object.fromEntries(
    Object.entries({ ...request.headers, ...decision.setHeaders }).filter(
      ([name]) => !decision.removeHeaders.includes(name),
    ),
  );
  return { ...request, scheme: 'https', headers };
}

function outcomeOf(decision: Decision): string {
  return decision.outcome === 'allow' ? 'allow' : `${decision.status} ${decision.reason}`;
}

describe('binding a request to its target service (config defaults)', () => {
  it('signs for the service the Host names, and only that service of zone B accepts it', async () => {
    const clock = new ManualClock(now);
    const toOrders = await signedByA('orders.zone-b', clock);
    expect(toOrders.headers['signature-input']).toContain('wimse-aud="spiffe://zone-b.example/orders"');
    const billing = replica(zoneBConfig(['billing']), clock);
    const orders = replica(zoneBConfig(['orders', 'orders.shop']), clock);
    // The attack: a request for orders, captured and sent to billing of the same zone.
    expect(outcomeOf(await decideInbound(toOrders, peer, billing))).toBe('403 audience_mismatch');
    expect(outcomeOf(await decideInbound(toOrders, peer, orders))).toBe('allow');
    // The name with the namespace binds to the same service.
    const toOrdersShop = await signedByA('orders.shop.zone-b', clock);
    expect(outcomeOf(await decideInbound(toOrdersShop, peer, orders))).toBe('allow');
  });

  it('refuses every inbound request of a translator not told which service it fronts', async () => {
    const clock = new ManualClock(now);
    const unnamed = replica(zoneBConfig([]), clock);
    expect(inboundAudiences(zoneBConfig([]))).toEqual([]);
    expect(outcomeOf(await decideInbound(await signedByA('orders.zone-b', clock), peer, unnamed))).toBe(
      '403 audience_mismatch',
    );
  });

  it('signs nothing for a Host that names no service of the zone', async () => {
    const clock = new ManualClock(now);
    await expect(signedByA('zone-b', clock)).rejects.toThrow('outbound denied: destination_unknown');
  });
});

describe('replay to another replica of the same service (config defaults)', () => {
  it('is refused by the replica that saw the request, and by every replica once the 15 s window has passed', async () => {
    const clock = new ManualClock(now);
    const config = zoneBConfig(['orders']);
    // Defaults: signatures live 10 s, 5 s of clock skew are tolerated.
    expect(config.inbound.maxSignatureLifetimeSeconds).toBe(30);
    expect(config.inbound.clockSkewSeconds).toBe(5);
    const [first, second, third] = [replica(config, clock), replica(config, clock), replica(config, clock)];
    const captured = await signedByA('orders.zone-b', clock);
    expect(outcomeOf(await decideInbound(captured, peer, first))).toBe('allow');
    expect(outcomeOf(await decideInbound(captured, peer, first))).toBe('403 nonce_replayed');
    // The residual risk (docs/threat-model.md, T5): another replica accepts it within the window.
    clock.advance(14_000);
    expect(outcomeOf(await decideInbound(captured, peer, second))).toBe('allow');
    // Past `expires` (created + 10 s) plus the 5 s skew, no replica accepts it.
    clock.advance(2_000);
    expect(outcomeOf(await decideInbound(captured, peer, third))).toBe('403 signature_expired');
  });
});
