// /api/v1/maintenance: list, add and remove maintenance windows. Reads need no token; writes need `manipulate`.
// Windows of the config file are listed too but can only be changed in the file (409).
import { Router, json } from 'express';
import { z } from 'zod';
import { maintenanceMatchSchema, matchLists } from '../../config/maintenance.js';
import { isOpen, occurrence, type MaintenanceWindow } from '../../maintenance/windows.js';
import type { Vigil } from '../../runtime/vigil.js';
import type { Authorizer } from '../auth.js';
import { conflict, notFound } from '../problem.js';
import { parseBody } from './parse.js';
import { scheduledTime } from './bodies.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export const maintenanceBody = z
  .strictObject({
    match: maintenanceMatchSchema,
    starts_at: scheduledTime,
    ends_at: scheduledTime,
    reason: z.string().min(1).max(256),
  })
  .refine((body) => body.starts_at < body.ends_at, { message: 'ends_at must be after starts_at', path: ['ends_at'] });

export function maintenanceView(window: MaintenanceWindow, now: number) {
  const next = occurrence(window, now);
  return {
    id: window.id,
    source: window.source,
    match: window.match,
    reason: window.reason,
    starts_at: iso(window.startsAt),
    ends_at: iso(window.endsAt),
    weekly: window.weekly
      ? { days: window.weekly.days, at_minute_utc: window.weekly.startMinute, duration_seconds: window.weekly.durationMs / 1000 }
      : null,
    open: isOpen(window, now),
    /** The occurrence in progress, or the next one; null once the window is over. */
    occurrence: next ? { from: iso(next.from), to: iso(next.to) } : null,
  };
}

export function maintenanceRoutes(vigil: Vigil, auth: Authorizer, maxBodyBytes: number): Router {
  const router = Router();
  const windowOf = (id: string) => {
    const window = vigil.maintenance.get(id);
    if (!window) throw notFound(`no maintenance window "${id}"`);
    return window;
  };

  router.get('/maintenance', (_req, res) => {
    const now = vigil.clock();
    res.json({ windows: vigil.maintenance.list().map((window) => maintenanceView(window, now)) });
  });
  router.get('/maintenance/:id', (req, res) => res.json(maintenanceView(windowOf(req.params.id), vigil.clock())));

  router.post('/maintenance', auth.require('manipulate'), json({ limit: maxBodyBytes }), async (req, res) => {
    const body = parseBody(maintenanceBody, req.body, 'maintenance window');
    const window = vigil.maintenance.add({ match: matchLists(body.match), reason: body.reason, startsAt: body.starts_at, endsAt: body.ends_at });
    await vigil.maintenance.written(); // answered with its id only once stored
    res.status(201).setHeader('Location', `/api/v1/maintenance/${window.id}`).json(maintenanceView(window, vigil.clock()));
  });

  router.delete('/maintenance/:id', auth.require('manipulate'), async (req, res) => {
    const window = windowOf(String(req.params.id));
    if (window.source === 'config') throw conflict(`maintenance window "${window.id}" is defined in the config file; remove it there`);
    vigil.maintenance.remove(window.id);
    await vigil.maintenance.written();
    res.status(204).end();
  });
  return router;
}
