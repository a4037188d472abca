import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/common/context.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { IntegrationsService } from '../src/modules/integrations/integrations.service.js';
import { TokenCipher } from '../src/modules/integrations/token-cipher.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { signUp } from './helpers/factories.js';
import { restClient } from './helpers/http.js';
import { connectThroughRest, encryptionKey, startGoogleGateway } from './helpers/integrations.js';
import type { TestServer } from './helpers/server.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'xt-integrations-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const google = { GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'secret', GOOGLE_REDIRECT_URI: 'https://gw.example.com/api/integrations/google-calendar/callback' };
const key = (b: number) => Buffer.alloc(32, b).toString('base64');

describe('integration configuration', () => {
  it('is off without Google settings, and names what is missing; a partial setting stops the start', () => {
    const c = loadConfig({ DATA_DIR: tmp() });
    expect(c.integrations.google).toBeNull();
    expect(c.integrations.googleMissing).toEqual(['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'GOOGLE_REDIRECT_URI']);
    // Integration tokens seal their signing keys with it: one is generated in development, Google or not.
    expect(c.integrations.encryptionKeys.map((k) => k.id)).toEqual(['local']);
    expect(loadConfig({ DATA_DIR: tmp(), NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).integrations.encryptionKeys).toEqual([]);
    expect(() => loadConfig({ DATA_DIR: tmp(), GOOGLE_CLIENT_ID: 'x' })).toThrow(/GOOGLE_CLIENT_SECRET: required[\s\S]*GOOGLE_REDIRECT_URI: required/);
  });

  it("defaults every endpoint to Google's, and accepts plain http only on loopback", () => {
    const c = loadConfig({ DATA_DIR: tmp(), ...google });
    expect(c.integrations.google).toMatchObject({
      issuer: 'https://accounts.google.com',
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revocationUrl: 'https://oauth2.googleapis.com/revoke',
      userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
      calendarApiUrl: 'https://www.googleapis.com/calendar/v3',
      calendarScope: 'https://www.googleapis.com/auth/calendar.events.owned',
    });
    expect(() => loadConfig({ DATA_DIR: tmp(), ...google, GOOGLE_TOKEN_URL: 'http://oauth.example.com/token' })).toThrow(/GOOGLE_TOKEN_URL: must use https/);
    expect(loadConfig({ DATA_DIR: tmp(), ...google, GOOGLE_TOKEN_URL: 'http://127.0.0.1:9/token' }).integrations.google!.tokenUrl).toBe('http://127.0.0.1:9/token');
  });

  it('generates one encryption key under DATA_DIR in development, and requires one in production', () => {
    const dir = tmp();
    const a = loadConfig({ DATA_DIR: dir, ...google });
    const file = join(dir, 'integrations-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(a.integrations.encryptionKeys).toHaveLength(1);
    expect(a.integrations.encryptionKeys[0]!.id).toBe('local');
    expect(Buffer.from(a.integrations.encryptionKeys[0]!.key, 'base64')).toHaveLength(32);
    expect(readFileSync(file, 'utf8')).toContain(a.integrations.encryptionKeys[0]!.key);
    expect(loadConfig({ DATA_DIR: dir, ...google }).integrations.encryptionKeys).toEqual(a.integrations.encryptionKeys);

    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ...google };
    const pdir = tmp();
    expect(() => loadConfig({ DATA_DIR: pdir, ...prod })).toThrow(/INTEGRATIONS_ENCRYPTION_KEYS: required/);
    expect(existsSync(join(pdir, 'integrations-key'))).toBe(false);
    const p = loadConfig({ DATA_DIR: pdir, ...prod, INTEGRATIONS_ENCRYPTION_KEYS: `k2:${key(2)}, k1:${key(1)}` });
    expect(p.integrations.encryptionKeys.map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('refuses keys that are not 32 bytes, or share an id', () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), INTEGRATIONS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: tmp(), INTEGRATIONS_ENCRYPTION_KEYS: `k1:${key(1)},k1:${key(2)}` })).toThrow(/unique/);
    expect(() => loadConfig({ DATA_DIR: tmp(), INTEGRATIONS_ENCRYPTION_KEYS: 'not a key list' })).toThrow(/INTEGRATIONS_ENCRYPTION_KEYS/);
  });
});

describe('the token cipher (AES-256-GCM)', () => {
  const k1 = { id: 'k1', key: key(1) };
  const k2 = { id: 'k2', key: key(2) };

  it('seals with the first key, opens with any listed one, and names the key', () => {
    const old = new TokenCipher([k1]);
    const sealed = old.seal('ya29.secret', 'integration:u1:google_calendar');
    expect(sealed.keyId).toBe('k1');
    expect(sealed.ciphertext).not.toContain('ya29');
    const rotated = new TokenCipher([k2, k1]);
    expect(rotated.open(sealed, 'integration:u1:google_calendar')).toBe('ya29.secret');
    expect(rotated.isStale('k1')).toBe(true);
    expect(rotated.seal('x', 'a').keyId).toBe('k2');
    expect(() => new TokenCipher([k2]).open(sealed, 'integration:u1:google_calendar')).toThrow(/k1 is not configured/);
  });

  it('uses a fresh IV each time and refuses tampering or another row', () => {
    const c = new TokenCipher([k1]);
    const a = c.seal('same', 'row-a');
    expect(c.seal('same', 'row-a').ciphertext).not.toBe(a.ciphertext);
    expect(() => c.open(a, 'row-b')).toThrow();
    const raw = Buffer.from(a.ciphertext.slice(3), 'base64url');
    raw[14]! ^= 1;
    expect(() => c.open({ keyId: 'k1', ciphertext: `v1.${raw.toString('base64url')}` }, 'row-a')).toThrow();
  });
});

describe('key rotation', () => {
  let fake: FakeGoogle;
  let server: TestServer;
  const oldKey = encryptionKey('old');
  beforeAll(async () => {
    fake = await startFakeGoogle();
    server = await startGoogleGateway(fake, { INTEGRATIONS_ENCRYPTION_KEYS: oldKey });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('re-encrypts every connection with the new first key, after which the old key can go', async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const em = () => server.app.orm.em.fork();
    const read = async () => (await em().getConnection().execute('select key_id, token_ciphertext from integrations where user_id = ?', [u.user.id]))[0]!;
    const before = await read();
    expect(before.key_id).toBe('old');

    const newKey = encryptionKey('new');
    const base = { DATA_DIR: tmp(), NODE_ENV: 'test', JWT_SECRET: 'y'.repeat(40), ...fake.env(server.config.integrations.google!.redirectUri) };
    const both = new IntegrationsService(loadConfig({ ...base, INTEGRATIONS_ENCRYPTION_KEYS: `${newKey},${oldKey}` }));
    expect(await both.reencryptAll(em())).toEqual({ rows: 1, droppedFlows: 0, unreadable: 0 });
    const after = await read();
    expect(after.key_id).toBe('new');
    expect(after.token_ciphertext).not.toBe(before.token_ciphertext);
    expect(await both.reencryptAll(em())).toEqual({ rows: 0, droppedFlows: 0, unreadable: 0 });

    // A service holding only the new key still uses the connection: the old key is no longer needed.
    const onlyNew = new IntegrationsService(loadConfig({ ...base, INTEGRATIONS_ENCRYPTION_KEYS: newKey }));
    const ctx = createContext(server.app.root, {
      requestId: `rotation-${randomBytes(4).toString('hex')}`,
      transport: 'internal',
      principal: { kind: 'user', userId: u.user.id, sessionId: 'n/a' },
    });
    const events = await onlyNew.listEvents(ctx, {});
    expect(events.total).toBe(0);

    // A key dropped too early: the connection cannot be used (nor re-encrypted), and is left as it is for when the key comes back.
    const wrong = new IntegrationsService(loadConfig({ ...base, INTEGRATIONS_ENCRYPTION_KEYS: encryptionKey('other') }));
    await expect(wrong.listEvents(ctx, {})).rejects.toMatchObject({ code: 'conflict', details: { reason: 'needs_reconnection' } });
    expect(await wrong.reencryptAll(em())).toEqual({ rows: 0, droppedFlows: 0, unreadable: 1 });
    expect((await read()).key_id).toBe('new');
  });
});
