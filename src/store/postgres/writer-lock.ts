// One vigil per PostgreSQL database, until replicas share shards: a session advisory lock held on a dedicated
// connection for as long as the store is open. PostgreSQL drops it when that session ends (also on kill -9, as the
// socket closes), so a restarted vigil takes it again at once; a second vigil started meanwhile is refused.
import pg from 'pg';
import { StoreError } from '../errors.js';

/** Advisory lock key of the writer ("VGLW" in ASCII); the migration lock uses another one. */
const WRITER_LOCK = 0x56474c57;

export class WriterLock {
  private client: pg.Client | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly location: string,
  ) {}

  /** Takes the lock if not held; rejects when another vigil holds it or the server is unreachable. */
  async ensure(): Promise<void> {
    if (this.client) return;
    const client = new pg.Client(this.config);
    // A dropped session loses the lock: forget the client so the next flush takes the lock again before writing.
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    try {
      const taken = (await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [WRITER_LOCK])).rows[0]?.taken;
      if (!taken) {
        throw new StoreError(
          `another vigil already uses the PostgreSQL state database ${this.location}; ` +
            "run one vigil per database (two would overwrite each other's rows)",
        );
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.once('end', () => {
      if (this.client === client) this.client = undefined;
    });
    this.client = client;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
