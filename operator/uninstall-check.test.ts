import type { CustomResource } from '../lib/kube/custom-resource-api.js';
import { uninstallBlockers, uninstallRefusal } from './uninstall-check.js';

function object(name: string, finalizers: string[], namespace?: string): CustomResource {
  return { metadata: { name, finalizers, ...(namespace === undefined ? {} : { namespace }) } };
}

describe('uninstallBlockers', () => {
  it("names the TrustContracts and MeshWorkloads that carry the operator's finalizers, sorted", () => {
    const blockers = uninstallBlockers(
      [
        object('bc', ['accord.dev/revoke-on-delete']),
        object('ab', ['other.example/keep', 'accord.dev/revoke-on-delete']),
        object('released', []),
        object('foreign', ['other.example/keep']),
      ],
      [
        object('orders', ['accord.dev/restore-services'], 'shop'),
        object('ledger', ['accord.dev/restore-services'], 'finance'),
        object('gone', [], 'shop'),
      ],
    );
    expect(blockers).toEqual({
      trustContracts: ['ab', 'bc'],
      meshWorkloads: ['finance/ledger', 'shop/orders'],
    });
  });

  it('ignores a finalizer of one kind on the other (only the controller of a kind releases it)', () => {
    expect(
      uninstallBlockers(
        [object('ab', ['accord.dev/restore-services'])],
        [object('x', ['accord.dev/revoke-on-delete'], 'shop')],
      ),
    ).toEqual({ trustContracts: [], meshWorkloads: [] });
  });
});

describe('uninstallRefusal', () => {
  it('lets an uninstall go on when nothing is blocked', () => {
    expect(uninstallRefusal({ trustContracts: [], meshWorkloads: [] })).toBeUndefined();
  });

  it.each([
    [{ trustContracts: ['ab'], meshWorkloads: [] }, 'delete TrustContracts ab first'],
    [{ trustContracts: [], meshWorkloads: ['shop/orders'] }, 'delete MeshWorkloads shop/orders first'],
    [
      { trustContracts: ['ab', 'bc'], meshWorkloads: ['shop/orders'] },
      'delete TrustContracts ab, bc and MeshWorkloads shop/orders first',
    ],
  ])('says what to delete first: %j', (blockers, expected) => {
    expect(uninstallRefusal(blockers)).toContain(`not uninstalling: ${expected}, while the operator runs`);
  });
});
