import { ComposeProject, SMOKE_PROJECT } from './compose-cli';
import { COMPOSE_ENV } from './global-setup';

/** Whatever happened in the tests (a failure, a crashed worker), the cluster goes down. */
export default async function globalTeardown(): Promise<void> {
  const command = process.env[COMPOSE_ENV];
  if (!command) return;
  await new ComposeProject(JSON.parse(command) as string[], SMOKE_PROJECT).run([
    'down',
    '-v',
    '--remove-orphans',
  ]);
}
