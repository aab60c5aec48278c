import 'reflect-metadata';
import { request } from 'node:https';
import * as x509 from '@peculiar/x509';
import { Registry } from 'prom-client';
import { silentLogger } from '../../lib/log/logger.js';
import type { InjectionSettings } from './inject-pod.js';
import { InjectionMetrics } from './injection-metrics.js';
import type { MeshWorkload } from '../mesh-workload/mesh-workload.js';
import { issueWebhookCertificate, needsRenewal, type WebhookCertificate } from './webhook-certificate.js';
import { startWebhookServer, type WebhookServer } from './webhook-server.js';
import { ordersApiWorkload as ordersApi } from '../../test/support/test-mesh-workload.js';

const settings: InjectionSettings = {
  version: '0.1.0',
  accordNamespace: 'accord-system',
  envoy: { image: 'envoy:1', inboundPort: 15006, outboundPort: 15001 },
  translator: { image: 'accord:1' },
};

function review(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'b2f1c6e0-0000-4000-8000-000000000001',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'shop',
      object: {
        metadata: { labels: { app: 'orders-api' } },
        spec: { containers: [{ name: 'app', image: 'orders:1' }] },
      },
      ...overrides,
    },
  };
}

let certificate: WebhookCertificate;
let server: WebhookServer;
let registry: Registry;
let listMeshWorkloads: (namespace: string) => Promise<MeshWorkload[]>;

beforeAll(async () => {
  certificate = await issueWebhookCertificate(
    { dnsNames: ['webhook.test'], ipAddresses: ['127.0.0.1'] },
    new Date(),
    3_600_000,
  );
});

beforeEach(async () => {
  registry = new Registry();
  listMeshWorkloads = () => Promise.resolve([ordersApi]);
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certificate,
    listMeshWorkloads: (namespace) => listMeshWorkloads(namespace),
    settings,
    metrics: new InjectionMetrics(registry),
    logger: silentLogger,
    maxBodyBytes: 64 * 1024,
  });
});

afterEach(async () => {
  await server.close();
});

function post(
  body: string | Buffer,
  path = '/mutate-pods',
  ca = certificate.caBundlePem,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function admissions(outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('accord_injection_admissions_total')?.get();
  return metric?.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

describe('startWebhookServer', () => {
  it('answers a pod creation with allowed, the request uid and a base64 JSON patch', async () => {
    const answer = await post(JSON.stringify(review()));
    expect(answer.status).toBe(200);
    const response = (JSON.parse(answer.body) as { response: Record<string, unknown> }).response;
    expect(response).toMatchObject({
      uid: 'b2f1c6e0-0000-4000-8000-000000000001',
      allowed: true,
      patchType: 'JSONPatch',
    });
    const patch = JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8')) as {
      path: string;
    }[];
    expect(patch.map((operation) => operation.path)).toContain('/spec/initContainers');
    expect(await admissions('Injected')).toBe(1);
  });

  it('allows a pod no MeshWorkload selects without a patch', async () => {
    listMeshWorkloads = () => Promise.resolve([]);
    const response = (
      JSON.parse((await post(JSON.stringify(review()))).body) as { response: Record<string, unknown> }
    ).response;
    expect(response).toEqual({ uid: 'b2f1c6e0-0000-4000-8000-000000000001', allowed: true });
    expect(await admissions('NotSelected')).toBe(1);
  });

  it('allows anything but a pod creation untouched', async () => {
    const answer = await post(JSON.stringify(review({ operation: 'UPDATE' })));
    expect(JSON.parse(answer.body)).toMatchObject({ response: { allowed: true } });
    expect(answer.body).not.toContain('patch');
    expect(await admissions('Ignored')).toBe(1);
  });

  it.each([
    ['not JSON', '{"apiVersion":'],
    ['another API version', JSON.stringify({ ...review(), apiVersion: 'admission.k8s.io/v1beta1' })],
    ['a review without a uid', JSON.stringify(review({ uid: '' }))],
    [
      'a review without a request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
    ],
  ])('refuses %s with 400', async (_name, body) => {
    expect((await post(body)).status).toBe(400);
    expect(await admissions('Malformed')).toBe(1);
  });

  it("names fields, never the caller's values, in a 400", async () => {
    const hostile = `${'\u001b[2J'.repeat(1000)}\n${'x'.repeat(10_000)}`;
    const answer = await post(JSON.stringify({ ...review(), apiVersion: hostile, kind: hostile }));
    expect(answer.status).toBe(400);
    expect(answer.body).toBe('not an admission.k8s.io/v1 AdmissionReview (apiVersion, kind)\n');
  });

  it('refuses a body over the limit with 413', async () => {
    const answer = await post(Buffer.alloc(65 * 1024, 'a'));
    expect(answer.status).toBe(413);
    expect(await admissions('TooLarge')).toBe(1);
  });

  it('answers 404 on another path', async () => {
    expect((await post(JSON.stringify(review()), '/validate')).status).toBe(404);
  });

  it('answers 500 without a patch when the MeshWorkloads cannot be listed, leaving the decision to failurePolicy', async () => {
    listMeshWorkloads = () => Promise.reject(new Error('API server down'));
    const answer = await post(JSON.stringify(review()));
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain('API server down');
    expect(await admissions('Error')).toBe(1);
  });

  it('serves a new certificate after setCertificate, and clients trusting only the new CA connect', async () => {
    const renewed = await issueWebhookCertificate(
      { dnsNames: [], ipAddresses: ['127.0.0.1'] },
      new Date(),
      3_600_000,
      certificate.caCertificatePem,
    );
    await expect(post(JSON.stringify(review()), '/mutate-pods', renewed.caCertificatePem)).rejects.toThrow();
    server.setCertificate(renewed);
    expect((await post(JSON.stringify(review()), '/mutate-pods', renewed.caCertificatePem)).status).toBe(200);
  });
});

describe('issueWebhookCertificate', () => {
  it('names the DNS and IP SANs and keeps a still-valid previous CA in the bundle', async () => {
    const renewed = await issueWebhookCertificate(
      { dnsNames: ['accord-webhook.accord-system.svc'], ipAddresses: ['127.0.0.1'] },
      new Date(),
      3_600_000,
      certificate.caCertificatePem,
    );
    const san = new x509.X509Certificate(renewed.certificatePem).getExtension(
      x509.SubjectAlternativeNameExtension,
    );
    expect(san?.names.toJSON()).toEqual([
      { type: 'dns', value: 'accord-webhook.accord-system.svc' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
    expect(renewed.caBundlePem.startsWith(renewed.caCertificatePem)).toBe(true);
    expect(renewed.caBundlePem).toContain(certificate.caCertificatePem.trim());
  });

  it('drops an expired previous CA from the bundle', async () => {
    const later = new Date(Date.now() + 2 * 3_600_000);
    const renewed = await issueWebhookCertificate(
      { dnsNames: ['w'] },
      later,
      3_600_000,
      certificate.caCertificatePem,
    );
    expect(renewed.caBundlePem.trim()).toBe(renewed.caCertificatePem.trim());
  });
});

describe('needsRenewal', () => {
  const notAfter = new Date('2026-03-01T00:00:00Z');
  it.each([
    ['well before the window', '2026-01-01T00:00:00Z', false],
    ['inside the window', '2026-02-20T00:00:00Z', true],
    ['after expiry', '2026-03-02T00:00:00Z', true],
  ])('%s', (_name, now, expected) => {
    expect(needsRenewal({ notAfter }, new Date(now), 30 * 24 * 3_600_000)).toBe(expected);
  });
});
