import { infrastructure } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  if (infrastructure().source === 'testcontainers') {
    const { stopContainers } = await import('./containers');
    await stopContainers();
  }
}
