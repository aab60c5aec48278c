import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { parseMeshWorkload } from '../../operator/mesh-workload/mesh-workload.js';
import { readTrustContractSpec } from '../../operator/trust-contract/trust-contract-spec.js';
import { TemporaryDirectories } from '../support/temporary-directories.js';
import { accordCrdDirectory, installAccordCrds, yamlFiles } from './accord-crds.js';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server.js';
import { kubectl as runKubectl } from './kubectl.js';

const examplesDirectory = join(accordCrdDirectory, 'examples');
const invalidDirectory = join(examplesDirectory, 'invalid');

let cluster: KubeApiServer;
const temporary = new TemporaryDirectories('accord-crds');

/** kubectl as the test cluster's admin. */
const kubectl = (...args: string[]) => runKubectl(cluster.adminKubeconfig, ...args);

/** An invalid example states the API server's expected complaint on its first line: `# expect: …`. */
function expectedMessage(file: string): string {
  const firstLine = readFileSync(join(invalidDirectory, file), 'utf8').split('\n')[0] ?? '';
  const match = /^# expect: (.+)$/.exec(firstLine);
  if (match?.[1] === undefined) throw new Error(`${file}: first line must be "# expect: <message>"`);
  return match[1];
}

/**
 * Whether an invalid example says, on its second line, why only the API server refuses it
 * (`# only the API server refuses this: <reason>`): the runtime parser must then accept it.
 */
function isRefusedOnlyByApiServer(file: string): boolean {
  const secondLine = readFileSync(join(invalidDirectory, file), 'utf8').split('\n')[1] ?? '';
  return /^# only the API server refuses this: .+/.test(secondLine);
}

/**
 * What the runtime parser says about an example: the parser the webhook and the reconciler use for
 * a MeshWorkload, the spec parser the reconciler uses for a TrustContract (before it reads roots).
 * `undefined` when it accepts the object.
 */
function parserComplaint(path: string): string | undefined {
  const object = parse(readFileSync(path, 'utf8')) as { kind?: string; spec?: unknown };
  try {
    if (object.kind === 'MeshWorkload') parseMeshWorkload(object);
    else if (object.kind === 'TrustContract') readTrustContractSpec(object.spec);
    else throw new Error(`${path}: not an Accord resource`);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

beforeAll(async () => {
  cluster = await startKubeApiServer({ name: 'crds' });
  await installAccordCrds(cluster.adminKubeconfig);
  for (const namespace of ['shop', 'finance']) {
    expect(await kubectl('create', 'namespace', namespace)).toMatchObject({ code: 0 });
  }
}, 180_000);

afterAll(async () => {
  await cluster.stop();
  await temporary.removeAll();
}, 60_000);

describe('the CRDs on a real kube-apiserver', () => {
  // Each example is also read by the runtime parser (the webhook's and the reconcilers'): the
  // generated schema and the parser must agree on it, in the same words when they refuse.
  it.each(yamlFiles(examplesDirectory))(
    'accepts and stores crds/examples/%s, as the runtime parser accepts it',
    async (file) => {
      const path = join(examplesDirectory, file);
      const result = await kubectl('apply', '--server-side', '-f', path);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/serverside-applied$/);
      expect(parserComplaint(path)).toBeUndefined();
    },
  );

  it.each(yamlFiles(invalidDirectory))(
    'rejects crds/examples/invalid/%s with its message, as the runtime parser does',
    async (file) => {
      const path = join(invalidDirectory, file);
      const message = expectedMessage(file);
      const result = await kubectl('apply', '--server-side', '-f', path);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
      if (isRefusedOnlyByApiServer(file)) expect(parserComplaint(path)).toBeUndefined();
      else expect(parserComplaint(path)).toContain(message);
    },
  );

  it('stores nothing from the rejected examples', async () => {
    const stored = await kubectl('get', 'trustcontracts,meshworkloads', '-A', '-o', 'name');
    expect(stored.code).toBe(0);
    for (const file of yamlFiles(invalidDirectory)) {
      expect(stored.stdout).not.toContain(file.replace(/\.yaml$/, ''));
    }
  });

  it('keeps the participants of an applied TrustContract immutable', async () => {
    const original = readFileSync(join(examplesDirectory, 'trustcontract-three-zones.yaml'), 'utf8');
    const changed = join(await temporary.make(), 'three-zones-changed.yaml');
    await writeFile(changed, original.replace('trustDomain: zone-c.example', 'trustDomain: zone-x.example'));
    expect(
      await kubectl(
        'apply',
        '--server-side',
        '-f',
        join(examplesDirectory, 'trustcontract-three-zones.yaml'),
      ),
    ).toMatchObject({ code: 0 });
    const result = await kubectl('apply', '--server-side', '-f', changed);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('participants are immutable');
    const stored = await kubectl(
      'get',
      'trustcontract',
      'payments-partners',
      '-o',
      'jsonpath={.spec.participants[2].trustDomain}',
    );
    expect(stored).toMatchObject({ code: 0, stdout: 'zone-c.example' });
  });

  it('prints the documented columns for kubectl get', async () => {
    const contracts = await kubectl('get', 'trustcontracts');
    expect(contracts.stdout.split('\n')[0]).toMatch(/^NAME\s+STATE\s+APPROVED\s+ROTATING\s+CONTRACT\s+AGE$/);
    expect(contracts.stdout).toContain('zone-a-zone-b');
    const workloads = await kubectl('get', 'meshworkloads', '-n', 'shop');
    expect(workloads.stdout.split('\n')[0]).toMatch(/^NAME\s+PORT\s+INBOUND\s+OUTBOUND\s+PODS\s+AGE$/);
    expect(workloads.stdout).toMatch(/orders-api\s+8080\s+basic\s+basic/);
  });

  it('defaults an empty translation block to type none', async () => {
    const workload = {
      apiVersion: 'accord.dev/v1alpha1',
      kind: 'MeshWorkload',
      metadata: { name: 'defaults', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'defaults' } }, port: 9000, inbound: {}, outbound: {} },
    };
    const file = join(await temporary.make(), 'defaults.json');
    await writeFile(file, JSON.stringify(workload));
    expect(await kubectl('apply', '--server-side', '-f', file)).toMatchObject({ code: 0 });
    const stored = await kubectl(
      'get',
      'meshworkload',
      'defaults',
      '-n',
      'default',
      '-o',
      'jsonpath={.spec.inbound.type}/{.spec.outbound.type}',
    );
    expect(stored).toMatchObject({ code: 0, stdout: 'none/none' });
  });
});
