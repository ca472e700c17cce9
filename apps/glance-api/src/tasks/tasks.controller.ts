import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { GlanceHttpError } from '../common/glance-errors';
import { Caller } from '../common/glance-request';
import { QueryParams, urlencode } from '../common/query';
import { taskStubView, taskView } from './task.view';
import { tasksSchemaDocument, taskSchemaDocument } from './task.schema';
import { TasksService } from './tasks.service';

/** `/v2/tasks`: create (type `import`), list, show; tasks are never deleted by the API. */
@Controller('v2/tasks')
export class TasksController {
  constructor(private readonly service: TasksService) {}

  @Post()
  @HttpCode(201)
  async create(
    @Caller() caller: RequestContext,
    @Req() req: Request,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown>> {
    // A request with no body at all is not an empty JSON object.
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || !!req.headers['transfer-encoding'];
    const task = await this.service.create(caller, hasBody ? body : undefined);
    res.setHeader('Location', `/v2/tasks/${task.id}`);
    return taskView(task);
  }

  @Get()
  async list(
    @Caller() caller: RequestContext,
    @Req() req: Request,
  ): Promise<Record<string, unknown>> {
    const params = QueryParams.ofUrl(req.originalUrl).lastValues();
    const { tasks, nextMarker } = await this.service.list(caller, params);
    params.delete('marker');
    const query = urlencode(params);
    const body: Record<string, unknown> = {
      tasks: tasks.map(taskStubView),
      first: query ? `/v2/tasks?${query}` : '/v2/tasks',
      schema: '/v2/schemas/tasks',
    };
    if (nextMarker) {
      params.set('marker', nextMarker);
      body.next = `/v2/tasks?${urlencode(params)}`;
    }
    return body;
  }

  @Get(':id')
  async show(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
  ): Promise<Record<string, unknown>> {
    return taskView(await this.service.show(caller, id));
  }

  /** Glance: tasks go once their expires_at has passed, never on request. */
  @Delete(':id')
  delete(@Caller() caller: RequestContext): never {
    this.service.enforceAccess(caller);
    throw new GlanceHttpError(
      405,
      'This operation is currently not permitted on Glance Tasks. They are auto deleted after reaching the time based on their expires_at property.',
      { Allow: 'GET' },
    );
  }
}

/** `GET /v2/schemas/task` and `/v2/schemas/tasks`: Glance's documents. */
@Controller('v2/schemas')
export class TaskSchemasController {
  @Get('task')
  task(): Record<string, unknown> {
    return taskSchemaDocument();
  }

  @Get('tasks')
  tasks(): Record<string, unknown> {
    return tasksSchemaDocument();
  }
}
