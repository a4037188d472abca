import { explain, request } from '../api.js';
import { busy, field, scrollable, formatDate, h, replace, setStatus, statusLine } from '../dom.js';
import {
  ConsoleAddMemberDocument,
  ConsoleApiKeysDocument,
  ConsoleCreateApiKeyDocument,
  ConsoleCreateOrganizationDocument,
  ConsoleOrganizationDocument,
  ConsoleOrganizationsDocument,
  ConsoleRevokeApiKeyDocument,
  type ApiKeyScope,
  type OrganizationRole,
} from '../generated/graphql.js';

/** The API key scopes: the GraphQL enum values, and the documented names people know them by. */
const SCOPES: readonly [ApiKeyScope, string][] = [
  ['CONVERSATIONS_READ', 'conversations:read'], ['CONVERSATIONS_WRITE', 'conversations:write'], ['RAG_READ', 'rag:read'], ['RAG_WRITE', 'rag:write'],
  ['LIVE_READ', 'live:read'], ['LIVE_WRITE', 'live:write'], ['ORGANIZATIONS_READ', 'organizations:read'], ['ORGANIZATIONS_WRITE', 'organizations:write'],
  ['INTEGRATIONS_READ', 'integrations:read'], ['INTEGRATIONS_WRITE', 'integrations:write'], ['XEL_READ', 'xel:read'], ['XEL_WRITE', 'xel:write'],
  ['API_READ', 'api:read'], ['API_WRITE', 'api:write'], ['API_ADMIN', 'api:admin'],
];
const scopeName = new Map<string, string>(SCOPES);

/** How the page names a role. */
const ROLE_NAMES: Record<OrganizationRole, string> = { OWNER: 'owner', ADMIN: 'admin', MEMBER: 'member' };

/** Organizations: create one, see and add members, create (and revoke) API keys. */
export function renderOrganizations(main: HTMLElement): void {
  let selected: string | null = null;
  const listStatus = statusLine();
  const list = h('ul', { class: 'orgs', 'aria-label': 'Your organizations' });
  const detail = h('section', { class: 'card', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Create or choose an organization.'));

  async function loadList(): Promise<void> {
    try {
      const { organizations } = await request(ConsoleOrganizationsDocument);
      const items = organizations.edges.map((e) => e.node);
      replace(
        list,
        items.length
          ? items.map((o) =>
              h(
                'li',
                null,
                h('button', { type: 'button', class: 'link', 'data-id': o.id, ...(o.id === selected ? { 'aria-current': 'true' } : {}), onclick: () => void open(o.id) }, o.name),
                h('small', null, ` ${ROLE_NAMES[o.viewerRole]} · ${o.memberCount} member${o.memberCount === 1 ? '' : 's'}`),
              ),
            )
          : h('li', { class: 'empty' }, 'You belong to no organization yet.'),
      );
    } catch (e) {
      setStatus(listStatus, explain(e), 'error');
    }
  }

  const name = h('input', { name: 'org-name', required: true, maxlength: 200 });
  const slug = h('input', { name: 'org-slug', maxlength: 100, pattern: '[a-z0-9-]+' });
  const description = h('input', { name: 'org-description', maxlength: 1000 });
  const createButton = h('button', { type: 'submit' }, 'Create organization');
  const createStatus = statusLine();
  const create = h('form', { 'aria-labelledby': 'org-create-h' }, h('h2', { id: 'org-create-h' }, 'New organization'), field('Name', name), field('Slug (optional)', slug, 'Lower-case letters, digits and hyphens; made from the name when empty.'), field('Description (optional)', description), createButton, createStatus);
  create.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(createButton, async () => {
      try {
        const {
          createOrganization: { organization: o },
        } = await request(ConsoleCreateOrganizationDocument, { input: { name: name.value.trim(), ...(slug.value.trim() ? { slug: slug.value.trim() } : {}), ...(description.value.trim() ? { description: description.value.trim() } : {}) } });
        setStatus(createStatus, `Created “${o.name}” (${o.slug}); you are its owner.`);
        create.reset();
        await loadList();
        await open(o.id);
      } catch (err) {
        setStatus(createStatus, explain(err), 'error');
      }
    });
  });

  async function open(id: string): Promise<void> {
    selected = id;
    for (const b of list.querySelectorAll<HTMLButtonElement>('button')) b.toggleAttribute('aria-current', b.dataset.id === id);
    let org;
    try {
      org = (await request(ConsoleOrganizationDocument, { id })).organization;
    } catch (e) {
      return replace(detail, h('p', { class: 'status', 'data-kind': 'error' }, explain(e)));
    }
    // A lookup by id answers null (with not_found, thrown above) for an organization you are not in.
    if (!org) return replace(detail, h('p', { class: 'status', 'data-kind': 'error' }, 'This organization is not one of yours.'));
    const admin = org.viewerRole === 'OWNER' || org.viewerRole === 'ADMIN';
    const memberList = org.members.edges.map((e) => e.node);

    const members = h(
      'table',
      null,
      h('caption', null, `Members (${org.members.totalCount})`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Joined'))),
      h('tbody', null, memberList.map((m) => h('tr', null, h('th', { scope: 'row' }, m.user.username), h('td', null, m.user.email), h('td', null, ROLE_NAMES[m.role]), h('td', null, formatDate(m.joinedAt))))),
    );

    // Adding a member.
    const email = h('input', { name: 'member-email', type: 'email', required: true, autocomplete: 'off' });
    const roles: OrganizationRole[] = ['MEMBER', 'ADMIN', ...(org.viewerRole === 'OWNER' ? (['OWNER'] as const) : [])];
    const role = h('select', { name: 'member-role' }, roles.map((r) => h('option', { value: r }, ROLE_NAMES[r])));
    const addButton = h('button', { type: 'submit' }, 'Add member');
    const addStatus = statusLine();
    const addForm = h('form', { class: 'inline', 'aria-labelledby': 'member-add-h' }, h('h3', { id: 'member-add-h' }, 'Add a member'), field('Their email', email, 'They need an account already.'), field('Role', role), addButton, addStatus);
    addForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void busy(addButton, async () => {
        try {
          const {
            addMember: { member: m },
          } = await request(ConsoleAddMemberDocument, { input: { organizationId: id, email: email.value.trim(), role: role.value as OrganizationRole } });
          setStatus(addStatus, `${m.user.username} joined as ${ROLE_NAMES[m.role]}.`);
          await open(id);
          await loadList();
        } catch (err) {
          setStatus(addStatus, explain(err), 'error');
        }
      });
    });

    // API keys: created here, shown once.
    const keyName = h('input', { name: 'key-name', required: true, maxlength: 100 });
    const scopeBoxes = SCOPES.map(([value, name]) => h('input', { type: 'checkbox', name: 'scope', value, id: `scope-${name.replace(':', '-')}`, checked: value === 'API_READ' }));
    const keyButton = h('button', { type: 'submit' }, 'Create API key');
    const keyStatus = statusLine();
    const shown = h('div', { 'aria-live': 'polite' });
    const keys = h('ul', { class: 'keys', 'aria-label': 'API keys' });
    async function loadKeys(): Promise<void> {
      try {
        const { apiKeys } = await request(ConsoleApiKeysDocument, { organizationId: id });
        const keyList = apiKeys.edges.map((e) => e.node);
        replace(
          keys,
          keyList.length
            ? keyList.map((k) =>
                h(
                  'li',
                  null,
                  h('strong', null, k.name),
                  ` ${k.prefix}… · ${k.scopes.map((s) => scopeName.get(s) ?? s).join(', ')} · ${k.lastUsedAt ? `last used ${formatDate(k.lastUsedAt)}` : 'never used'} `,
                  h('button', {
                    type: 'button',
                    class: 'secondary small',
                    'aria-label': `Revoke ${k.name}`,
                    onclick: async () => {
                      try {
                        await request(ConsoleRevokeApiKeyDocument, { input: { id: k.id } });
                        setStatus(keyStatus, `Revoked “${k.name}”.`);
                        await loadKeys();
                      } catch (err) {
                        setStatus(keyStatus, explain(err), 'error');
                      }
                    },
                  }, 'Revoke'),
                ),
              )
            : h('li', { class: 'empty' }, 'No API keys.'),
        );
      } catch (err) {
        setStatus(keyStatus, explain(err), 'error');
      }
    }
    const keyForm = h(
      'form',
      { 'aria-labelledby': 'key-h' },
      h('h3', { id: 'key-h' }, 'API keys'),
      field('Key name', keyName),
      h('fieldset', { class: 'scopes' }, h('legend', null, 'Scopes'), scopeBoxes.map((b) => h('label', { for: b.id }, b, ` ${scopeName.get(b.value) ?? b.value}`))),
      keyButton,
      keyStatus,
      shown,
    );
    keyForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const scopes = scopeBoxes.filter((b) => b.checked).map((b) => b.value as ApiKeyScope);
      if (!scopes.length) return setStatus(keyStatus, 'Choose at least one scope.', 'error');
      void busy(keyButton, async () => {
        try {
          const { createApiKey: k } = await request(ConsoleCreateApiKeyDocument, { input: { name: keyName.value.trim(), organizationId: id, scopes } });
          keyName.value = '';
          setStatus(keyStatus, `Created “${k.apiKey.name}”.`);
          const value = h('input', { id: 'new-key', readonly: true, value: k.key, class: 'mono', 'data-testid': 'new-api-key' });
          const copy = h('button', { type: 'button', class: 'secondary small' }, 'Copy');
          copy.addEventListener('click', () => {
            void navigator.clipboard?.writeText(k.key).then(
              () => setStatus(keyStatus, 'Copied.'),
              () => {
                value.select();
                setStatus(keyStatus, 'Selected: press Ctrl+C (or ⌘C) to copy.');
              },
            );
          });
          replace(shown, h('div', { class: 'notice' }, h('label', { for: 'new-key' }, 'Your new key — shown this once, store it now'), h('div', { class: 'inline' }, value, copy), h('small', { class: 'hint' }, 'Send it as the X-API-Key header. It cannot be shown again; revoke it and create another if it is lost.')));
          value.focus();
          value.select();
          await loadKeys();
        } catch (err) {
          setStatus(keyStatus, explain(err), 'error');
        }
      });
    });

    replace(
      detail,
      h('h2', null, org.name),
      h('p', null, `${org.slug} · you are ${ROLE_NAMES[org.viewerRole]}`, org.description ? ` · ${org.description}` : ''),
      scrollable(members, 'Members'),
      admin ? addForm : h('p', { class: 'hint' }, 'Admins and owners add members.'),
      keyForm,
      h('h4', null, 'Keys'),
      keys,
    );
    void loadKeys();
  }

  main.append(
    h('h1', null, 'Organizations'),
    h('div', { class: 'split' }, h('aside', { 'aria-labelledby': 'orgs-h' }, h('h2', { id: 'orgs-h' }, 'Yours'), list, listStatus, create), detail),
  );
  void loadList();
}
