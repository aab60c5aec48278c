import { Counter, Registry } from 'prom-client';
import { silentLogger } from '../log/logger.js';
import { startOpsServer, type OpsServer } from './ops-server.js';

describe('startOpsServer', () => {
  let server: OpsServer;
  let isReady = false;
  const registry = new Registry();
  new Counter({ name: 'accord_test_events_total', help: 'Test events.', registers: [registry] }).inc(3);

  beforeAll(async () => {
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      isReady: () => isReady,
      logger: silentLogger,
    });
  });
  afterAll(() => server.close());

  const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

  it('answers /healthz with 200 while the process runs', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('answers /readyz with 503 until the component is ready, then 200', async () => {
    isReady = false;
    expect((await get('/readyz')).status).toBe(503);
    isReady = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('serves the registry in Prometheus text format on /metrics', async () => {
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('accord_test_events_total 3');
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
