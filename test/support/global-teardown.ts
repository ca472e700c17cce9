import { dropDatabase } from '@cinderflow/persistence';
import { infrastructure } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  const infra = infrastructure();
  if (infra.source === 'testcontainers') {
    const { stopContainers } = await import('./containers');
    await stopContainers();
  } else if (infra.templateDatabase !== undefined) {
    const url = new URL(infra.databaseUrl);
    url.pathname = `/${infra.templateDatabase}`;
    await dropDatabase(url.toString());
  }
}
