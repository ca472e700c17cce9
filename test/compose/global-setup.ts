import { constants } from 'node:os';
import { containerEngine, containersRequired } from '../support/infrastructure';
import { ComposeProject, findCompose, SMOKE_PROJECT } from './compose-cli';

export const COMPOSE_ENV = 'CINDERFLOW_COMPOSE_COMMAND';

/**
 * The cluster smoke test needs a container engine and a compose CLI. Without them it is
 * skipped and says so, unless CINDERFLOW_REQUIRE_CONTAINERS=1 (CI), where that is a failure.
 */
export default async function globalSetup(): Promise<void> {
  const command = findCompose();
  const engine = (await containerEngine()) !== undefined;
  if (command && engine) {
    process.env[COMPOSE_ENV] = JSON.stringify(command);
    process.stdout.write(
      `\n[compose] using \`${command.join(' ')}\` on ${process.env.DOCKER_HOST ?? 'the default engine'}\n`,
    );
    // Ctrl-C or a kill mid-run: take the cluster down before exiting. Here, not in the spec:
    // jest hands test files a copy of `process` whose signal handlers never fire.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        process.stdout.write(`\n[compose] ${signal}: taking ${SMOKE_PROJECT} down\n`);
        try {
          new ComposeProject(command, SMOKE_PROJECT).downSync();
        } finally {
          process.exit(128 + constants.signals[signal]);
        }
      });
    }
    return;
  }
  const missing = [!engine && 'no container engine answers', !command && 'no compose CLI found']
    .filter(Boolean)
    .join(', ');
  if (containersRequired()) throw new Error(`compose smoke test cannot run: ${missing}`);
  delete process.env[COMPOSE_ENV];
  process.stdout.write(`\n[compose] SKIPPING the cluster smoke test: ${missing}\n`);
}
