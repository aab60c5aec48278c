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
    ['a resync interval under a second', { resyncIntervalMs: 10 }, 'resyncIntervalMs'],
    [
      'a backoff cap below the initial delay',
      { backoff: { initialDelayMs: 500, maxDelayMs: 100 } },
      'backoff',
    ],
    // Events about cluster-scoped TrustContracts can only live in `default` (lib/kube).
    ['an event namespace, which cannot be chosen', { eventNamespace: 'accord' }, 'eventNamespace'],
    ['a root namespace that is not a DNS-1123 label', { rootNamespace: 'a_b' }, 'rootNamespace'],
    ['leader election without a Lease namespace', { leaderElection: {} }, 'leaderElection.namespace'],
    [
      'a renew deadline not below the lease duration',
      { leaderElection: { namespace: 'a', leaseDurationMs: 5000, renewDeadlineMs: 5000 } },
      'leaderElection.renewDeadlineMs',
    ],
    [
      'a retry period not below the renew deadline',
      { leaderElection: { namespace: 'a', renewDeadlineMs: 2000, retryPeriodMs: 2000 } },
      'leaderElection.retryPeriodMs',
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
