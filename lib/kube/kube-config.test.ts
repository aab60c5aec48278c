import {
  InvalidKubeConfigError,
  loadKubeConnectionSettings,
  parseKubeconfig,
  serviceAccountDirectory,
  type KubeConfigSources,
} from './kube-config.js';

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Sources over an in-memory file system. */
function sources(
  files: Record<string, string>,
  env: Record<string, string | undefined> = {},
): KubeConfigSources {
  return {
    env,
    homeDirectory: '/home/me',
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    fileExists: (path) => path in files,
  };
}

/** A kubeconfig document (JSON is YAML) with one context, overridable per field. */
function kubeconfig(
  cluster: Record<string, unknown>,
  user: Record<string, unknown> | null,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
    ...extra,
  });
}

describe('parseKubeconfig', () => {
  it('reads embedded certificates, key and CA of the current context', () => {
    const settings = parseKubeconfig(
      kubeconfig(
        { 'certificate-authority-data': base64('CA'), 'tls-server-name': 'kubernetes' },
        { 'client-certificate-data': base64('CERT'), 'client-key-data': base64('KEY') },
      ),
      '/etc/kube/config',
      sources({}),
    );
    expect(settings).toEqual({
      server: 'https://127.0.0.1:6443',
      caPem: 'CA',
      clientCertificatePem: 'CERT',
      clientKeyPem: 'KEY',
      isServerCertificateUnchecked: false,
      tlsServerName: 'kubernetes',
    });
  });

  it('resolves file references against the kubeconfig’s directory, as client-go does', () => {
    const files = { '/etc/kube/ca.pem': 'CA', '/etc/kube/pki/cert.pem': 'CERT', '/keys/key.pem': 'KEY' };
    const settings = parseKubeconfig(
      kubeconfig(
        { 'certificate-authority': 'ca.pem' },
        { 'client-certificate': 'pki/cert.pem', 'client-key': '/keys/key.pem', tokenFile: 'token' },
      ),
      '/etc/kube/config',
      sources(files),
    );
    expect(settings).toMatchObject({
      caPem: 'CA',
      clientCertificatePem: 'CERT',
      clientKeyPem: 'KEY',
      bearerToken: { kind: 'file', path: '/etc/kube/token' },
    });
  });

  it('takes a static token, trims a trailing slash of the server and honours insecure-skip-tls-verify', () => {
    expect(
      parseKubeconfig(
        kubeconfig(
          { server: 'https://api.example:443/', 'insecure-skip-tls-verify': true },
          { token: 't0k3n' },
        ),
        '/k',
        sources({}),
      ),
    ).toEqual({
      server: 'https://api.example:443',
      bearerToken: { kind: 'static', token: 't0k3n' },
      isServerCertificateUnchecked: true,
    });
  });

  it.each<[string, string, RegExp]>([
    [
      'an exec plugin',
      kubeconfig({}, { exec: { command: 'aws' } }),
      /users\[\]\.user\.exec is not supported/,
    ],
    [
      'an auth provider',
      kubeconfig({}, { 'auth-provider': { name: 'gcp' } }),
      /auth-provider is not supported/,
    ],
    ['basic authentication', kubeconfig({}, { username: 'admin', password: 'x' }), /basic authentication/],
    ['a proxy', kubeconfig({ 'proxy-url': 'http://proxy:3128' }, {}), /proxy-url is not supported/],
    ['a plain-HTTP server', kubeconfig({ server: 'http://127.0.0.1:8080' }, {}), /server must be https:\/\//],
    [
      'a certificate without its key',
      kubeconfig({}, { 'client-certificate-data': base64('CERT') }),
      /a client certificate needs its key/,
    ],
    ['no current context', kubeconfig({}, {}, { 'current-context': '' }), /has no current-context/],
    [
      'a context naming no cluster',
      kubeconfig({}, {}, { 'current-context': 'other' }),
      /has no context named other/,
    ],
    [
      'a missing CA file',
      kubeconfig({ 'certificate-authority': 'ca.pem' }, {}),
      /cannot read certificate-authority of \/k \(\/ca\.pem\)/,
    ],
    ['no server', JSON.stringify({ clusters: [{ name: 'c', cluster: {} }] }), /clusters\.0\.cluster\.server/],
    ['text that is not YAML', '{ clusters: [', /is not YAML/],
  ])('refuses %s with a precise error', (_case, text, message) => {
    const parse = () => parseKubeconfig(text, '/k', sources({}));
    expect(parse).toThrow(InvalidKubeConfigError);
    expect(parse).toThrow(message);
  });

  it('accepts a user with no credentials (an empty user entry)', () => {
    expect(parseKubeconfig(kubeconfig({}, null), '/k', sources({}))).toEqual({
      server: 'https://127.0.0.1:6443',
      isServerCertificateUnchecked: false,
    });
  });
});

describe('loadKubeConnectionSettings', () => {
  const inPod = {
    [`${serviceAccountDirectory}/token`]: 'projected',
    [`${serviceAccountDirectory}/ca.crt`]: 'CLUSTER CA',
  };

  it('uses the named file first, even in a pod', () => {
    const files = { ...inPod, '/cfg': kubeconfig({}, { token: 'file' }) };
    expect(
      loadKubeConnectionSettings('/cfg', sources(files, { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).bearerToken,
    ).toEqual({ kind: 'static', token: 'file' });
  });

  it('uses the pod’s ServiceAccount in a pod: its CA and its token file, re-read by the client', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadKubeConnectionSettings(undefined, sources(inPod, env))).toEqual({
      server: 'https://10.0.0.1:443',
      caPem: 'CLUSTER CA',
      bearerToken: { kind: 'file', path: `${serviceAccountDirectory}/token` },
      isServerCertificateUnchecked: false,
    });
  });

  it('brackets an IPv6 service host', () => {
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadKubeConnectionSettings(undefined, sources(inPod, env)).server).toBe('https://[fd00::1]:443');
  });

  it('falls back to the first file of KUBECONFIG, then to ~/.kube/config', () => {
    const files = {
      '/a': kubeconfig({}, { token: 'from-env' }),
      '/home/me/.kube/config': kubeconfig({}, { token: 'from-home' }),
    };
    expect(
      loadKubeConnectionSettings(undefined, sources(files, { KUBECONFIG: '/a:/b' })).bearerToken,
    ).toEqual({
      kind: 'static',
      token: 'from-env',
    });
    expect(loadKubeConnectionSettings(undefined, sources(files)).bearerToken).toEqual({
      kind: 'static',
      token: 'from-home',
    });
  });

  it('says where it looked when there is no kubeconfig at all', () => {
    expect(() => loadKubeConnectionSettings(undefined, sources({}))).toThrow(
      /no kubeconfig: not in a pod .* and \/home\/me\/\.kube\/config does not exist/,
    );
  });
});
