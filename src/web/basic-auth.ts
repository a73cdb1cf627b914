// HTTP basic auth against the web config's bcrypt hashes. A bcrypt comparison costs tens of milliseconds by design,
// so each (user, password, hash) outcome is cached under a keyed digest: a scrape every 15 s pays the hash once.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** Compared against when the user is unknown, so an unknown user costs the same bcrypt as a known one. */
const DUMMY_HASH = '$2b$10$dVvXjQWDv3wWjHlWdMsS/.s3uM8Pag2cKw0Vk7OopAtxyLV2a5sEC'; // of a random string nobody kept
/** Enough for every user of a small web config and a burst of wrong guesses; cleared whole when full. */
const MAX_CACHED = 1024;

export interface BasicCredentials {
  user: string;
  password: string;
}

/** `Basic base64(user:password)` → its parts; undefined for anything else. */
export function parseBasicHeader(header: string | undefined): BasicCredentials | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export class BasicAuthUsers {
  private readonly users: { digest: Buffer; hash: string }[];
  /** Keyed with a per-process secret so a memory dump of the cache is no offline dictionary target. */
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, Promise<boolean>>();

  constructor(
    users: ReadonlyMap<string, string>,
    private readonly compare: (password: string, hash: string) => Promise<boolean> = bcrypt.compare,
  ) {
    this.users = [...users].map(([user, hash]) => ({ digest: sha256(user), hash }));
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  /** True when the credentials match a configured user. Every user is compared, in constant time per comparison. */
  verify({ user, password }: BasicCredentials): Promise<boolean> {
    const presented = sha256(user);
    let hash: string | undefined;
    for (const candidate of this.users) if (timingSafeEqual(candidate.digest, presented)) hash = candidate.hash;
    const known = hash !== undefined;
    const compareWith = hash ?? DUMMY_HASH;
    const key = createHmac('sha256', this.cacheKey).update(user).update('\0').update(password).update('\0').update(compareWith).digest('base64');
    let outcome = this.cache.get(key);
    if (!outcome) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      // The promise is cached, so concurrent requests with the same credentials share one comparison.
      outcome = this.compare(password, compareWith).then((match) => match && known);
      this.cache.set(key, outcome);
    }
    return outcome;
  }
}
