import { Type, type Static } from '@sinclair/typebox';

/** Shared schema pieces: the same id rules as src/shared/ids.ts, so a bad id is a 400 at the door. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_\\-:@]{1,128}$' });
export const Kind = Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' });
export const Iso = Type.String({ format: 'date-time' });

export const Problem = Type.Object({
  status: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const RecordedEvent = Type.Object({
  id: Type.String(),
  type: Type.String(),
  data: Type.Unknown(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  stream: Type.String(),
  revision: Type.Integer(),
  position: Type.Integer(),
});

export const CommandAnswer = Type.Object({
  commandId: Type.String(),
  revision: Type.Integer(),
  position: Type.Integer(),
  events: Type.Array(RecordedEvent),
  duplicate: Type.Optional(Type.Boolean()),
});

export const problems = { 400: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, 503: Problem };
export type ProblemBody = Static<typeof Problem>;

/** A read-model document: its fields are documented by the projection that builds it. */
export const Doc = Type.Object({}, { additionalProperties: true });
