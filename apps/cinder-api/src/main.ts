import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { type KeystoneTokenValidator, validatorFromSettings } from '@cinderflow/keystone-auth';
import { type ApiConfig, apiSpec, ConfigError, loadConfig } from '@cinderflow/config';
import { createLogger, NestPinoLogger } from '@cinderflow/logging';
import { CINDER_DEFAULT_RULES, loadEnforcer } from '@cinderflow/policy';
import { preflight } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';
import { parseQuery } from './common/input-checks';
import { installEnforcer } from './common/policy';
import {
  bodyChecks,
  bodyErrorHandler,
  clientErrorHandler,
  requestPipeline,
} from './common/request-pipeline';

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadConfig(apiSpec);
  } catch (error) {
    process.stderr.write(`cinder-api: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger('cinder-api', { level: config.LOG_LEVEL });
  let keystone: KeystoneTokenValidator | undefined;
  try {
    keystone = validatorFromSettings(config);
  } catch (error) {
    process.stderr.write(`cinder-api: ${(error as Error).message}\n`);
    process.exit(2);
  }
  try {
    installEnforcer(loadEnforcer(CINDER_DEFAULT_RULES, config.POLICY_FILE || undefined));
  } catch (error) {
    process.stderr.write(`cinder-api: policy: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const problems = await preflight(config.DATABASE_URL, config.AMQP_URL);
  if (problems.length > 0) {
    problems.forEach((problem) => logger.fatal(problem));
    process.exit(1);
  }
  const server = express();
  // As Cinder's router: `/V3/...` is no route (the request pipeline only knows `/v3/`). Set
  // before Nest touches the router, which reads it once, when it is created.
  server.set('case sensitive routing', true);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logger),
    new ExpressAdapter(server),
    { bodyParser: false, logger: new NestPinoLogger(logger) },
  );
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', parseQuery);
  app.use(requestPipeline(logger, keystone));
  // Cinder reads the body as JSON whatever the content type says.
  app.use(express.json({ type: () => true, limit: '1mb' }));
  app.use(bodyErrorHandler());
  app.use(bodyChecks());
  const http = app.getHttpServer() as Server;
  http.on('clientError', clientErrorHandler());
  // Longer than clients keep idle connections (Node's fetch: 4 s, python-requests: until
  // closed), so that the server never closes one just as a client sends on it.
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.API_PORT, config.API_LISTEN);
  logger.info({ url: `http://${config.API_LISTEN}:${config.API_PORT}/v3` }, 'cinder-api listening');
}

void main();
