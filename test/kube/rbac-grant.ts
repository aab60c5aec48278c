import { RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { clientNodeApi } from './client-node-api.js';
import { kubectl } from './kubectl.js';

/**
 * Grants the certificate user `user` exactly `rules` in `namespace` (a Role and a RoleBinding named
 * after the user), as a chart would grant a component's ServiceAccount: tests then run the
 * component with precisely the documented permissions.
 */
export async function grantRole(
  adminKubeconfig: string,
  namespace: string,
  user: string,
  rules: V1PolicyRule[],
): Promise<void> {
  const rbac = clientNodeApi(adminKubeconfig, RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: user }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: user },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: user },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  });
}

/** Waits (at most 5 s) until RBAC, which the API server reads from a cache, grants `verb` on `resource`. */
export async function untilAllowed(
  kubeconfig: string,
  namespace: string,
  verb: string,
  resource: string,
): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await kubectl(kubeconfig, 'auth', 'can-i', verb, resource, '-n', namespace)).code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`RBAC never allowed ${verb} ${resource}`);
}
