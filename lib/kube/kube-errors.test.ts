import { isKubeStatus, KubeApiError, kubeErrorReason, KubeStatus } from './kube-errors.js';

describe('isKubeStatus', () => {
  it('matches an API error with that status only', () => {
    const conflict = new KubeApiError(409, '{"reason":"AlreadyExists"}', 'POST /api/v1/namespaces/a/secrets');
    expect(isKubeStatus(conflict, KubeStatus.conflict)).toBe(true);
    expect(isKubeStatus(conflict, KubeStatus.notFound)).toBe(false);
    expect(isKubeStatus(new Error('409'), KubeStatus.conflict)).toBe(false);
  });
});

describe('kubeErrorReason', () => {
  it('gives the HTTP status and the Status message of an API error, else the error message', () => {
    const forbidden = new KubeApiError(
      403,
      JSON.stringify({ kind: 'Status', message: 'secrets "ca" is forbidden' }),
      'GET /api/v1/namespaces/accord/secrets/ca',
    );
    expect(kubeErrorReason(forbidden)).toBe('HTTP 403: secrets "ca" is forbidden');
    expect(forbidden.message).toBe(
      'GET /api/v1/namespaces/accord/secrets/ca: HTTP 403: secrets "ca" is forbidden',
    );
    expect(kubeErrorReason(new KubeApiError(500, 'not json', 'GET /x'))).toBe('HTTP 500: no message');
    expect(kubeErrorReason(new Error('connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
  });
});
