// The configuration `vigil serve` runs when given no --config and there is no ./vigil.yml:
// vigil watching itself, so `npm start` shows live data at once (docs/design.md, contracts: commands).
// `vigil serve` adds three probes of vigil itself once it has bound its port (src/runtime/self-targets.ts):
// its own port (hostport), a file write in its state directory (filewrite) and its own /-/healthy (download).

export const EMBEDDED_CONFIG = `# vigil's embedded default: vigil watching the machine it runs on.
listen: 0.0.0.0:9977
state: ./data/vigil.db
subjects:
  - id: vigil
    kind: exporter
    # vigil checks itself from its first second, so no start-up grace is needed.
    startup_grace: 0s
targets: []
`;
