// `vigil serve`: load the config, restore state, start the engine loop, the sources and the HTTP server; stop gracefully.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import { localBaseUrl, parseListen, type ListenAddress } from './config/listen.js';
import { EMBEDDED_FILE, loadConfig, parseConfig, type LoadedConfig } from './config/load.js';
import { sectionOf, type VigilConfig } from './config/normalize.js';
import { Authorizer } from './exporter/auth.js';
import { DEMO_BUILD_LABELS, DEMO_FILE, DEMO_NOTICE, startDemoFleet, type DemoFleet, type StoryTiming } from './demo/index.js';
import { guardConnections, httpServerOptions, type ConnectionGuard } from './exporter/connections.js';
import { createApp } from './exporter/server.js';
import { MetricsSelection } from './exporter/metrics/selection.js';
import { EXTENSION_ROUTES, EXTENSIONS } from './extensions.js';
import { startSelfMonitor } from './runtime/self-monitor.js';
import { selfTargets } from './runtime/self-targets.js';
import { Vigil } from './runtime/vigil.js';
import type { Extension, ExtensionContext, ExtensionDefinition } from './sources/extension.js';
import { defaultAdvertise, startCluster, type RunningCluster } from './cluster/index.js';
import { setShardGroups } from './cluster/shards.js';
import { openStateStore } from './store/open.js';
import { PostgresStore } from './store/postgres/store.js';
import { isPostgresUrl } from './store/state-store.js';
import { redactUrl } from './store/postgres/connection.js';
import { VERSION } from './version.js';
import { loadWebConfig, PLAIN_WEB_CONFIG, type WebConfig } from './web/web-config.js';
import { WebGuard } from './web/guard.js';
import { createWebListener, type WebListener } from './web/listener.js';

export interface ServeOptions {
  configPath?: string;
  listen?: string;
  state?: string;
  /** `--demo`: run the simulated fleet and its story instead of a config file. */
  demo?: { timing: StoryTiming };
  /** exporter-toolkit web config; overrides the config key `web_config_file`. */
  webConfigFile?: string;
}

export interface RunningVigil {
  vigil: Vigil;
  /** Present when this process is one replica of several. */
  cluster?: RunningCluster;
  server: Server;
  address: ListenAddress;
  log: Logger;
  /** Longest a stop may take before the CLI gives up on it: http.shutdown_timeout plus the final flush. */
  stopBudgetMs: number;
  /** Whether the listener speaks TLS. */
  tls: boolean;
  /** Re-reads the web config (SIGHUP): users, headers, rate limit and TLS settings; a broken file changes nothing. */
  reloadWebConfig(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts everything and resolves once the HTTP server listens. Used by the CLI and by tests. */
export async function startVigil(options: ServeOptions): Promise<RunningVigil> {
  const demo = options.demo ? await startDemoFleet(options.demo.timing) : undefined;
  try {
    return await startWith(options, demo);
  } catch (error) {
    await demo?.stop();
    demo?.discardState();
    throw error;
  }
}

async function startWith(options: ServeOptions, demo: DemoFleet | undefined): Promise<RunningVigil> {
  const { config, file } = demo ? await demoConfig(demo, options) : await loadConfig(options.configPath);
  const log = pino({ level: config.logLevel, base: { app: 'vigil' } });
  const statePath = options.state ?? config.statePath;

  const webConfigFile = options.webConfigFile ?? config.webConfigFile;
  const webConfig = webConfigFile === undefined ? PLAIN_WEB_CONFIG : await loadWebConfig(webConfigFile);
  const listener = createWebListener(webConfig, log, httpServerOptions(config.http));
  const server = listener.server;
  const connections = guardConnections(server, config.http);

  // Bind first: the embedded default's self-probes need the real port (`--listen :0` picks one).
  const address = await bind(server, options.listen ? parseListen(options.listen) : config.listen);
  if (file === EMBEDDED_FILE) config.targets = selfTargets(address, statePath, listener.tls);
  try {
    const running = await startOnBoundServer(server, connections, address, config, statePath, log, { listener, webConfig, webConfigFile }, demo);
    if (running.vigil.repairedAtStart.size > 0) {
      log.warn(
        { subjects: [...running.vigil.repairedAtStart].slice(0, 20), count: running.vigil.repairedAtStart.size },
        'stored times or durations out of bounds were clamped (see docs/store.md)',
      );
    }
    log.info(
      {
        config: file,
        extensions: running.extensions,
        listen: `${address.host}:${address.port}`,
        scheme: listener.tls ? 'https' : 'http',
        basic_auth: webConfig.basicAuthUsers.size > 0,
        state: redactUrl(statePath),
        subjects: running.vigil.state.subjects.size,
        max_connections: connections.cap,
        ...(running.cluster && { replica: running.cluster.replicaId, shards: running.cluster.coordinator.readyShards().size }),
      },
      'vigil serving',
    );
    if (demo) {
      demo.drive(localBaseUrl(address), (message) => log.info({ demo: DEMO_BUILD_LABELS.demo }, message));
    }
    return running;
  } catch (error) {
    server.close(); // a failed start must not leave the port held and the process running
    throw error;
  }
}

/** The demo's config, for its fleet's ports; its state is a fresh temporary file unless --state says otherwise. */
async function demoConfig(demo: DemoFleet, options: ServeOptions): Promise<LoadedConfig> {
  const statePath = demo.statePath(options.state);
  return parseConfig(demo.configText({ statePath, listen: options.listen }), { file: DEMO_FILE, baseDir: process.cwd() });
}

function bind(server: Server, listen: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : listen);
    });
  });
}

/**
 * Answers 503 while vigil starts on a port it already holds (a replica waits for its shards), so probes and clients
 * get an answer instead of a request that hangs; removed once the app takes over.
 */
function answerStarting(server: Server): () => void {
  const starting = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' }).end('vigil is starting.\n');
  };
  server.on('request', starting);
  return () => server.off('request', starting);
}

async function startOnBoundServer(
  server: Server,
  connections: ConnectionGuard,
  address: ListenAddress,
  config: VigilConfig,
  statePath: string,
  log: Logger,
  web: { listener: WebListener; webConfig: WebConfig; webConfigFile: string | undefined },
  demo: DemoFleet | undefined,
): Promise<RunningVigil & { extensions: string[] }> {
  const started = answerStarting(server);
  // The self `store` check turns crit with the first failed flush and ok with the first good one, not a period later.
  let reportStore = (): void => undefined;
  const storeOptions = {
    flushIntervalMs: config.flushInterval,
    eventsPerSubject: config.settings.eventsPerSubject,
    onError: (error: Error) => {
      log.error({ err: error.message }, 'state flush failed; retrying');
      reportStore();
    },
    onRecovered: () => reportStore(),
    ...(config.statePassword === undefined ? {} : { password: config.statePassword }),
  };
  if (config.cluster && !isPostgresUrl(statePath)) {
    throw new Error('cluster: replicas share their state through PostgreSQL; set state: postgres://… (a SQLite file serves one process)');
  }
  if (config.cluster && config.cluster.renewIntervalMs * 2 > config.cluster.holdTtlMs) {
    throw new Error('cluster.renew_interval must be at most half of cluster.hold_ttl, or holds lapse between renewals');
  }
  const replicaId = config.cluster ? (config.cluster.advertise ?? defaultAdvertise(address)) : undefined;
  // A renamed subject lives in the shard of its old id too, so the rename happens where its history is.
  if (replicaId) setShardGroups([...config.subjects, ...config.renames.map((rename) => ({ id: rename.to, dependsOn: [{ id: rename.from }] }))]);
  const store = replicaId ? await PostgresStore.open(statePath, { ...storeOptions, replicaId }) : await openStateStore(statePath, storeOptions);
  const vigil = new Vigil(store, config.settings);
  let cluster: RunningCluster | undefined;
  let selfMonitor: ReturnType<typeof startSelfMonitor> | undefined;
  vigil.maintenance.configure(config.maintenance); // before the subjects, so their first events already say so
  if (config.cluster && store instanceof PostgresStore && replicaId) {
    // Subjects, including the configured ones, arrive shard by shard as this replica takes them. The self check is
    // left out: the subject "vigil" lives in one shard, and every replica reports itself through vigil_cluster_*.
    cluster = await startCluster({
      url: statePath,
      ...(config.statePassword !== undefined && { password: config.statePassword }),
      settings: config.cluster,
      replicaId,
      vigil,
      store,
      configured: config.subjects,
      renames: config.renames,
      maxBodyBytes: config.api.maxBodyBytes,
      log,
    });
  } else {
    vigil.syncConfiguredSubjects(config.subjects, config.renames);
    const monitor = startSelfMonitor(vigil);
    selfMonitor = monitor;
    reportStore = () => setImmediate(() => monitor.reportNow());
  }

  const auth = new Authorizer(config.api.tokens);
  const guard = new WebGuard(web.webConfig, { auth, publicBadges: config.publicBadges });
  // Extensions get the sink and read-only views, never the runtime itself.
  const sink = vigil.sink();
  const extensionContext: Omit<ExtensionContext, 'section'> = {
    config,
    sink,
    runtime: { clock: vigil.clock, onCommittedEvents: (listener) => vigil.onCommittedEvents(listener) },
    auth,
    log,
    ...(cluster && { cluster: { replicaId: cluster.replicaId, ownerOf: cluster.ownerOf, forwardToPoller: cluster.forwardToPoller } }),
  };
  const extensions = (EXTENSIONS as readonly ExtensionDefinition[]).flatMap((definition) => {
    const extension: Extension | undefined = definition.create({ ...extensionContext, section: sectionOf(config, definition) });
    return extension ? [{ name: definition.name, placement: definition.placement, ...extension }] : [];
  });
  // One of several replicas: polling sources run only where their shard is held, and relay to the subjects' owners.
  const sources = cluster ? cluster.placeSources(extensions) : extensions.flatMap((extension) => extension.sources ?? []);
  const app = createApp(vigil, {
    auth,
    guard: guard.middleware(),
    before: cluster ? [cluster.router] : [],
    webBefore: cluster ? [cluster.webRouter] : [],
    routes: extensions.flatMap((extension) => (extension.routes ? [extension.routes] : [])),
    knownRoutes: EXTENSION_ROUTES,
    metrics: cluster ? [cluster.metrics] : [],
    families: extensions.flatMap((extension) => (extension.metrics ? [extension.metrics] : [])),
    maxBodyBytes: config.api.maxBodyBytes,
    selection: new MetricsSelection(config.metrics),
    limits: config.api.limits,
    connections,
    probe: config.probe,
    version: VERSION,
    ...(demo && { buildLabels: DEMO_BUILD_LABELS, pageNotice: DEMO_NOTICE }),
    ...(cluster && { statusModel: cluster.statusModel }),
    logError: (error) => log.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed'),
    logRejected: (fields, message) => log.warn(fields, message),
  });
  started();
  server.on('request', app.app);
  for (const extension of extensions) extension.attach?.(server);
  for (const source of sources) source.start(sink);
  vigil.start();
  app.setReady(true);

  const reloadWebConfig = async (): Promise<void> => {
    if (web.webConfigFile === undefined) return;
    try {
      const next = await loadWebConfig(web.webConfigFile);
      web.listener.update(next);
      guard.update(next);
      log.info({ file: web.webConfigFile, basic_auth: next.basicAuthUsers.size > 0 }, 'web config re-read');
    } catch (error) {
      log.error({ file: web.webConfigFile, err: (error as Error).message }, 'web config not re-read: it is invalid; keeping the previous one');
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      app.setReady(false);
      // Idle and half-sent connections go at once; requests being answered get http.shutdown_timeout.
      const closed = connections.close();
      app.streams.closeAll();
      selfMonitor?.stop();
      await Promise.allSettled(sources.map((source) => source.stop()));
      // After the probes stopped, so closing the demo's servers is not recorded as an outage.
      await demo?.stop();
      await Promise.allSettled(extensions.map((extension) => extension.stop?.()));
      // Hands the shards over (flushed first), so the other replicas take them at once instead of after the TTL.
      await cluster?.stop().catch((error: unknown) => log.warn({ err: String(error) }, 'leaving the cluster failed'));
      vigil.stop();
      await closed;
      await store.close();
      demo?.discardState();
      log.info('vigil stopped; state flushed');
    })());
  return {
    vigil,
    server,
    address,
    log,
    tls: web.listener.tls,
    reloadWebConfig,
    stop,
    stopBudgetMs: config.http.shutdownTimeoutMs + STOP_MARGIN_MS,
    extensions: extensions.map((e) => e.name),
    ...(cluster && { cluster }),
  };
}

/** Time a stop may take beyond http.shutdown_timeout: sources stopping and the final flush. */
const STOP_MARGIN_MS = 4_000;

/** The CLI entry: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serve(options: ServeOptions): Promise<void> {
  const running = await startVigil(options);
  const shutdown = (signal: string) => {
    running.log.info({ signal }, 'shutting down');
    // Whatever hangs (a source that does not stop, a disk that does not answer), the process ends in bounded time.
    setTimeout(() => {
      running.log.error({ signal }, `shutdown did not finish within ${running.stopBudgetMs} ms; exiting`);
      process.exit(1);
    }, running.stopBudgetMs).unref();
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.log.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // As Prometheus and its exporters do: SIGHUP re-reads the web config (certificate files are also watched).
  process.on('SIGHUP', () => void running.reloadWebConfig());
}
