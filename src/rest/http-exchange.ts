import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpExchange } from '../common/context.js';

/**
 * The request's cookies and the answer's Set-Cookie, through @fastify/cookie (registered in
 * app.ts): services see this narrow view, never Fastify itself.
 */
export function httpExchange(req: FastifyRequest, reply: FastifyReply): HttpExchange {
  return {
    cookies: req.cookies ?? {},
    secure: req.protocol === 'https',
    setCookie: (name, value, o) => {
      reply.setCookie(name, value, { path: o.path, maxAge: o.maxAge, httpOnly: o.httpOnly, sameSite: o.sameSite, secure: o.secure });
    },
    clearCookie: (name, o) => {
      reply.clearCookie(name, { path: o.path, httpOnly: o.httpOnly, sameSite: o.sameSite, secure: o.secure });
    },
  };
}
