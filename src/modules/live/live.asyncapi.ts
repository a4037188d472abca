import { z } from 'zod';
import { clientFrames, serverFrames } from './live.protocol.js';

type Json = Record<string, unknown>;

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * JSON Schema (draft 7, which AsyncAPI schemas extend) of a frame's data, without generator
 * noise: no `$schema`, no `pattern` beside a `format` (zod writes both for ids and times), no
 * ±2^53 bounds on integers.
 */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$schema') continue;
      if (k === 'pattern' && 'format' in (node as Json)) continue;
      if ((k === 'maximum' || k === 'minimum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
      out[k] = strip(v);
    }
    return out;
  };
  return strip(z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' })) as Json;
}

/**
 * The realtime socket as an AsyncAPI 3.0 document (`GET /asyncapi.json`): one channel, the
 * socket; a `send` operation per client frame and a `receive` operation per server frame;
 * each frame a message whose payload is `{type, data}` with `data` from live.protocol.ts.
 */
export function buildAsyncApi(info: { version: string }): Json {
  const schemas: Json = {};
  const messages: Json = {};
  const channelMessages: Json = {};
  const operations: Json = {};
  const add = (frames: Record<string, { summary: string; description: string; data: z.ZodType }>, action: 'send' | 'receive') => {
    for (const [type, frame] of Object.entries(frames)) {
      const id = camel(type);
      const schemaName = `${pascal(type)}Frame`;
      schemas[schemaName] = {
        type: 'object',
        description: frame.summary,
        properties: { type: { const: type, description: 'The event name.' }, data: schemaOf(frame.data, action === 'send' ? 'input' : 'output') },
        required: action === 'send' && type === 'end-session' ? ['type'] : ['type', 'data'],
        additionalProperties: false,
      };
      messages[id] = { name: type, title: type, summary: frame.summary, description: frame.description, contentType: 'application/json', payload: { $ref: `#/components/schemas/${schemaName}` } };
      channelMessages[id] = { $ref: `#/components/messages/${id}` };
      operations[`${action}${pascal(type)}`] = {
        action,
        title: `${action === 'send' ? 'Client sends' : 'Server sends'} ${type}`,
        summary: frame.summary,
        channel: { $ref: '#/channels/live' },
        messages: [{ $ref: `#/channels/live/messages/${id}` }],
        ...(action === 'send' ? { security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/queryToken' }, { $ref: '#/components/securitySchemes/apiKey' }] } : {}),
      };
    }
  };
  add(clientFrames, 'send');
  add(serverFrames, 'receive');
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Xentree Live realtime socket',
      version: info.version,
      description:
        'Talk with the Xentree Live AI in real time over one WebSocket: JSON frames `{"type": "<event>", "data": {...}}` both ways. The event names are those of the Xentree documentation; `transcript` and `error` are this gateway\'s. Audio both ways is base64 16-bit little-endian PCM, mono, 24 kHz. Sessions, quota and transcripts are also on REST (`/openapi.json`, tag Live) and GraphQL.',
    },
    defaultContentType: 'application/json',
    channels: {
      live: {
        address: '/api/live/ws',
        title: 'The live socket',
        description:
          'One session per socket. Credentials: the `Authorization: Bearer` header, `?token=` (browsers cannot set headers on a WebSocket), or an API key with `live:write` in `X-API-Key`. Close codes: 1000 after `session-ended`; 4401 when the credentials ended (after an `error` frame with `invalid_token`); 4403 when they are refused at the start; 1008/1009 for floods and oversized frames.',
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: { type: 'object', properties: { token: { type: 'string', description: 'An access token, for browsers (instead of the Authorization header).' } } },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token in the Authorization header.' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'An access token in the `token` query parameter.' },
        apiKey: { type: 'httpApiKey', name: 'X-API-Key', in: 'header', description: 'An API key with the scope `live:write`.' },
      },
    },
  };
}
