import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { containerEngine } from '../support/infrastructure';

export const ROOT = resolve(__dirname, '../..');

/** Every service docker-compose.yml runs, sorted. */
export const COMPOSE_SERVICES = [
  'cinder-api',
  'cinder-backup',
  'cinder-scheduler',
  'cinder-volume-1',
  'cinder-volume-2',
  'glance-api',
  'glance-scrubber',
  'glance-task-worker',
  'postgres',
  'rabbitmq',
];

/** The smoke test's compose project: fixed, so that any run can clean up after an earlier one. */
export const SMOKE_PROJECT = 'cinderflowsmoke';

/** `docker compose` (v2) where the plugin is installed, otherwise `docker-compose` (v1). */
export function findCompose(): string[] | undefined {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(command[0]!, [...command.slice(1), 'version'], { stdio: 'ignore' });
      return command;
    } catch {
      // not installed, or no compose plugin for this docker CLI
    }
  }
  return undefined;
}

/** One compose project (`-p`) of the repository's docker-compose.yml. */
export class ComposeProject {
  constructor(
    private readonly command: string[],
    readonly name: string,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Runs a compose subcommand; rejects with its output when it exits non-zero. */
  run(args: string[], input?: Buffer): Promise<string> {
    const [bin, ...pre] = this.command;
    const child = spawn(bin!, [...pre, '-p', this.name, '-f', 'docker-compose.yml', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    return new Promise((done, fail) => {
      child.on('error', fail);
      child.on('close', (code) =>
        code === 0
          ? done(stdout)
          : fail(
              new Error(
                `${this.command.join(' ')} ${args.join(' ')} exited ${code}:\n${stderr}${stdout}`,
              ),
            ),
      );
    });
  }

  /** Synchronous teardown, for signal handlers that must finish before the process exits. */
  downSync(): void {
    const [bin, ...pre] = this.command;
    execFileSync(
      bin!,
      [...pre, '-p', this.name, '-f', 'docker-compose.yml', 'down', '-v', '--remove-orphans'],
      { cwd: ROOT, env: { ...process.env, ...this.env }, stdio: 'ignore' },
    );
  }

  private get labelFilter() {
    return { label: [`com.docker.compose.project=${this.name}`] };
  }

  /** The project's containers, volumes and networks that the engine still has. */
  async leftovers(): Promise<string[]> {
    const engine = await requireEngine();
    const filters = this.labelFilter;
    const [containers, volumes, networks] = await Promise.all([
      engine.listContainers({ all: true, filters }),
      engine.listVolumes({ filters }),
      engine.listNetworks({ filters }),
    ]);
    return [
      ...containers.map((c) => `container ${c.Names[0] ?? c.Id}`),
      ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
      ...networks.map((n) => `network ${n.Name}`),
    ];
  }

  /** Each running container of the project: its service, health and published ports. */
  async health(): Promise<{ service: string; health: string; ports: Record<string, unknown> }[]> {
    const engine = await requireEngine();
    const running = await engine.listContainers({ filters: this.labelFilter });
    return Promise.all(
      running.map(async ({ Id }) => {
        const c = await engine.getContainer(Id).inspect();
        return {
          service: c.Config.Labels['com.docker.compose.service'] ?? Id,
          health: c.State.Health?.Status ?? 'none',
          // exposed-only ports come back as `null`
          ports: Object.fromEntries(
            Object.entries(c.HostConfig.PortBindings ?? {}).filter(([, b]) => b !== null),
          ),
        };
      }),
    );
  }
}

export async function requireEngine() {
  const engine = await containerEngine();
  if (!engine) throw new Error('no container engine answers');
  return engine;
}
