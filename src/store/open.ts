// Picks the store the `state` setting names: a PostgreSQL URL or a SQLite file.
import { PostgresStore, type PostgresConnectOptions } from './postgres/store.js';
import { isPostgresUrl, type StateStore, type StoreOptions } from './state-store.js';
import { Store } from './store.js';

export async function openStateStore(state: string, options: StoreOptions & PostgresConnectOptions): Promise<StateStore> {
  if (isPostgresUrl(state)) return PostgresStore.open(state, options);
  return Store.open(state, options);
}
