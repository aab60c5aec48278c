/** The fields an `OperatorConfig` must set (everything else has a default), for config tests. */
export const requiredOperatorConfig = {
  zone: { trustDomain: 'zone-a.example' },
  repositoryAddress: '127.0.0.1:8443',
  repositoryCaFile: 'hub-ca.pem',
  pkiAddress: '127.0.0.1:8444',
  pkiCaFile: 'zone-a-ca.pem',
  bootstrapTokenFile: 'token',
  leaderElection: { namespace: 'accord-system' },
};
