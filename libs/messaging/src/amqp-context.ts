import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import type { MessageContext } from '@cinderflow/contracts';

/** What a handler can learn about the message it serves (`@Ctx() ctx: AmqpContext`). */
export class AmqpContext extends BaseRpcContext<[ConsumeMessage, MessageContext]> {
  get message(): ConsumeMessage {
    return this.args[0];
  }
  get messageContext(): MessageContext {
    return this.args[1];
  }
  /** True when the broker has delivered this message before (a handler may have run already). */
  get redelivered(): boolean {
    return this.args[0].fields.redelivered;
  }
}
