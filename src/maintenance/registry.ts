// The maintenance windows vigil knows: those of the config file (replaced on every start) and those added through
// the API (kept in the state store, so they survive a restart).
import { randomBytes } from 'node:crypto';
import type { SubjectSpec } from '../engine/types.js';
import { isOpen, matchesSubject, occurrence, type MaintenanceWindow } from './windows.js';

/** Where API-added windows are kept (src/store's Store satisfies it). */
export interface MaintenanceStore {
  loadMaintenance(): MaintenanceWindow[];
  /** SQLite writes at once; PostgreSQL answers with a promise (see `written`). */
  saveMaintenance(window: MaintenanceWindow): void | Promise<void>;
  deleteMaintenance(id: string): void | Promise<void>;
}

export class Maintenance {
  private configured: MaintenanceWindow[] = [];
  private readonly added = new Map<string, MaintenanceWindow>();
  private lastWrite: Promise<void> = Promise.resolve();
  /** Counts local adds and removes, so a re-read that raced one is not applied over it. */
  private writes = 0;

  constructor(private readonly store: MaintenanceStore) {
    for (const window of store.loadMaintenance()) this.added.set(window.id, window);
  }

  /** Replaces the config file's windows. */
  configure(windows: MaintenanceWindow[]): void {
    this.configured = windows.map((window) => ({ ...window, source: 'config' }));
  }

  list(): MaintenanceWindow[] {
    return [...this.configured, ...this.added.values()];
  }

  get(id: string): MaintenanceWindow | undefined {
    return this.configured.find((window) => window.id === id) ?? this.added.get(id);
  }

  /** Stores an API window (synchronously, so it is durable when this returns) and returns it with its new id. */
  add(window: Omit<MaintenanceWindow, 'id' | 'source'>): MaintenanceWindow {
    const stored: MaintenanceWindow = { id: `mw-${randomBytes(6).toString('hex')}`, source: 'api', ...window };
    this.track(this.store.saveMaintenance(stored), () => this.added.delete(stored.id));
    this.added.set(stored.id, stored);
    return stored;
  }

  /** Removes an API window; false when there is none with that id. */
  remove(id: string): boolean {
    const window = this.added.get(id);
    if (!window) return false;
    this.track(this.store.deleteMaintenance(id), () => this.added.set(id, window));
    this.added.delete(id);
    return true;
  }

  /** Resolves once the last add or remove is durable; rejects (and that change is undone) if its write failed. */
  written(): Promise<void> {
    return this.lastWrite;
  }

  /**
   * Replaces the API windows by those `read` returns (another replica of a cluster may have added or removed some).
   * Reads after this process's own writes are durable; skipped when a local change happened during the read.
   * Returns whether anything changed.
   */
  async refresh(read: () => Promise<MaintenanceWindow[]>): Promise<boolean> {
    await this.lastWrite.catch(() => undefined);
    const writes = this.writes;
    const windows = await read();
    if (writes !== this.writes) return false;
    const same =
      windows.length === this.added.size && windows.every((window) => JSON.stringify(this.added.get(window.id)) === JSON.stringify(window));
    if (same) return false;
    this.added.clear();
    for (const window of windows) this.added.set(window.id, window);
    return true;
  }

  private track(write: void | Promise<void>, undo: () => void): void {
    this.writes += 1;
    this.lastWrite = Promise.resolve(write).catch((error: unknown) => {
      undo();
      throw error;
    });
    this.lastWrite.catch(() => undefined); // reported to whoever awaits written(); never unhandled
  }

  /** Windows open at `now`: work out once, then hand to openFor for each of many subjects. */
  openAt(now: number): MaintenanceWindow[] {
    return this.list().filter((window) => isOpen(window, now));
  }

  /** The open window that covers the subject at `now` (the first one, when several do). */
  openFor(spec: SubjectSpec, now: number, open: MaintenanceWindow[] = this.openAt(now)): MaintenanceWindow | undefined {
    for (const window of open) if (matchesSubject(window.match, spec)) return window;
    return undefined;
  }

  /** Windows that are open now or will open later (the ones worth showing). */
  current(now: number): MaintenanceWindow[] {
    return this.list().filter((window) => occurrence(window, now) !== undefined);
  }

  /** True when some window that is open now or later covers the subject: its gauge is then exposed (0 or 1). */
  covers(spec: SubjectSpec, now: number, windows: MaintenanceWindow[] = this.current(now)): boolean {
    return windows.some((window) => matchesSubject(window.match, spec));
  }
}
