import { LOG_LEVELS } from '@cinderflow/contracts';
import { NullableString, Strict, Type } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { invalidInput } from '../common/cinder-errors';

/** Cinder's parameter_types.cinder_host: hostname, hostname@backend, hostname@backend#pool. */
const CinderHost = NullableString({
  minLength: 1,
  maxLength: 255,
  pattern: '^[a-zA-Z0-9-._#@:/+\\[\\]]*$',
});
const Name255 = Type.String({ minLength: 1, maxLength: 255 });
/** parameter_types.binary: the log binaries, or '' / '*' for all. */
const LogBinary = Type.Unsafe<string>({
  type: 'string',
  enum: ['cinder-scheduler', 'cinder-volume', 'cinder-backup', 'cinder-api', '', '*'],
});

const enableAndDisable = {
  binary: Type.Optional(Name255),
  host: Type.Optional(CinderHost),
  cluster: Type.Optional(NullableString()),
  service: Type.Optional(Name255),
};
// Cinder's anyOf [required binary, required service]: its error names the first.
const BINARY_OR_SERVICE = {
  anyOf: [
    { required: ['binary'], properties: { binary: Name255 } },
    { required: ['service'], properties: { service: Name255 } },
  ],
};

/** cinder/api/schemas/services.py, one per action of `PUT /os-services/{action}`. */
export const enableAndDisableSchema = new RequestSchema(
  Strict(enableAndDisable, BINARY_OR_SERVICE),
);
export const disableLogReasonSchema = new RequestSchema(
  Strict({ ...enableAndDisable, disabled_reason: Type.Optional(Name255) }, BINARY_OR_SERVICE),
);
export const setLogSchema = new RequestSchema(
  Strict({
    binary: Type.Optional(LogBinary),
    server: Type.Optional(NullableString()),
    prefix: Type.Optional(NullableString()),
    level: Type.Optional(NullableString()),
  }),
);
export const getLogSchema = new RequestSchema(
  Strict({
    binary: Type.Optional(LogBinary),
    server: Type.Optional(NullableString()),
    prefix: Type.Optional(NullableString()),
  }),
);
export const freezeAndThawSchema = new RequestSchema(
  Strict({ cluster: Type.Optional(NullableString()), host: Type.Optional(CinderHost) }),
);
export const failoverHostSchema = new RequestSchema(
  Strict({
    host: Type.Optional(CinderHost),
    backend_id: Type.Optional(NullableString()),
    cluster: Type.Optional(NullableString()),
  }),
);

/** Cinder's 'level' format (utils.get_log_method): one of LOG_LEVELS, any case. */
export function logLevelOf(level: string | null | undefined): (typeof LOG_LEVELS)[number] {
  const upper = (level ?? '').toUpperCase();
  const found = LOG_LEVELS.find((l) => l === upper);
  if (!found) throw invalidInput(`${level ?? ''} is not a valid log level.`);
  return found;
}

/** Cinder's 'disabled_reason' format: 1 to 255 characters once surrounding spaces go. */
export function checkDisabledReason(reason: string | undefined): void {
  if (reason === undefined) return;
  if (reason.length > 0 && reason.trim().length === 0) {
    throw invalidInput('disabled_reason cannot be all spaces.');
  }
}
