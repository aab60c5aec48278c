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

  it('reads the credential settings of the examples', () => {
    expect(parseMeshWorkload(example('meshworkload-identity-only.yaml'))).toMatchObject({
      inbound: { type: 'none' },
      outbound: { type: 'none' },
    });
    expect(parseMeshWorkload(example('meshworkload-basic.yaml'))).toMatchObject({
      inbound: { type: 'basic', usersSecretName: 'orders-api-inbound-users' },
      outbound: { type: 'basic', usersSecretName: 'orders-api-outbound-users' },
    });
    expect(parseMeshWorkload(example('meshworkload-oidc.yaml'))).toMatchObject({
      inbound: {
        type: 'oidc',
        issuer: 'https://login.finance.example/realms/internal',
        audience: 'billing',
        signingKeySecretName: 'billing-token-signing-key',
        keyId: 'accord-2026',
        mappingsSecretName: 'billing-inbound-subjects',
      },
      outbound: {
        type: 'oidc',
        jwksUri: 'https://login.finance.example/realms/internal/protocol/openid-connect/certs',
      },
    });
  });

  it.each([
    [
      'an empty selector',
      { selector: {}, port: 8080 },
      /^MeshWorkload n\/w: spec\.selector: Invalid value: "object": selector must have matchLabels or matchExpressions/,
    ],
    ['a port out of range', { selector: { matchLabels: { app: 'a' } }, port: 70000 }, /spec\.port/],
    [
      'an unknown operator',
      { selector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] }, port: 1 },
      /operator/,
    ],
    [
      'basic without its settings',
      { selector: { matchLabels: { app: 'a' } }, port: 1, inbound: { type: 'basic' } },
      /spec\.inbound: Invalid value: "object": set exactly the settings of the chosen type/,
    ],
    [
      'an http issuer',
      {
        selector: { matchLabels: { app: 'a' } },
        port: 1,
        outbound: { type: 'oidc', oidc: { issuer: 'http://x', audience: 'a', jwksUri: 'https://x/j' } },
      },
      /spec\.outbound\.oidc\.issuer/,
    ],
  ])('refuses %s', (_name, spec, message) => {
    expect(() => parseMeshWorkload({ metadata: { name: 'w', namespace: 'n' }, spec })).toThrow(message);
  });
});
