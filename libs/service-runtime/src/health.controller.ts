import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import type { RpcClient } from '@cinderflow/messaging';
import { RPC_CLIENT } from './tokens';

/**
 * `GET /healthcheck`, as oslo.middleware's healthcheck that Cinder and Glance deployments mount: 200 `OK`
 * while the API can do its work, 503 with the reasons while PostgreSQL or RabbitMQ is away.
 */
@Controller('healthcheck')
export class HealthController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
  ) {}

  @Get()
  async check(@Res() res: Response): Promise<void> {
    const problems: string[] = [];
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      problems.push(`database unreachable: ${(error as Error).message}`);
    }
    if (!this.rpc.isConnected()) problems.push('message broker unreachable');
    res
      .status(problems.length === 0 ? 200 : 503)
      .type('text/plain')
      .send(problems.length === 0 ? 'OK' : problems.join('\n'));
  }
}
