import { ApiException } from '@kubernetes/client-node';
import { isKubeStatus, KubeStatus } from './kube-config.js';

describe('isKubeStatus', () => {
  it('matches an API exception with that status only', () => {
    const conflict = new ApiException(409, 'AlreadyExists', {}, {});
    expect(isKubeStatus(conflict, KubeStatus.conflict)).toBe(true);
    expect(isKubeStatus(conflict, KubeStatus.notFound)).toBe(false);
    expect(isKubeStatus(new Error('409'), KubeStatus.conflict)).toBe(false);
  });
});
