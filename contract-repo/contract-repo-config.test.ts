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
      storage: { kubernetesStore: { namespace: 'accord-system', followIntervalMs: 10 } },
      message: /kubernetesStore\.followIntervalMs: /,
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
