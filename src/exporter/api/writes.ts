// Write endpoints of the push API. Each validates everything first, applies, and answers only after the group commit
// that holds the change, so an acknowledged write survives a crash.
import { Router, json, type RequestHandler } from 'express';
import * as engine from '../../engine/index.js';
import type { Observation, SubjectSpec } from '../../engine/types.js';
import { refuseBeyondLimits, type Limits } from '../../runtime/limits.js';
import type { Vigil } from '../../runtime/vigil.js';
import type { Authorizer, Scope } from '../auth.js';
import { conflict, notFound } from '../problem.js';
import {
  type CheckBody,
  checkBody,
  checkObservation,
  connectivityBody,
  idSchema,
  manipulationBody,
  metadataBody,
  metadataKey,
  observationsBody,
  renameBody,
  subjectBody,
  subjectTiming,
} from './bodies.js';
import { parseBody, parseParam } from './parse.js';
import { subjectConfigView, subjectHealthView } from './views.js';

const subjectId = idSchema;
const checkName = idSchema;

const toObservation = (subject: string, check: string, body: CheckBody): Observation => checkObservation(subject, check, body, 'api');

export function writeRoutes(vigil: Vigil, auth: Authorizer, maxBodyBytes: number, limits: Limits): Router {
  const router = Router();
  const body = json({ limit: maxBodyBytes, type: ['application/json', 'application/*+json'] });
  // The token is checked before a byte of the body is read: an unauthenticated client cannot make vigil parse anything.
  const writer = (scope: Scope): RequestHandler[] => [auth.require(scope), body];
  const fits = (...writes: Parameters<typeof refuseBeyondLimits>[2]) => refuseBeyondLimits(vigil.state, limits, writes);

  const existing = (id: string) => {
    const subject = vigil.state.subjects.get(id);
    if (!subject) throw notFound(`no subject "${id}"; create it with PUT /api/v1/subjects/${id} or push a check to it`);
    return subject;
  };
  const healthOf = (id: string) => subjectHealthView(existing(id));

  router.put('/subjects/:id', ...writer('admin'), async (req, res) => {
    const id = parseParam(subjectId, req.params.id, 'subject id');
    const body = parseBody(subjectBody, req.body, 'subject');
    const before = vigil.state.subjects.get(id);
    if (before?.spec.source === 'config') throw conflict(`subject "${id}" is defined in the config file; change it there`);
    const dependsOn = (body.depends_on ?? []).map((d) =>
      typeof d === 'string' ? { id: d, lag: vigil.state.settings.dependencyLag } : { id: d.id, lag: d.lag },
    );
    for (const dependency of dependsOn) {
      if (dependency.id === id) throw conflict(`subject "${id}" cannot depend on itself`);
      existing(dependency.id);
    }
    const spec: SubjectSpec = { id, kind: body.kind, labels: body.labels ?? {}, dependsOn, source: before?.spec.source ?? 'api' };
    const timing = subjectTiming(body);
    if (timing !== undefined) spec.timing = timing;
    fits({ subject: id });
    await vigil.applyDurably((s, now) => engine.upsertSubject(s, spec, now), [id]);
    res.status(before ? 200 : 201).json(subjectConfigView(existing(id)));
  });

  router.delete('/subjects/:id', ...writer('admin'), async (req, res) => {
    const subject = existing(parseParam(subjectId, req.params.id, 'subject id'));
    if (subject.spec.source === 'config') throw conflict(`subject "${subject.spec.id}" is defined in the config file; remove it there`);
    await vigil.applyDurably((s, now) => engine.removeSubject(s, subject.spec.id, now), [subject.spec.id]);
    res.status(204).end();
  });

  // Only subjects the API owns: config-owned ones are renamed with `renamed_from` in the file, and a source that owns
  // a subject would recreate it under the old id on its next report.
  router.post('/subjects/:id/rename', ...writer('admin'), async (req, res) => {
    const subject = existing(parseParam(subjectId, req.params.id, 'subject id'));
    const body = parseBody(renameBody, req.body, 'rename');
    const from = subject.spec.id;
    if (subject.spec.source === 'config') {
      throw conflict(`subject "${from}" is defined in the config file; rename it there (id: ${body.to}, renamed_from: ${from})`);
    }
    if (subject.spec.source !== 'api')
      throw conflict(`subject "${from}" is owned by source "${subject.spec.source}", which names it; rename it there`);
    if (vigil.state.subjects.has(body.to)) throw conflict(`subject "${body.to}" already exists`);
    await vigil.applyDurably((s, now) => engine.renameSubject(s, from, body.to, now), [from, body.to]);
    res.setHeader('Location', `/api/v1/subjects/${encodeURIComponent(body.to)}`);
    res.json(subjectConfigView(existing(body.to)));
  });

  router.post('/observations', ...writer('observe'), async (req, res) => {
    const batch = parseBody(observationsBody, req.body, 'observations batch');
    const observations = batch.map((o) => toObservation(o.subject, o.check, o));
    fits(...observations.map((o) => ({ subject: o.subject, check: o.check })));
    // One engine call and one commit for the batch: each subject is evaluated once, after all of its results.
    await vigil.applyDurably((s, now) => engine.applyObservations(s, observations, now), new Set(observations.map((o) => o.subject)));
    res.json({ accepted: observations.length });
  });

  router.put('/subjects/:id/checks/:check', ...writer('observe'), async (req, res) => {
    const id = parseParam(subjectId, req.params.id, 'subject id');
    const check = parseParam(checkName, req.params.check, 'check name');
    const body = parseBody(checkBody, req.body, 'check result');
    fits({ subject: id, check });
    await vigil.applyDurably((s, now) => engine.applyObservation(s, toObservation(id, check, body), now), [id]);
    res.json(healthOf(id));
  });

  router.put('/subjects/:id/connectivity', ...writer('connectivity'), async (req, res) => {
    const id = existing(parseParam(subjectId, req.params.id, 'subject id')).spec.id;
    const body = parseBody(connectivityBody, req.body, 'connectivity');
    await vigil.applyDurably(
      (s, now) => engine.applyConnectivity(s, { subject: id, state: body.state, source: 'api', ...(body.reason && { reason: body.reason }) }, now),
      [id],
    );
    res.json(healthOf(id));
  });

  router.put('/subjects/:id/metadata/:key', ...writer('metadata'), async (req, res) => {
    const id = existing(parseParam(subjectId, req.params.id, 'subject id')).spec.id;
    const key = parseParam(metadataKey, req.params.key, 'metadata key');
    const body = parseBody(metadataBody, req.body, 'metadata entry');
    fits({ subject: id, metadataKey: key });
    await vigil.applyDurably((s, now) => engine.setMetadata(s, id, key, body, now), [id]);
    res.json(healthOf(id));
  });

  router.delete('/subjects/:id/metadata/:key', ...writer('metadata'), async (req, res) => {
    const subject = existing(parseParam(subjectId, req.params.id, 'subject id'));
    const key = parseParam(metadataKey, req.params.key, 'metadata key');
    if (!(key in subject.metadata)) throw notFound(`subject "${subject.spec.id}" has no metadata "${key}"`);
    await vigil.applyDurably((s, now) => engine.deleteMetadata(s, subject.spec.id, key, now), [subject.spec.id]);
    res.status(204).end();
  });

  router.post('/subjects/:id/manipulations', ...writer('manipulate'), async (req, res) => {
    const id = existing(parseParam(subjectId, req.params.id, 'subject id')).spec.id;
    const body = parseBody(manipulationBody, req.body, 'manipulation');
    await vigil.applyDurably(
      (s, now) =>
        engine.recordManipulation(
          s,
          id,
          {
            manipulation: body.manipulation,
            ...(body.started_at !== undefined && { startedAt: body.started_at }),
            ...(body.ended_at !== undefined && { endedAt: body.ended_at }),
          },
          now,
        ),
      [id],
    );
    res.status(201).json(healthOf(id));
  });

  return router;
}
