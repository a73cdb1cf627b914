// The status page over the whole cluster. Each live replica scans its own subjects for the page's filters (a
// StatusPart: its counts and the rows that pass, without their subjects); the serving replica merges the parts,
// orders and cuts the page exactly as one node would, then fetches only the page's subjects (at most a page) from the
// replicas holding them. Internal calls carry the cluster key and are bounded in time and size; a replica that does
// not answer fails the page (503), which never shows part of the fleet as if it were all of it.
import { Router, json } from 'express';
import type { EngineState, SubjectState } from '../engine/types.js';
import type { Maintenance } from '../maintenance/registry.js';
import {
  completeStatus,
  mergeStatus,
  PAGE_SIZE,
  parseStatusQuery,
  statusPart,
  type StatusModel,
  type StatusPart,
  type StatusQuery,
} from '../web/status-model.js';
import { askEveryReplica, boundedJson, postToReplica, requireClusterKey } from './internal.js';

const STATUS_PART_PATH = '/cluster/status-part';
const STATUS_SUBJECTS_PATH = '/cluster/status-subjects';

export interface ClusterStatusOptions {
  /** This replica's advertised address. */
  self: string;
  key: string;
  /** Live replicas' advertised addresses, this one included. */
  liveReplicas(): Promise<string[]>;
  state(): EngineState;
  maintenance: Maintenance;
  /** Largest answer taken from one replica (a part lists every matching subject's id, group and rank). */
  maxAnswerBytes: number;
}

/** The internal side: this replica's part, and the subjects of a page. Only replicas of this cluster may call it. */
export function clusterStatusRoutes(options: ClusterStatusOptions): Router {
  const router = Router();
  router.use([STATUS_PART_PATH, STATUS_SUBJECTS_PATH], requireClusterKey(options.key));
  router.post(STATUS_PART_PATH, json({ limit: '16kb' }), (req, res) => {
    const body = req.body as { query?: Record<string, unknown>; now?: unknown };
    const now = typeof body.now === 'number' && Number.isFinite(body.now) ? body.now : Date.now();
    res.json(statusPart(options.state(), options.maintenance, parseStatusQuery(body.query ?? {}), now));
  });
  router.post(STATUS_SUBJECTS_PATH, json({ limit: '64kb' }), (req, res) => {
    const ids = (req.body as { ids?: unknown }).ids;
    const wanted = Array.isArray(ids) ? ids.slice(0, PAGE_SIZE).filter((id): id is string => typeof id === 'string') : [];
    const subjects = wanted.flatMap((id) => options.state().subjects.get(id) ?? []);
    res.json({ subjects });
  });
  return router;
}

/** The status page's model over every live replica's subjects. */
export function clusterStatusModel(options: ClusterStatusOptions): (query: StatusQuery, now: number) => Promise<StatusModel> {
  const ask = async (replica: string, path: string, body: unknown): Promise<unknown> =>
    boundedJson(await postToReplica(replica, path, options.key, body), replica, options.maxAnswerBytes);
  return async (query, now) => {
    const { replicas, answers: parts } = await askEveryReplica(
      options.self,
      await options.liveReplicas(),
      () => statusPart(options.state(), options.maintenance, query, now),
      (replica) => ask(replica, STATUS_PART_PATH, { query, now }) as Promise<StatusPart>,
    );
    const merged = mergeStatus(parts, query);
    const idsByPart = new Map<number, string[]>();
    for (const row of merged.onPage) idsByPart.set(row.part, [...(idsByPart.get(row.part) ?? []), row.id]);
    const subjects = new Map<string, SubjectState>();
    await Promise.all(
      [...idsByPart].map(async ([part, ids]) => {
        const replica = replicas[part]!;
        const found =
          replica === options.self
            ? ids.flatMap((id) => options.state().subjects.get(id) ?? [])
            : ((await ask(replica, STATUS_SUBJECTS_PATH, { ids })) as { subjects: SubjectState[] }).subjects;
        for (const subject of found) subjects.set(subject.spec.id, subject);
      }),
    );
    return completeStatus(merged, subjects, options.maintenance, now);
  };
}
