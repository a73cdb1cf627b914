// The tokens status presents to relay, jump and book, claim for claim (practable/relay v0.7.0 and jump v0.4.0
// internal/permission/models.go, book pkg/resource/resource.go).
// All HS256 with the shared secret; sent as the bare JWT in the Authorization header (no `Bearer `).
import { numericDate, signJwt } from '../../util/jwt.js';

/** Backdating absorbs clock skew: the peers check nbf and iat with zero leeway. */
const SKEW_MS = 2_000;

const times = (now: number, lifetime: number) => ({
  iat: numericDate(now - SKEW_MS),
  nbf: numericDate(now - SKEW_MS),
  exp: numericDate(now + lifetime),
});

/** Read-only listener on relay's `stats` topic. `audience` is the relay access URL (RELAY_AUDIENCE). */
export function relayStatsToken(audience: string, secret: string, now: number, lifetime: number): string {
  return signJwt(
    { topic: 'stats', prefix: 'session', scopes: ['read'], booking_id: 'status-server', aud: [audience], ...times(now, lifetime) },
    secret,
  );
}

/** Listener on jump's `stats` host id. jump ignores booking_id; status sends it because it reuses relay's helper. */
export function jumpStatsToken(audience: string, secret: string, now: number, lifetime: number): string {
  return signJwt(
    { topic: 'stats', prefix: 'connect', scopes: ['stats'], booking_id: 'status-server', aud: [audience], ...times(now, lifetime) },
    secret,
  );
}

/** Admin token for book's /admin endpoints. `secret` is BOOK_ADMIN_SECRET. */
export function bookAdminToken(audience: string, secret: string, now: number, lifetime: number): string {
  return signJwt({ scopes: ['booking:admin'], sub: 'status-server', aud: [audience], ...times(now, lifetime) }, secret);
}
