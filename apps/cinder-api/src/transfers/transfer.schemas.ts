import { badRequest } from '../common/cinder-errors';
import { BooleanLike, NullableString, type Static, Strict, Type, Uuid } from '../common/schema';

/**
 * Cinder's `name`: `oneOf` a string in format name_skip_leading_trailing_spaces, or null; the
 * format is checked by `checkTransferName` (ajv knows no such format).
 */
const TransferName = NullableString();

/** cinder/api/schemas/volume_transfer.py `create` (before 3.55, and the os-volume-transfer route). */
export const createTransferSchema = Strict({
  transfer: Strict({
    volume_id: Uuid,
    name: Type.Optional(TransferName),
  }),
});
export type CreateTransferBody = Static<typeof createTransferSchema>;

/** cinder/api/schemas/volume_transfer.py `create_v355`: with `no_snapshots`. */
export const createTransferV355Schema = Strict({
  transfer: Strict({
    volume_id: Uuid,
    name: Type.Optional(TransferName),
    no_snapshots: Type.Optional(BooleanLike),
  }),
});
export type CreateTransferV355Body = Static<typeof createTransferV355Schema>;

/** cinder/api/schemas/volume_transfer.py `accept`. */
export const acceptTransferSchema = Strict({
  accept: Strict({
    auth_key: Type.Unsafe<string | number>({ type: ['string', 'integer'] }),
  }),
});
export type AcceptTransferBody = Static<typeof acceptTransferSchema>;

/**
 * The name_skip_leading_trailing_spaces format inside Cinder's `oneOf`: a name that is empty,
 * blank or longer than 255 once stripped matches neither branch. Returns the stripped name.
 */
export function checkTransferName(name: string | null | undefined): string | null {
  if (name === undefined || name === null) return null;
  const stripped = name.trim();
  if (stripped.length === 0 || stripped.length > 255) {
    throw badRequest(
      `Invalid input for field/attribute name. Value: ${name}. '${name}' is not valid under any of the given schemas`,
    );
  }
  return stripped;
}
