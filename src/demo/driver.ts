// Plays the story on the demo fleet through vigil's real paths: it sets the loopback servers' behaviour (the targets
// source probes them), pushes the backup job's heartbeat and the experiment's stream checks through the push API
// with a bearer token, and holds the lab PCs' websockets with the reference agent's client. It never touches the
// engine: vigil sees only what any installation would see.
import { AgentConnection } from '../agent/client.js';
import { formatDuration } from '../util/duration.js';
import { DEMO_SUBJECTS } from './config.js';
import type { DemoPort, DemoWebServer } from './servers.js';
import { episodes, sceneAt, type DemoScene, type StoryTiming } from './story.js';

export interface DemoDriverOptions {
  /** vigil's own base URL, http://host:port. */
  base: string;
  token: string;
  timing: StoryTiming;
  web: DemoWebServer;
  switchPort: DemoPort;
  hostPorts: readonly DemoPort[];
  clock?: () => number;
  log?: (message: string) => void;
}

type CheckStatus = 'ok' | 'crit';

export class DemoDriver {
  private readonly clock: () => number;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly agents = new Map<string, AgentConnection>();
  private previous: DemoScene | undefined;
  private stopped = false;

  constructor(private readonly options: DemoDriverOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.startedAt = this.clock();
    const cycle = episodes(this.options.timing)
      .map((e) => `${e.name} ${Math.round(e.start / 1000)}s`)
      .join(', ');
    this.options.log?.(`demo story started (simulated; episodes at ${cycle})`);
    void this.step();
    this.timer = setInterval(() => void this.step(), this.options.timing.tickMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.agents.values()].map((agent) => agent.stop()));
    this.agents.clear();
  }

  /** One tick: apply the scene of this moment, then send what is due every tick. */
  private async step(): Promise<void> {
    if (this.stopped) return;
    const scene = sceneAt(this.clock() - this.startedAt, this.options.timing);
    this.describeChanges(scene);
    this.previous = scene;
    const { web, switchPort, hostPorts } = this.options;
    web.mode = scene.web;
    await Promise.all([switchPort.set(scene.switchUp), ...hostPorts.map((port) => port.set(scene.hostsUp))]);

    for (const id of DEMO_SUBJECTS.machines) this.holdAgent(id, id !== DEMO_SUBJECTS.roamingMachine || scene.machineConnected);
    await Promise.allSettled([
      scene.heartbeat ? this.push(DEMO_SUBJECTS.heartbeat, 'heartbeat', 'ok', 'nightly backup alive (simulated)') : undefined,
      this.push(DEMO_SUBJECTS.experiment, 'stream-data', 'ok', 'data stream transmitting (simulated)'),
      scene.videoQuiet
        ? this.push(
            DEMO_SUBJECTS.experiment,
            'stream-video',
            'crit',
            `video stream has not transmitted for over ${formatDuration(this.options.timing.tickMs)} (simulated)`,
          )
        : this.push(DEMO_SUBJECTS.experiment, 'stream-video', 'ok', 'video stream transmitting (simulated)'),
    ]);
  }

  private holdAgent(id: string, connected: boolean): void {
    const agent = this.agents.get(id);
    if (connected && !agent) {
      const { tickMs } = this.options.timing;
      const connection = new AgentConnection({
        server: this.options.base,
        id,
        token: this.options.token,
        heartbeatInterval: tickMs,
        minBackoff: tickMs,
        maxBackoff: 4 * tickMs,
      });
      this.agents.set(id, connection);
      connection.start();
    } else if (!connected && agent) {
      this.agents.delete(id);
      void agent.stop();
    }
    this.agents
      .get(id)
      ?.send({ type: 'check', check: 'cpu', status: 'ok', message: 'load 0.4 (simulated)', period: `${this.options.timing.tickMs}ms` });
  }

  private async push(subject: string, check: string, status: CheckStatus, message: string): Promise<void> {
    try {
      await fetch(`${this.options.base}/api/v1/subjects/${subject}/checks/${check}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status, message, period: `${this.options.timing.tickMs}ms` }),
        signal: AbortSignal.timeout(this.options.timing.tickMs),
      });
    } catch {
      // vigil is stopping or busy: the next tick pushes again
    }
  }

  private describeChanges(scene: DemoScene): void {
    const before = this.previous;
    if (!before || !this.options.log) return;
    const say = this.options.log;
    if (scene.web !== before.web)
      say(`demo: web target ${scene.web === 'ok' ? 'recovers' : scene.web === 'slow' ? 'slows down' : 'fails (HTTP 503)'}`);
    if (scene.switchUp !== before.switchUp) say(`demo: switch ${DEMO_SUBJECTS.switch} ${scene.switchUp ? 'is back' : 'goes down'}`);
    if (scene.hostsUp !== before.hostsUp) say(`demo: hosts behind ${DEMO_SUBJECTS.switch} ${scene.hostsUp ? 'answer again' : 'stop answering'}`);
    if (scene.heartbeat !== before.heartbeat) say(`demo: ${DEMO_SUBJECTS.heartbeat} heartbeat ${scene.heartbeat ? 'resumes' : 'stops'}`);
    if (scene.machineConnected !== before.machineConnected) {
      say(`demo: ${DEMO_SUBJECTS.roamingMachine} ${scene.machineConnected ? 'reconnects' : 'disconnects'}`);
    }
    if (scene.videoQuiet !== before.videoQuiet)
      say(`demo: ${DEMO_SUBJECTS.experiment} video stream ${scene.videoQuiet ? 'goes quiet' : 'transmits again'}`);
  }
}
