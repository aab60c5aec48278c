import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { componentBoundaries } from '../../eslint-component-boundaries.js';

/** ESLint with only the boundary rules, so a snippet needs no type information. */
const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    ...componentBoundaries,
  ],
});

async function violations(filePath: string, importPath: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${importPath}';\nexport const y = x;\n`, {
    filePath,
  });
  return (result?.messages ?? []).map((message) => message.ruleId ?? message.message);
}

describe('component boundaries', () => {
  it.each([
    ['translator/check-handler.ts', '../operator/envoy/sidecar-bootstrap.js'],
    ['operator/injection/inject-pod.ts', '../../contract-provider/bundle-files.js'],
    ['operator/injection/inject-pod.test.ts', '../../translator/translator-config.js'],
    ['cli/run-cli.ts', '../contract-repo/contract-service.js'],
    ['lib/kube/kube-client.ts', '../../operator/operator-config.js'],
    ['pki/pki-server.ts', '../test/support/test-zone.js'],
    ['lib/grpc/grpc-client.ts', '../../test/support/test-zone.js'],
    ['contract-repo/main.ts', '../demo/local-mesh.js'],
    ['demo/local-mesh.ts', '../test/support/test-zone.js'],
    ['operator/start-operator.ts', '@kubernetes/client-node'],
    ['lib/kube/kube-objects.ts', '@kubernetes/client-node/dist/gen/models/V1Secret.js'],
  ])('refuses %s importing %s', async (file, importPath) => {
    expect(await violations(file, importPath)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ['translator/check-handler.ts', '../lib/sidecar/sidecar-secret-names.js'],
    ['operator/injection/inject-pod.ts', '../../lib/bundle/bundle-secret-layout.js'],
    ['operator/injection/inject-pod.ts', '../mesh-workload/mesh-workload.js'],
    ['pki/pki-server.ts', '../proto/gen/accord/pki/v1/pki_pb.js'],
    ['pki/pki-authority.test.ts', '../test/support/test-zone.js'],
    ['lib/kube/conditions.test.ts', '../../test/support/manual-clock.js'],
    ['demo/local-mesh.ts', '../contract-repo/start-contract-repo.js'],
    ['test/e2e/mesh-zone.ts', '../../operator/operator-config.js'],
    ['test/kube/client-node-api.ts', '@kubernetes/client-node'],
    ['operator/start-operator.test.ts', '@kubernetes/client-node'],
  ])('allows %s importing %s', async (file, importPath) => {
    expect(await violations(file, importPath)).toEqual([]);
  });
});
