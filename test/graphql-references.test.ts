import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { authHeaders, type Caller } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * The conventions' rule for references: a field that points at another entity answers the
 * object beside its id, by the rules of that object's own query (null when the caller may not
 * read it, never an error that reveals it).
 */

let server: TestServer;
let api: RestClient;
let cast: Cast;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
  cast = await makeCast(api);
});
afterAll(() => server.close());

async function gql(caller: Caller, query: string, variables: Record<string, unknown> = {}): Promise<{ data: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(caller) }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as never;
}

const DOC = 'query($id: ID!) { document(id: $id) { id organizationId organization { id name } } }';

describe('references answer their objects', () => {
  it("a document's organization, for those who may read it", async () => {
    const org = await makeOrg(api, cast);
    const doc = await api.post('/api/knowledge/documents', { title: 'Atlas', content: 'The okapi lives in the Ituri rainforest.', visibility: 'organization', organization_id: org.id }, { token: cast.extra.accessToken });
    expect(doc.status).toBe(201);
    const name = (await api.get(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).body.name as string;

    const member = await gql(cast.member.accessToken, DOC, { id: doc.body.id });
    expect(member.errors).toBeUndefined();
    expect(member.data.document).toEqual({ id: doc.body.id, organizationId: org.id, organization: { id: org.id, name } });

    // A key that may read documents but not organizations sees the id, and null for the object.
    const ragOnly = await makeKey(api, cast.admin, org.id, ['rag:read']);
    const narrow = await gql({ apiKey: ragOnly.key }, DOC, { id: doc.body.id });
    expect(narrow.errors).toBeUndefined();
    expect(narrow.data.document).toEqual({ id: doc.body.id, organizationId: org.id, organization: null });
    const both = await makeKey(api, cast.admin, org.id, ['rag:read', 'organizations:read']);
    expect((await gql({ apiKey: both.key }, DOC, { id: doc.body.id })).data.document.organization).toEqual({ id: org.id, name });

    // The uploader, once removed from the organization, still reads their document but not the organization.
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.owner.accessToken })).status).toBe(204);
    const left = await gql(cast.extra.accessToken, DOC, { id: doc.body.id });
    expect(left.errors).toBeUndefined();
    expect(left.data.document).toEqual({ id: doc.body.id, organizationId: org.id, organization: null });
    // A private document has none.
    const mine = await api.post('/api/knowledge/documents', { title: 'Diary', content: 'Nothing to see.' }, { token: cast.member.accessToken });
    expect((await gql(cast.member.accessToken, DOC, { id: mine.body.id })).data.document).toEqual({ id: mine.body.id, organizationId: null, organization: null });
  });

  it('search hits, knowledge hits, grounded answers and chat citations answer their document while it is readable', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const doc = await api.post('/api/knowledge/documents', { title: 'Volcanoes', content: 'Always carry a gas mask near fumaroles: sulfur dioxide pools in hollows.' }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    const q = `query {
      search(q: "fumaroles", types: [DOCUMENT]) { edges { node { documentId document { id title status } } } }
      knowledgeSearch(query: "fumaroles") { results { documentId document { id title } } }
      ragQuery(question: "What do I carry near fumaroles?") { citations { documentId document { id } } }
    }`;
    const found = await gql(u.accessToken, q);
    expect(found.errors).toBeUndefined();
    expect(found.data.search.edges).toEqual([{ node: { documentId: doc.body.id, document: { id: doc.body.id, title: 'Volcanoes', status: 'READY' } } }]);
    expect(found.data.knowledgeSearch.results).toEqual([{ documentId: doc.body.id, document: { id: doc.body.id, title: 'Volcanoes' } }]);
    expect(found.data.ragQuery.citations).toEqual([{ documentId: doc.body.id, document: { id: doc.body.id } }]);

    const chat = await api.post('/api/core/chat', { message: 'sulfur dioxide fumaroles' }, { token: u.accessToken });
    expect(chat.status).toBe(200);
    const CITES = 'query($id: ID!) { conversation(id: $id) { messages(last: 1) { edges { node { citations { type documentId document { id title } } } } } } }';
    const cited = async () => (await gql(u.accessToken, CITES, { id: chat.body.conversation_id })).data.conversation.messages.edges[0].node.citations as { type: string; documentId: string; document: unknown }[];
    const before = await cited();
    expect(before.filter((c) => c.type === 'DOCUMENT')).toEqual([{ type: 'DOCUMENT', documentId: doc.body.id, document: { id: doc.body.id, title: 'Volcanoes' } }]);
    // Other kinds of citation name no document.
    for (const c of before.filter((x) => x.type !== 'DOCUMENT')) expect(c.document).toBeNull();

    // Someone else's document is not revealed through a reference; once deleted, the citation keeps its id and loses the object.
    expect((await gql(other.accessToken, DOC, { id: doc.body.id })).data.document).toBeNull();
    expect((await api.delete(`/api/knowledge/documents/${doc.body.id}`, { token: u.accessToken })).status).toBe(204);
    const after = await cited();
    expect(after.filter((c) => c.type === 'DOCUMENT')).toEqual([{ type: 'DOCUMENT', documentId: doc.body.id, document: null }]);
  });

  it('search hits answer the message, note or transcript they found, as their own queries do', async () => {
    const u = await signUp(api);
    const made = await gql(
      u.accessToken,
      `mutation($start: DateTime!, $end: DateTime!, $at: DateTime!) {
        createNote(input: { title: "Marsupials", content: "A quokka smiles." }) { note { id } }
        chat(input: { message: "Tell me about the quokka" }) { userMessage { id } }
        saveLiveTranscript(input: { sessionStartedAt: $start, sessionEndedAt: $end, transcripts: [{ role: USER, text: "I met a quokka", timestamp: $at }] }) { transcript { id } }
      }`,
      { start: new Date(Date.now() - 60_000).toISOString(), end: new Date().toISOString(), at: new Date(Date.now() - 30_000).toISOString() },
    );
    expect(made.errors).toBeUndefined();
    // A saved transcript is indexed by a background job.
    await server.app.services.jobs.drain();
    const found = await gql(
      u.accessToken,
      `{ search(q: "quokka", types: [MESSAGE, NOTE, TRANSCRIPT], first: 20) { edges { node { type sourceId message { id content } note { id title } transcript { id turnCount } } } } }`,
    );
    expect(found.errors).toBeUndefined();
    const hits = found.data.search.edges.map((e: { node: any }) => e.node) as { type: string; sourceId: string; message: unknown; note: unknown; transcript: unknown }[];
    const byType = (type: string) => hits.find((h) => h.type === type)!;
    const node = async (id: string, fields: string) => (await gql(u.accessToken, `query($id: ID!) { node(id: $id) { ... on ${fields} } }`, { id })).data.node;
    // The question (the reply, which quotes the note, may match too and rank either way).
    const question = hits.find((h) => h.type === 'MESSAGE' && h.sourceId === made.data.chat.userMessage.id)!;
    expect(question).toMatchObject({ message: await node(made.data.chat.userMessage.id, 'Message { id content }'), note: null, transcript: null });
    expect(byType('NOTE')).toMatchObject({ note: await node(made.data.createNote.note.id, 'Note { id title }'), message: null, transcript: null });
    expect(byType('TRANSCRIPT')).toMatchObject({ transcript: await node(made.data.saveLiveTranscript.transcript.id, 'LiveTranscript { id turnCount }'), message: null, note: null });
    expect(byType('NOTE').note).toEqual({ id: made.data.createNote.note.id, title: 'Marsupials' });
    expect(question.message).toEqual({ id: made.data.chat.userMessage.id, content: 'Tell me about the quokka' });
    expect(byType('TRANSCRIPT').transcript).toEqual({ id: made.data.saveLiveTranscript.transcript.id, turnCount: 1 });
  });

  it("the admins' statistics answer their organization, team and member", async () => {
    const org = await makeOrg(api, cast);
    const vars = { org: org.id, team: org.teamId, user: cast.member.user.id };
    const q = `query($org: ID!, $team: ID, $user: ID!) {
      engagementStats(organizationId: $org, teamId: $team) { organizationId organization { id } teamId team { id name } }
      whole: engagementStats(organizationId: $org) { team { id } }
      memberStats(organizationId: $org, userId: $user, teamId: $team) { userId user { id username } organization { id } team { id } }
      memberProgress(organizationId: $org, first: 10) { edges { node { userId user { id } affiliations { organizationId organization { id } teamId team { id } } } } }
    }`;
    const res = await gql(cast.admin.accessToken, q, vars);
    expect(res.errors).toBeUndefined();
    expect(res.data.engagementStats).toEqual({ organizationId: org.id, organization: { id: org.id }, teamId: org.teamId, team: { id: org.teamId, name: 'Core' } });
    expect(res.data.whole).toEqual({ team: null });
    expect(res.data.memberStats).toEqual({ userId: cast.member.user.id, user: { id: cast.member.user.id, username: cast.member.user.username }, organization: { id: org.id }, team: { id: org.teamId } });
    const rows = res.data.memberProgress.edges.map((e: { node: any }) => e.node) as { userId: string; user: { id: string }; affiliations: { organizationId: string; organization: unknown; teamId: string | null; team: unknown }[] }[];
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row.user).toEqual({ id: row.userId });
      const here = row.affiliations.find((a) => a.organizationId === org.id)!;
      expect(here.organization).toEqual({ id: org.id });
      expect(here.team).toEqual(here.teamId ? { id: here.teamId } : null);
    }
    // An API key of the organization with organizations:read (what the statistics need) reads the same objects.
    const key = await makeKey(api, cast.admin, org.id, ['organizations:read']);
    const byKey = await gql({ apiKey: key.key }, q, vars);
    expect(byKey.errors).toBeUndefined();
    expect(byKey.data.memberStats.user).toEqual({ id: cast.member.user.id, username: cast.member.user.username });
  });

  it("a learning session's conversation, until the conversation is deleted", async () => {
    const u = await signUp(api);
    const conv = await api.post('/api/core/conversations', { title: 'Ordering food' }, { token: u.accessToken });
    expect(conv.status).toBe(201);
    const start = await gql(u.accessToken, 'mutation($id: ID!) { startConversationSession(input: { conversationId: $id }) { session { id conversationId conversation { id title } } } }', { id: conv.body.id });
    expect(start.errors).toBeUndefined();
    const session = start.data.startConversationSession.session;
    expect(session).toMatchObject({ conversationId: conv.body.id, conversation: { id: conv.body.id, title: 'Ordering food' } });
    expect((await api.delete(`/api/core/conversations/${conv.body.id}`, { token: u.accessToken })).status).toBe(204);
    const node = await gql(u.accessToken, 'query($id: ID!) { node(id: $id) { ... on ConversationSession { conversationId conversation { id } } } }', { id: session.id });
    expect(node.errors).toBeUndefined();
    expect(node.data.node).toEqual({ conversationId: null, conversation: null });
  });
});
