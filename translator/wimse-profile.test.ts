import type { HttpRequestMessage } from './http-message.js';
import {
  forbiddenSignatureParameters,
  requiredComponents,
  signResponseParameter,
  wimseSignatureLabel,
  wimseTag,
  workloadIdentityTokenHeader,
} from './wimse-profile.js';

function request(headers: Record<string, string>, body?: Uint8Array): HttpRequestMessage {
  const message = {
    method: 'POST',
    scheme: 'https' as const,
    authority: 'api.example',
    target: '/orders',
    headers,
  };
  return body === undefined ? message : { ...message, body };
}

describe('the WIMSE HTTP signature profile', () => {
  it('names on the wire what draft-ietf-wimse-http-signature says', () => {
    expect(wimseTag).toBe('wimse-workload-to-workload');
    expect(wimseSignatureLabel).toBe('wimse');
    expect(workloadIdentityTokenHeader).toBe('workload-identity-token');
    expect(signResponseParameter).toBe('wimse-sign-response');
    expect(forbiddenSignatureParameters).toEqual(['keyid', 'alg']);
  });

  describe('requiredComponents', () => {
    it('covers @method and @request-target of a request without profile headers or body', () => {
      expect(requiredComponents(request({ accept: '*/*' }), [])).toEqual(['@method', '@request-target']);
    });

    it('covers every profile header present, in the profile order whatever the request order', () => {
      const headers = {
        'txn-token': 't',
        authorization: 'Bearer x',
        'content-digest': 'sha-256=:AAAA:',
        'content-type': 'application/json',
        'workload-identity-token': 'wit',
      };
      expect(requiredComponents(request(headers, new Uint8Array([1])), [])).toEqual([
        '@method',
        '@request-target',
        'workload-identity-token',
        'content-type',
        'content-digest',
        'authorization',
        'txn-token',
      ]);
    });

    it('covers an identity header, named in any case, only when the request has it, and each header once', () => {
      const headers = { 'workload-identity-token': 'wit', 'accord-user': 'alice', authorization: 'Basic x' };
      expect(requiredComponents(request(headers), ['Accord-User', 'Authorization', 'x-absent'])).toEqual([
        '@method',
        '@request-target',
        'workload-identity-token',
        'authorization',
        'accord-user',
      ]);
    });

    it('requires content-digest for a body even when the request lacks the header, and not for an empty body', () => {
      expect(requiredComponents(request({}, new Uint8Array([1])), [])).toEqual([
        '@method',
        '@request-target',
        'content-digest',
      ]);
      expect(requiredComponents(request({}, new Uint8Array(0)), [])).toEqual(['@method', '@request-target']);
    });
  });
});
