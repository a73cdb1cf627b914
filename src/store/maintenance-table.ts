// API-added maintenance windows, one JSON row each. Written at once (not group-committed): the API answers a
// window with its id only after the row is stored.
import type Database from 'better-sqlite3';
import type { MaintenanceWindow } from '../maintenance/windows.js';
import { corruptDatabase } from './errors.js';

export class MaintenanceTable {
  private readonly upsert;
  private readonly remove;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.upsert = db.prepare<[string, string]>(
      'INSERT INTO maintenance (id, window) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET window = excluded.window',
    );
    this.remove = db.prepare<[string]>('DELETE FROM maintenance WHERE id = ?');
  }

  load(): MaintenanceWindow[] {
    const rows = this.db.prepare('SELECT id, window FROM maintenance ORDER BY id').all() as { id: string; window: string }[];
    return rows.map((row) => {
      try {
        return { ...(JSON.parse(row.window) as MaintenanceWindow), id: row.id };
      } catch (error) {
        throw corruptDatabase(this.path, `maintenance window ${JSON.stringify(row.id)} is not valid JSON`, error);
      }
    });
  }

  save(window: MaintenanceWindow): void {
    this.upsert.run(window.id, JSON.stringify(window));
  }

  delete(id: string): void {
    this.remove.run(id);
  }
}
