import { basicAuthorization } from '../../translator/basic-credentials.js';
import type { ExtAuthzTransport } from '../../operator/envoy/sidecar-bootstrap.js';
import { startEnvoyIngressGateway, type EnvoyGatewayTampering } from './envoy-ingress-gateway.js';
import {
  startNodeIngressGateway,
  type NodeIngressGateway,
  type RelayedRequest,
} from './node-ingress-gateway.js';
import { frontendPath, startTwoZoneChain, type TwoZoneChain, type ZoneHopContext } from './two-zone-chain.js';
import { peerHeader } from '../../lib/ext-authz/http-ext-authz-contract.js';

// Issue 4, through a TLS-terminating proxy between the zones: zone A's Basic client -> Envoy A
// (outbound, translator A) -> zone B's ingress gateway (terminates zone A's mTLS, re-originates
// mTLS as spiffe://zone-b.example/ingress, passes headers through) -> Envoy B (inbound,
// translator B) -> zone B's app. Zone B accepts the relayed request only from a trusted
// intermediary, and only as zone A signed it: a gateway that changes the method, path, body or
// identity header, or replays the request, is refused with 403. The tampering cases run over both
// ext_authz transports (HTTP, what sidecars use, and gRPC); the rest over HTTP.
jest.setTimeout(60_000);

const ingressPath = '/ingress';
const ingressId = `spiffe://zone-b.example${ingressPath}`;
const alice = basicAuthorization('alice', 'wonderland');

/** Starts the Node gateway test double with the zone-B ingress SVID; `onStart` receives it. */
function nodeGateway(onStart: (gateway: NodeIngressGateway) => void) {
  return async (context: ZoneHopContext) => {
    const gateway = await startNodeIngressGateway({
      svid: await context.caB.issue(ingressPath),
      downstreamRootPem: context.caA.rootPem,
      upstreamRootPem: context.caB.rootPem,
      upstreamPort: context.envoyBPort,
    });
    onStart(gateway);
    return gateway;
  };
}

describe.each<ExtAuthzTransport>(['http', 'grpc'])(
  'through a Node ingress gateway that zone B trusts, ext_authz over %s',
  (transport) => {
    let chain: TwoZoneChain;
    let gateway: NodeIngressGateway;

    beforeAll(async () => {
      chain = await startTwoZoneChain({
        name: 'translator-intermediary-trusted',
        transport,
        trustedIntermediaries: [ingressId],
        startHop: nodeGateway((started) => (gateway = started)),
      });
    });

    afterAll(async () => {
      await chain.close();
    });

    beforeEach(() => {
      chain.appCalls.length = 0;
      gateway.captured.length = 0;
      gateway.relay = (request) => request;
    });

    it("delivers alice's relayed request, and zone B's app sees its own Basic credentials for her", async () => {
      expect((await chain.callZoneB(alice)).status).toBe(200);
      expect(gateway.captured).toHaveLength(1);
      expect(chain.appCalls).toMatchObject([
        {
          method: 'POST',
          path: '/orders?id=1',
          authorization: basicAuthorization('orders-alice', 'b-secret'),
          user: 'alice',
          body: '{"qty":1}',
        },
      ]);
    });

    const tampering: [string, string, (request: RelayedRequest) => RelayedRequest][] = [
      ['changes the method', 'signature_mismatch', (request) => ({ ...request, method: 'PUT' })],
      ['rewrites the path', 'signature_mismatch', (request) => ({ ...request, path: '/orders?id=2' })],
      [
        'overwrites the accord-user identity header',
        'signature_mismatch',
        (request) => ({ ...request, headers: { ...request.headers, 'accord-user': 'mallory' } }),
      ],
      [
        'modifies the body',
        'digest_mismatch',
        (request) => ({ ...request, body: Buffer.from('{"qty":100}') }),
      ],
    ];
    it.each(tampering)(
      'refuses the request with 403 when the gateway %s, counted as %s',
      async (_, reason, relay) => {
        gateway.relay = relay;
        const before = await chain.inboundDecisionsB(reason);
        expect((await chain.callZoneB(alice)).status).toBe(403);
        expect(chain.appCalls).toHaveLength(0);
        expect(await chain.inboundDecisionsB(reason)).toBe(before + 1);
      },
    );

    it('refuses with 403 a request the gateway captured and replays, counted as nonce_replayed', async () => {
      expect((await chain.callZoneB(alice)).status).toBe(200);
      const [captured] = gateway.captured;
      if (captured === undefined) throw new Error('the gateway captured nothing');
      const before = await chain.inboundDecisionsB('nonce_replayed');
      expect(await gateway.resend(captured)).toBe(403);
      expect(chain.appCalls).toHaveLength(1);
      expect(await chain.inboundDecisionsB('nonce_replayed')).toBe(before + 1);
    });
  },
);

describe('through the same Node ingress gateway when zone B does not trust it', () => {
  let chain: TwoZoneChain;
  let gateway: NodeIngressGateway;

  beforeAll(async () => {
    chain = await startTwoZoneChain({
      name: 'translator-intermediary-untrusted',
      startHop: nodeGateway((started) => (gateway = started)),
    });
  });

  afterAll(async () => {
    await chain.close();
  });

  it('refuses the honestly relayed request with 403, counted as peer_not_allowed', async () => {
    expect((await chain.callZoneB(alice)).status).toBe(403);
    expect(chain.appCalls).toHaveLength(0);
    expect(await chain.inboundDecisionsB('peer_not_allowed')).toBe(1);
  });

  it(`refuses with 403 a relayed request whose gateway claims to be zone A's caller in ${peerHeader}`, async () => {
    // Over the HTTP ext_authz transport, Envoy B tells the translator the mTLS peer in this header;
    // Envoy's own value (the gateway's verified SVID) replaces the forged one.
    gateway.relay = (request) => ({
      ...request,
      headers: { ...request.headers, [peerHeader]: `spiffe://zone-a.example${frontendPath}` },
    });
    const before = await chain.inboundDecisionsB('peer_not_allowed');
    expect((await chain.callZoneB(alice)).status).toBe(403);
    expect(chain.appCalls).toHaveLength(0);
    expect(await chain.inboundDecisionsB('peer_not_allowed')).toBe(before + 1);
    expect(await chain.inboundDecisionsB('ok')).toBe(0);
  });
});

describe('through a real Envoy ingress gateway', () => {
  const throughEnvoyGateway = (tampering: EnvoyGatewayTampering = {}, trustedIntermediaries = [ingressId]) =>
    startTwoZoneChain({
      name: 'translator-intermediary-envoy',
      trustedIntermediaries,
      startHop: (context) => startEnvoyIngressGateway(context, ingressPath, tampering),
    });

  it("delivers alice's request relayed by a trusted gateway, and zone B's app sees its own Basic credentials for her", async () => {
    const chain = await throughEnvoyGateway();
    try {
      expect((await chain.callZoneB(alice)).status).toBe(200);
      expect(chain.appCalls).toMatchObject([
        {
          path: '/orders?id=1',
          authorization: basicAuthorization('orders-alice', 'b-secret'),
          user: 'alice',
          body: '{"qty":1}',
        },
      ]);
      expect(await chain.inboundDecisionsB('ok')).toBe(1);
    } finally {
      await chain.close();
    }
  });

  it('refuses with 403 the honestly relayed request when zone B does not trust the gateway', async () => {
    const chain = await throughEnvoyGateway({}, []);
    try {
      expect((await chain.callZoneB(alice)).status).toBe(403);
      expect(chain.appCalls).toHaveLength(0);
      expect(await chain.inboundDecisionsB('peer_not_allowed')).toBe(1);
    } finally {
      await chain.close();
    }
  });

  const tampering: [string, EnvoyGatewayTampering][] = [
    ['rewrites the path (prefix_rewrite)', { prefixRewrite: '/admin/' }],
    [
      'overwrites the accord-user header (request_headers_to_add)',
      { overwriteHeaders: { 'accord-user': 'mallory' } },
    ],
  ];
  it.each(tampering)('refuses with 403 a request whose trusted gateway %s', async (_, config) => {
    const chain = await throughEnvoyGateway(config);
    try {
      expect((await chain.callZoneB(alice)).status).toBe(403);
      expect(chain.appCalls).toHaveLength(0);
      expect(await chain.inboundDecisionsB('signature_mismatch')).toBe(1);
    } finally {
      await chain.close();
    }
  });
});
