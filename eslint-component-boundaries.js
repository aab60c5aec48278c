// Which folder may import which (docs/architecture.md, "Dependency rules"). The six daemons share
// code only through lib/ and proto/; lib/ is the ground and imports no daemon; product code never
// imports tests, the demo or the benchmarks. Imports are relative, so a path that climbs out of its
// folder (`../`, `../../`) into a named top-level folder is what each rule matches.

/** The six daemons: each its own deployable, none importing another. */
export const daemons = ['pki', 'contract-repo', 'contract-provider', 'operator', 'translator', 'cli'];

/** An import pattern matching a climb into any of `folders`. */
function into(folders, message) {
  return { regex: `^(\\.\\./)+(${folders.join('|')})/`, message };
}

const notTestCode = into(['test'], 'product code never imports test code');

/**
 * Product code talks to Kubernetes through lib/kube's own client: loading @kubernetes/client-node
 * costs a process about 68 MB and every call a TLS handshake (bench/RESULTS.md, issue 13). Tests
 * may use it, as a second client beside Accord's.
 */
const notClientNode = {
  regex: '^@kubernetes/client-node($|/)',
  message: "product code uses lib/kube's client (kube-client.ts), not @kubernetes/client-node",
};

/**
 * Two blocks per folder: its rules for every file, then the same plus "no test code" and "no
 * client-node" for its product files. (A later flat-config block replaces a rule's options, so the second block
 * repeats the first's patterns.)
 */
function folderRules(folder, patterns) {
  const files = [`${folder}/**/*.ts`];
  return [
    { files, rules: { 'no-restricted-imports': ['error', { patterns }] } },
    {
      files,
      ignores: ['**/*.test.ts'],
      rules: { 'no-restricted-imports': ['error', { patterns: [...patterns, notTestCode, notClientNode] }] },
    },
  ];
}

/** Flat-config blocks enforcing the dependency rules. */
export const componentBoundaries = [
  ...daemons.flatMap((daemon) =>
    folderRules(daemon, [
      into(
        daemons.filter((other) => other !== daemon),
        'a daemon imports only lib/ and proto/: move what two daemons share into lib/',
      ),
      into(['demo', 'bench'], 'a daemon never imports the demo or the benchmarks'),
    ]),
  ),
  ...folderRules('lib', [
    into([...daemons, 'demo', 'bench'], 'lib/ is the ground: it imports only lib/ and proto/'),
  ]),
  ...folderRules('demo', [into(['bench'], 'the demo never imports the benchmarks')]),
];
