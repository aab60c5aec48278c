import { z } from 'zod';
import type {
  ApproveRequest,
  InspectRootRequest,
  LoginRequest,
  ProposeRequest,
  RevokeRequest,
} from './console-api.js';

// The zod schemas that validate the console API's request bodies in the console process, each
// typed as the shared request type of console-api.ts, so the browser and the process cannot
// disagree on a field. Strict: an unknown field is refused, not ignored.

const pemText = z.string().max(64 * 1024);

/** `POST /api/session`. */
export const loginRequestSchema: z.ZodType<LoginRequest> = z.object({ token: z.string().max(200) }).strict();

/** `POST /api/roots/inspect`. */
export const inspectRootRequestSchema: z.ZodType<InspectRootRequest> = z
  .object({ format: z.enum(['pem', 'spiffe-bundle']), text: pemText.min(1) })
  .strict();

/** `POST /api/contracts`. */
export const proposeRequestSchema: z.ZodType<ProposeRequest> = z
  .object({
    id: z.string().max(63),
    partner: z
      .object({ name: z.string().max(63), trustDomain: z.string().max(255), rootPem: pemText })
      .strict(),
    approve: z.boolean(),
  })
  .strict();

/** `POST /api/contracts/:id/approve`. */
export const approveRequestSchema: z.ZodType<ApproveRequest> = z
  .object({ reviewed: z.object({ signedAt: z.string().max(40), canonicalBytes: pemText }).strict() })
  .strict();

/** `POST /api/contracts/:id/revoke`. */
export const revokeRequestSchema: z.ZodType<RevokeRequest> = z
  .object({ reason: z.string().trim().min(1, 'a reason is required').max(1024) })
  .strict();
