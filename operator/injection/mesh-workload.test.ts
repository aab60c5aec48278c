import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseMeshWorkload } from './mesh-workload.js';

function example(name: string): unknown {
  return parse(readFileSync(new URL(`../../crds/examples/${name}`, import.meta.url), 'utf8'));
}

describe('parseMeshWorkload', () => {
  it.each([
    ['meshworkload-basic.yaml', 'orders-api', 'shop', 8080],
    ['meshworkload-identity-only.yaml', 'echo', 'default', 8080],
    ['meshworkload-oidc.yaml', 'billing', 'finance', 8443],
  ])('reads the example %s', (file, name, namespace, port) => {
    expect(parseMeshWorkload(example(file))).toMatchObject({ name, namespace, port });
  });

  it.each([
    ['an empty selector', { selector: {}, port: 8080 }, /selects nothing/],
    ['a port out of range', { selector: { matchLabels: { app: 'a' } }, port: 70000 }, /spec\.port/],
    [
      'an unknown operator',
      { selector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] }, port: 1 },
      /operator/,
    ],
  ])('refuses %s', (_name, spec, message) => {
    expect(() => parseMeshWorkload({ metadata: { name: 'w', namespace: 'n' }, spec })).toThrow(message);
  });
});
