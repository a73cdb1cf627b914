// Read endpoints: configuration and volatile health, each with its own ETag and 304 on If-None-Match.
import { Router, type Request, type Response } from 'express';
import type { SubjectState } from '../../engine/types.js';
import type { Vigil } from '../../runtime/vigil.js';
import { notFound } from '../problem.js';
import { configEtag, healthEtag, subjectConfigView, subjectHealthView } from './views.js';

/** Answers 304 when the client already holds `etag`; otherwise sets the header and lets the caller send. */
function notModified(req: Request, res: Response, etag: string): boolean {
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'no-cache');
  const presented = req.get('if-none-match');
  if (presented?.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    res.status(304).end();
    return true;
  }
  return false;
}

export function readRoutes(vigil: Vigil): Router {
  const router = Router();
  const subject = (id: string): SubjectState => {
    const found = vigil.state.subjects.get(id);
    if (!found) throw notFound(`no subject "${id}"`);
    return found;
  };

  router.get('/subjects', (req, res) => {
    const subjects = [...vigil.state.subjects.values()];
    if (notModified(req, res, configEtag(subjects))) return;
    res.json({ subjects: subjects.map(subjectConfigView) });
  });
  router.get('/subjects/:id', (req, res) => {
    const found = subject(req.params.id);
    if (notModified(req, res, configEtag([found]))) return;
    res.json(subjectConfigView(found));
  });
  router.get('/health', (req, res) => {
    const subjects = [...vigil.state.subjects.values()];
    if (notModified(req, res, healthEtag(subjects))) return;
    res.json({ subjects: subjects.map(subjectHealthView) });
  });
  router.get('/subjects/:id/health', (req, res) => {
    const found = subject(req.params.id);
    if (notModified(req, res, healthEtag([found]))) return;
    res.json(subjectHealthView(found));
  });
  return router;
}
