// The status page, subject pages, badges and their static files: one router, mounted by the server in one place.
// Every HTML answer carries a Content-Security-Policy that allows only vigil's own script and style files.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import type { Vigil } from '../runtime/vigil.js';
import { isAuthenticated } from './guard.js';
import { badgeEtag, checkBadge, notFoundBadge, renderBadge, subjectBadge, type BadgeState } from './badge.js';
import { html } from './html.js';
import { page } from './layout.js';
import { buildStatus, parseStatusQuery, type StatusModel, type StatusQuery } from './status-model.js';
import { statusBody } from './status-page.js';
import { subjectBody } from './subject-page.js';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ASSETS: Record<string, string> = {
  'vigil.css': 'text/css; charset=utf-8',
  'live.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
// Compiled code runs from dist/src/web; the files stay in src/web/assets (the Dockerfile copies them beside dist).
const ASSET_DIR_CANDIDATES = [new URL('./assets/', import.meta.url), new URL('../../../src/web/assets/', import.meta.url)];
const BADGE_CACHE = 'max-age=30, must-revalidate';

function assetDir(): string {
  const found = ASSET_DIR_CANDIDATES.map((url) => fileURLToPath(url)).find((dir) => existsSync(`${dir}live.js`));
  if (!found) throw new Error(`vigil's web assets are missing (looked in ${ASSET_DIR_CANDIDATES.map((u) => fileURLToPath(u)).join(', ')})`);
  return found;
}

/** Headers of everything this router answers (and only of that: the API and /metrics are left alone). */
function secure(res: Response): Response {
  // An operator's own policy (web config `http_server_config.headers`, set before any route) is kept as given.
  if (!res.hasHeader('Content-Security-Policy')) res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  return res;
}

function sendPage(res: Response, status: number, body: string): void {
  secure(res).status(status).setHeader('Cache-Control', 'no-store').type('html').send(body);
}

function sendBadge(req: Request, res: Response, badge: BadgeState, status = 200): void {
  const svg = renderBadge(badge);
  const etag = badgeEtag(svg);
  // A badge fetched with credentials (the web guard let it through) must not land in a shared cache.
  secure(res).setHeader('Cache-Control', `${isAuthenticated(res) ? 'private' : 'public'}, ${BADGE_CACHE}`);
  res.setHeader('ETag', etag);
  if (
    status === 200 &&
    req
      .get('if-none-match')
      ?.split(',')
      .some((tag) => tag.trim() === etag || tag.trim() === '*')
  ) {
    res.status(304).end();
    return;
  }
  res.status(status).type('image/svg+xml').send(svg);
}

export interface WebOptions {
  /** Shown on every page (see layout.ts). */
  notice?: string;
  /** The status page's model over more than this process's subjects (replicas); default: this process's state. */
  statusModel?: (query: StatusQuery, now: number) => Promise<StatusModel>;
}

export function webRoutes(vigil: Vigil, options: WebOptions = {}): Router {
  const router = Router();
  const dir = assetDir();
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(`${dir}${name}`) }]));

  const { statusModel, ...pageOptions } = options;
  router.get('/', async (req, res) => {
    const now = vigil.clock();
    const query = parseStatusQuery(req.query as Record<string, unknown>);
    let model: StatusModel;
    try {
      model = statusModel ? await statusModel(query, now) : buildStatus(vigil.state, vigil.maintenance, query, now);
    } catch (error) {
      res.setHeader('Retry-After', '1');
      const why = error instanceof Error ? error.message : String(error);
      const body = html`<h1>Status not available</h1><p>A replica did not answer (${why}), so this page cannot list every subject. \
Reload to try again.</p>`;
      sendPage(res, 503, page('Status', body, { live: false, ...pageOptions }));
      return;
    }
    sendPage(res, 200, page('Status', statusBody(vigil.state, vigil.maintenance, model, query, now), pageOptions));
  });

  router.get('/subjects/:id', async (req, res) => {
    const subject = vigil.state.subjects.get(req.params.id);
    if (!subject) {
      sendPage(
        res,
        404,
        page('Not found', html`<h1>No subject “${req.params.id}”</h1><p><a href="/">Back to all subjects</a></p>`, { live: false, ...pageOptions }),
      );
      return;
    }
    const now = vigil.clock();
    // From the store, which holds them since before a restart (the engine's history starts with the process).
    const stored = await vigil.store.eventsAfter(0, vigil.state.settings.eventsPerSubject, subject.spec.id);
    const events = stored.filter((event) => event.seq <= vigil.committedSeq);
    sendPage(
      res,
      200,
      page(subject.spec.id, subjectBody(vigil.state, subject, vigil.maintenance.openFor(subject.spec, now), events, now), pageOptions),
    );
  });

  router.get('/badge/:file', (req, res, next) => {
    if (!req.params.file.endsWith('.svg')) return next();
    const id = req.params.file.slice(0, -'.svg'.length);
    const subject = vigil.state.subjects.get(id);
    if (!subject) return sendBadge(req, res, notFoundBadge(id), 404);
    sendBadge(req, res, subjectBadge(subject, vigil.maintenance.openFor(subject.spec, vigil.clock())));
  });

  router.get('/badge/:subject/:file', (req, res, next) => {
    if (!req.params.file.endsWith('.svg')) return next();
    const name = req.params.file.slice(0, -'.svg'.length);
    const subject = vigil.state.subjects.get(req.params.subject);
    const check = subject?.checks[name];
    if (!subject || !check || check.dropped) return sendBadge(req, res, notFoundBadge(`${req.params.subject} ${name}`), 404);
    sendBadge(req, res, checkBadge(subject, check, vigil.maintenance.openFor(subject.spec, vigil.clock())));
  });

  router.get('/static/:name', (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (!asset) return next();
    secure(res).setHeader('Cache-Control', 'public, max-age=3600');
    res.type(asset.type).send(asset.body);
  });
  return router;
}
