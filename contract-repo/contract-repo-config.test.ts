import { InvalidConfigError, parseConfig } from '../lib/config/load-config.js';
import { contractRepoConfigSchema } from './contract-repo-config.js';

const required = {
  enrolledZones: [{ trustDomain: 'zone-a.example', rootCaFile: '/etc/accord/zones/zone-a.pem' }],
  tls: { certificateFile: '/etc/accord/tls/svid.pem', privateKeyFile: '/etc/accord/tls/svid-key.pem' },
};

const parse = (storage: Record<string, unknown>) =>
  parseConfig(contractRepoConfigSchema, { ...required, ...storage });

describe('contractRepoConfigSchema storage', () => {
  it('accepts a data directory alone', () => {
    const config = parse({ dataDir: '/var/lib/accord/contract-repo' });
    expect(config.dataDir).toBe('/var/lib/accord/contract-repo');
    expect(config.kubernetesStore).toBeUndefined();
  });

  it('accepts a Kubernetes store alone, names its log accord-audit and follows it every 500 ms by default', () => {
    const config = parse({ kubernetesStore: { namespace: 'accord-system' } });
    expect(config.kubernetesStore).toEqual({
      namespace: 'accord-system',
      logName: 'accord-audit',
      followIntervalMs: 500,
    });
    expect(config.dataDir).toBeUndefined();
  });

  it('reads its intervals and clock skew as durations', () => {
    const config = parse({
      kubernetesStore: { namespace: 'accord-system', followInterval: '250ms' },
      reloadInterval: '1m',
      limits: { maxApprovalClockSkew: '2m' },
    });
    expect(config.kubernetesStore?.followIntervalMs).toBe(250);
    expect(config.reloadIntervalSeconds).toBe(60);
    expect(config.limits.maxApprovalClockSkewSeconds).toBe(120);
    expect(parse({ dataDir: '/data' })).toMatchObject({
      reloadIntervalSeconds: 30,
      limits: { maxApprovalClockSkewSeconds: 300 },
    });
  });

  const refusals: { name: string; storage: Record<string, unknown>; message: RegExp }[] = [
    {
      name: 'both a data directory and a Kubernetes store',
      storage: { dataDir: '/data', kubernetesStore: { namespace: 'accord-system' } },
      message: /dataDir: set exactly one of dataDir \(file store\) or kubernetesStore/,
    },
    {
      name: 'neither a data directory nor a Kubernetes store',
      storage: {},
      message: /dataDir: set exactly one of dataDir \(file store\) or kubernetesStore/,
    },
    {
      name: 'a misspelt Kubernetes store field',
      storage: { kubernetesStore: { namespace: 'accord-system', logname: 'x' } },
      message: /kubernetesStore: Unrecognized key: "logname"/,
    },
    {
      name: 'a log name that is not a DNS label',
      storage: { kubernetesStore: { namespace: 'accord-system', logName: 'Audit_Log' } },
      message: /kubernetesStore\.logName: must be a DNS label/,
    },
    {
      name: 'a follow interval below 50 ms',
      storage: { kubernetesStore: { namespace: 'accord-system', followInterval: '10ms' } },
      message: /kubernetesStore\.followInterval: must be at least 50ms, got 10ms/,
    },
    {
      name: 'a follow interval over a minute',
      storage: { kubernetesStore: { namespace: 'accord-system', followInterval: '1m0.5s' } },
      message: /kubernetesStore\.followInterval: must be at most 1m/,
    },
    {
      name: 'a reload interval finer than a second',
      storage: { dataDir: '/data', reloadInterval: '2500ms' },
      message: /reloadInterval: must be a whole number of seconds/,
    },
    {
      name: 'an unknown field, which the repository used to ignore',
      storage: { dataDir: '/data', reloadIntervalSeconds: 30 },
      message: /Unrecognized key: "reloadIntervalSeconds"/,
    },
    {
      name: 'a Kubernetes store without a namespace',
      storage: { kubernetesStore: {} },
      message: /kubernetesStore\.namespace: /,
    },
  ];

  it.each(refusals)('refuses $name', ({ storage, message }) => {
    expect(() => parse(storage)).toThrow(InvalidConfigError);
    expect(() => parse(storage)).toThrow(message);
  });
});
