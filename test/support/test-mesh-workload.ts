import type { MeshWorkload } from '../../operator/mesh-workload/mesh-workload.js';

/**
 * The orders API of namespace `shop` (pods labelled `app: orders-api`, port 8080) as a MeshWorkload
 * with no credential mapping either way: the workload the operator's injection, Service and sidecar
 * tests start from (and spread to change what they test).
 */
export const ordersApiWorkload: MeshWorkload = {
  name: 'orders-api',
  namespace: 'shop',
  selector: { matchLabels: { app: 'orders-api' } },
  port: 8080,
  inbound: { type: 'none' },
  outbound: { type: 'none' },
};
