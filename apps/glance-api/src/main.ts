import 'reflect-metadata';
import type { IncomingMessage, Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type KeystoneTokenValidator, validatorFromSettings } from '@cinderflow/keystone-auth';
import { ConfigError, type GlanceApiConfig, glanceApiSpec, loadConfig } from '@cinderflow/config';
import { createLogger, NestPinoLogger } from '@cinderflow/logging';
import { GLANCE_DEFAULT_RULES, loadEnforcer } from '@cinderflow/policy';
import { preflight } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';
import { renderError } from './common/glance-errors';
import { installEnforcer } from './common/policy';
import { requestPipeline } from './common/request-pipeline';

/** Bodies glance-api reads as JSON; image data (octet-stream) streams to the stores unread. */
const JSON_TYPES = [
  'application/json',
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
];

/**
 * Glance's JSONRequestDeserializer reads an image create's body as JSON whatever its
 * Content-Type says; other bodies are JSON only when they say so.
 */
function readsJson(message: IncomingMessage): boolean {
  // body-parser hands over express's request.
  const req = message as Request;
  // body-parser would read an empty body as {}; Glance sees no body ("Body expected").
  if (req.headers['content-length'] === '0') return false;
  if (req.method === 'POST' && req.path.replace(/\/+$/, '') === '/v2/images') return true;
  return typeof req.is(JSON_TYPES) === 'string';
}

/** Valid JSON that is not a list or an object: Glance refuses it with its own message. */
function isJsonScalar(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** Routes whose bodies are image data: v2's `/file` and v1's legacy upload. */
const IMAGE_DATA_PATHS = /^\/v2\/images\/[^/]+\/file\/?$|^\/v1\/images\/[^/]+\/?$/;

async function main(): Promise<void> {
  let config: GlanceApiConfig;
  try {
    config = loadConfig(glanceApiSpec);
  } catch (error) {
    process.stderr.write(`glance-api: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger('glance-api', { level: config.LOG_LEVEL });
  let keystone: KeystoneTokenValidator | undefined;
  try {
    keystone = validatorFromSettings(config);
  } catch (error) {
    process.stderr.write(`glance-api: ${(error as Error).message}\n`);
    process.exit(2);
  }
  try {
    // GLANCE_TASKS_API_ACCESS=everyone is the older switch for tasks_api_access; a policy file
    // naming the rule wins over it.
    const defaults =
      config.GLANCE_TASKS_API_ACCESS === 'everyone'
        ? { ...GLANCE_DEFAULT_RULES, tasks_api_access: '@' }
        : GLANCE_DEFAULT_RULES;
    installEnforcer(loadEnforcer(defaults, config.GLANCE_POLICY_FILE || undefined));
  } catch (error) {
    process.stderr.write(`glance-api: policy: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const problems = await preflight(config.DATABASE_URL, config.AMQP_URL);
  if (problems.length > 0) {
    problems.forEach((problem) => logger.fatal(problem));
    process.exit(1);
  }
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logger),
    new ExpressAdapter(express()),
    { bodyParser: false, logger: new NestPinoLogger(logger) },
  );
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestPipeline(logger, keystone));
  const json = express.json({ type: readsJson, limit: '1mb' });
  // Image data is never a JSON body, whatever it claims: the upload routes answer its media
  // type themselves (415), without reading it.
  app.use((req: Request, res: Response, next: NextFunction) =>
    IMAGE_DATA_PATHS.test(req.path) ? next() : json(req, res, next),
  );
  app.use(
    (
      error: Error & { type?: string; status?: number; body?: unknown },
      req: Request,
      res: Response,
      next: NextFunction,
    ) => {
      if (error.type === 'entity.parse.failed')
        renderError(
          req,
          res,
          400,
          isJsonScalar(error.body)
            ? 'Unexpected body type. Expected list/dict.'
            : 'Malformed JSON in request body.',
        );
      else if (error.type === 'entity.too.large')
        renderError(req, res, 413, 'Request Entity Too Large');
      else next(error);
    },
  );
  const http = app.getHttpServer() as Server;
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  // Uploads of large images take as long as they take.
  http.requestTimeout = 0;
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.GLANCE_PORT, config.GLANCE_LISTEN);
  logger.info(
    { url: `http://${config.GLANCE_LISTEN}:${config.GLANCE_PORT}` },
    'glance-api listening',
  );
}

void main();
