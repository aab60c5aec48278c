import { hostname } from 'node:os';
import { parseConfig } from '../lib/config/load-config.js';
import { operatorConfigSchema } from './operator-config.js';
import { requiredOperatorConfig } from '../test/operator/operator-config-fixture.js';

const required = requiredOperatorConfig;

describe('operatorConfigSchema', () => {
  it('fills every default when only the required fields are given', () => {
    const config = parseConfig(operatorConfigSchema, required);
    expect(config).toMatchObject({
      repositoryServerId: '',
      resyncIntervalMs: 60_000,
      backoff: { initialDelayMs: 250, maxDelayMs: 30_000 },
      ops: { host: '127.0.0.1', port: 9093 },
      log: { level: 'info', format: 'json' },
      leaderElection: {
        enabled: true,
        namespace: 'accord-system',
        leaseName: 'accord-operator',
        leaseDurationMs: 10_000,
        renewDeadlineMs: 7000,
        retryPeriodMs: 2000,
      },
    });
    expect(config.leaderElection.identity).toBe(hostname());
    expect(config.leaderElection.identity).not.toBe('');
    expect(config.rootNamespace).toBeUndefined();
    expect(config.kubeconfig).toBeUndefined();
  });

  it('takes the leader identity from the config when it names one', () => {
    const config = parseConfig(operatorConfigSchema, {
      ...required,
      leaderElection: { namespace: 'accord-system', identity: 'operator-0' },
    });
    expect(config.leaderElection.identity).toBe('operator-0');
  });

  it('reads durations the way Kubernetes writes them and keeps them in milliseconds', () => {
    const config = parseConfig(operatorConfigSchema, {
      ...required,
      leaderElection: {
        namespace: 'accord-system',
        leaseDuration: '15s',
        renewDeadline: '10s',
        retryPeriod: '1.5s',
      },
      resyncInterval: '1h30m',
      backoff: { initialDelay: '100ms', maxDelay: '1m' },
      injection: {
        namespace: 'accord-system',
        envoy: { image: 'envoy' },
        translator: { image: 'accord' },
        certificateValidity: '720h',
        certificateCheckInterval: '10m',
      },
    });
    expect(config.leaderElection).toMatchObject({
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 1500,
    });
    expect(config.resyncIntervalMs).toBe(5_400_000);
    expect(config.backoff).toEqual({ initialDelayMs: 100, maxDelayMs: 60_000 });
    expect(config.injection).toMatchObject({
      certificateValidityMs: 720 * 3_600_000,
      certificateCheckIntervalMs: 600_000,
    });
  });

  it('needs no Lease namespace when leader election is disabled', () => {
    const config = parseConfig(operatorConfigSchema, { ...required, leaderElection: { enabled: false } });
    expect(config.leaderElection.enabled).toBe(false);
  });

  it('accepts a zone name, a root namespace and a kubeconfig', () => {
    const config = parseConfig(operatorConfigSchema, {
      ...required,
      zone: { name: 'zone-a', trustDomain: 'zone-a.example' },
      rootNamespace: 'accord-system',
      kubeconfig: '/etc/kubeconfig',
    });
    expect(config.zone).toEqual({ name: 'zone-a', trustDomain: 'zone-a.example' });
    expect(config.rootNamespace).toBe('accord-system');
  });

  it.each([
    ['no trust domain', { zone: {} }, 'zone.trustDomain'],
    ['an address without a port', { repositoryAddress: 'localhost' }, 'repositoryAddress'],
    ['an unknown field', { namespace: 'x' }, 'namespace'],
    ['an unknown zone field', { zone: { trustDomain: 'a', domain: 'b' } }, 'zone'],
    ['a resync interval under a second', { resyncInterval: '10ms' }, 'resyncInterval: must be at least 1s'],
    ['a resync interval in the old field, in milliseconds', { resyncIntervalMs: 10_000 }, 'resyncIntervalMs'],
    [
      'a backoff cap below the initial delay',
      { backoff: { initialDelay: '500ms', maxDelay: '100ms' } },
      'backoff.maxDelay: must be at least initialDelay',
    ],
    [
      'a certificate validity under an hour',
      {
        injection: {
          namespace: 'accord-system',
          envoy: { image: 'envoy' },
          translator: { image: 'accord' },
          certificateValidity: '59m',
        },
      },
      'injection.certificateValidity: must be at least 1h',
    ],
    // Events about cluster-scoped TrustContracts can only live in `default` (lib/kube).
    ['an event namespace, which cannot be chosen', { eventNamespace: 'accord' }, 'eventNamespace'],
    ['a root namespace that is not a DNS-1123 label', { rootNamespace: 'a_b' }, 'rootNamespace'],
    ['leader election without a Lease namespace', { leaderElection: {} }, 'leaderElection.namespace'],
    [
      'a renew deadline not below the lease duration',
      { leaderElection: { namespace: 'a', leaseDuration: '5s', renewDeadline: '5000ms' } },
      'leaderElection.renewDeadline: must be less than leaseDuration',
    ],
    [
      'a retry period not below the renew deadline',
      { leaderElection: { namespace: 'a', renewDeadline: '2s', retryPeriod: '2s' } },
      'leaderElection.retryPeriod: must be less than renewDeadline',
    ],
    [
      'an unknown leader election field',
      { leaderElection: { namespace: 'a', lease: 'x' } },
      'leaderElection',
    ],
    ['an unknown log format', { log: { format: 'xml' } }, 'log.format'],
  ])('rejects %s, naming the field', (_, override, field) => {
    expect(() => parseConfig(operatorConfigSchema, { ...required, ...override })).toThrow(field);
  });
});
