import type { OwnershipRequest } from '@spin/protocol';
import type { NamedOwnershipRequestRow } from '../repositories/ownershipRequestsRepository.js';

/**
 * Presenter: a request for a session's ownership. A stored `pending` one that can no longer be
 * answered is shown as what it became: `expired` (past its expiry) or `superseded` (the session
 * changed hands since it was made).
 */
export function presentOwnershipRequest(
  row: NamedOwnershipRequestRow,
  sessionEpoch: number,
  now: number = Date.now(),
): OwnershipRequest {
  let status: OwnershipRequest['status'] = row.status;
  if (status === 'pending' && row.ownerEpoch !== sessionEpoch) status = 'superseded';
  else if (status === 'pending' && row.expiresAt.getTime() <= now) status = 'expired';
  return {
    id: row.id,
    requesterId: row.requesterId,
    requesterName: row.requesterName,
    requestedAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    status,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    resolvedByName: row.resolvedByName,
  };
}
