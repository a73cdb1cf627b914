// The store contract against a real PostgreSQL server started for this file (see test/helpers/postgres.ts).
import { after, before } from 'node:test';
import { PostgresStore } from '../../../src/store/postgres/store.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { storeContract } from './contract.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => server?.cleanup());

const database = (url: string) => new URL(url).pathname.slice(1);

storeContract({
  name: 'PostgreSQL',
  fresh: async () => server.url(await server.createDatabase()),
  open: (url, options) => PostgresStore.open(url, { ...options, password: server.password }),
  count: async (url, table) => Number((await server.query<{ n: string }>(database(url), `SELECT count(*) AS n FROM vigil.${table}`))[0]!.n),
  makeForeign: async (url) => {
    await server.query(database(url), 'CREATE SCHEMA vigil; CREATE TABLE vigil.invoices (id INTEGER PRIMARY KEY, total REAL)');
  },
  subjectRow: async (url, id) =>
    (await server.query<{ state: string }>(database(url), 'SELECT state FROM vigil.subjects WHERE id = $1', [id]))[0]?.state,
  putSubjectRow: async (url, id, text) => {
    await server.query(database(url), 'INSERT INTO vigil.subjects (id, state) VALUES ($1, $2)', [id, text]);
  },
  makeNewer: async (url) => {
    await server.query(database(url), 'UPDATE vigil.schema_info SET version = 999');
  },
  // A trigger is part of the schema, so the store's own connections see it without any test hook in the store.
  breakWrites: async (url) => {
    await server.query(
      database(url),
      `CREATE FUNCTION vigil.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
       CREATE TRIGGER disk_full BEFORE INSERT ON vigil.subjects FOR EACH STATEMENT EXECUTE FUNCTION vigil.disk_full()`,
    );
    return async () => {
      await server.query(database(url), 'DROP TRIGGER disk_full ON vigil.subjects; DROP FUNCTION vigil.disk_full()');
    };
  },
});
