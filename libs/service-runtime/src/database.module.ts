import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@cinderflow/persistence';
import { LOGGER } from './tokens';
import type { Logger } from '@cinderflow/logging';

/**
 * The PostgreSQL connection of a service, migrated to the latest schema before anything uses
 * it. Injected as TypeORM's DataSource.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(url: string, poolSize?: number): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          inject: [LOGGER],
          useFactory: async (logger: Logger) => {
            const dataSource = createDataSource(url, poolSize);
            try {
              await dataSource.initialize();
            } catch (error) {
              throw new Error(
                `PostgreSQL is unreachable at ${redact(url)}: ${(error as Error).message}`,
              );
            }
            const applied = await runMigrations(dataSource);
            if (applied.length > 0) {
              logger.info({ migrations: applied }, 'database migrated');
            }
            return dataSource;
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
