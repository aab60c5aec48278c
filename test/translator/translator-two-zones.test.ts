import { basicAuthorization } from '../../translator/basic-credentials.js';
import type { ExtAuthzTransport } from '../../operator/envoy/sidecar-bootstrap.js';
import { startTwoZoneChain, type TwoZoneChain } from './two-zone-chain.js';

// The whole data path on loopback with two real Envoys: a legacy client in zone A that only knows
// Basic credentials of zone A -> Envoy A (outbound, ext_authz: Basic -> WIT + WIMSE signature) ->
// mTLS -> Envoy B (inbound, ext_authz: verify -> zone B's Basic credentials) -> zone B's app.
// Once per ext_authz transport: the HTTP service the sidecars use, and gRPC Authorization/Check.
jest.setTimeout(60_000);

describe.each<ExtAuthzTransport>(['http', 'grpc'])(
  'zone A Basic client -> Envoy A -> Envoy B -> zone B Basic API, ext_authz over %s',
  (transport) => {
    let chain: TwoZoneChain;

    beforeAll(async () => {
      chain = await startTwoZoneChain({ name: 'translator-two-zones', transport });
    });

    afterAll(async () => {
      await chain.close();
    });

    beforeEach(() => {
      chain.appCalls.length = 0;
    });

    it("delivers alice's request and zone B's app sees its own Basic credentials for her", async () => {
      const response = await chain.callZoneB(basicAuthorization('alice', 'wonderland'));
      expect(response.status).toBe(200);
      expect(chain.appCalls).toMatchObject([
        { authorization: basicAuthorization('orders-alice', 'b-secret'), user: 'alice', body: '{"qty":1}' },
      ]);
    });

    it('delivers a binary (non-UTF-8) body end to end, and the app receives the exact bytes', async () => {
      const body = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]);
      const response = await chain.callZoneB(basicAuthorization('alice', 'wonderland'), body);
      expect(response.status).toBe(200);
      expect(chain.appCalls).toHaveLength(1);
      expect(chain.appCalls[0]?.bodyBytes.equals(Buffer.from(body))).toBe(true);
    });

    it('answers 401 in zone A for a wrong password, and nothing reaches zone B', async () => {
      expect((await chain.callZoneB(basicAuthorization('alice', 'queen'))).status).toBe(401);
      expect((await chain.callZoneB(undefined)).status).toBe(401);
      expect(chain.appCalls).toHaveLength(0);
    });
  },
);
