import { ApiException } from '@kubernetes/client-node';
import { isKubeStatus, kubeErrorReason, KubeStatus } from './kube-errors.js';

describe('isKubeStatus', () => {
  it('matches an API exception with that status only', () => {
    const conflict = new ApiException(409, 'AlreadyExists', {}, {});
    expect(isKubeStatus(conflict, KubeStatus.conflict)).toBe(true);
    expect(isKubeStatus(conflict, KubeStatus.notFound)).toBe(false);
    expect(isKubeStatus(new Error('409'), KubeStatus.conflict)).toBe(false);
  });
});

describe('kubeErrorReason', () => {
  it('gives the HTTP status and the Status message of an API error, else the error message', () => {
    const forbidden = new ApiException(
      403,
      'Forbidden',
      JSON.stringify({ kind: 'Status', message: 'secrets "ca" is forbidden' }),
      {},
    );
    expect(kubeErrorReason(forbidden)).toBe('HTTP 403: secrets "ca" is forbidden');
    expect(kubeErrorReason(new ApiException(500, 'x', 'not json', {}))).toBe('HTTP 500: no message');
    expect(kubeErrorReason(new Error('connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
  });
});
