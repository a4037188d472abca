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
  type OrgRole,
} from '../generated/graphql.js';

/** The API key scopes, as documented. */
const SCOPES = [
  'conversations:read', 'conversations:write', 'rag:read', 'rag:write', 'live:read', 'live:write',
  'organizations:read', 'organizations:write', 'integrations:read', 'integrations:write', 'xel:read', 'xel:write',
  'api:read', 'api:write', 'api:admin',
] as const;

/** Organizations: create one, see and add members, create (and revoke) API keys. */
export function renderOrganizations(main: HTMLElement): void {
  let selected: string | null = null;
  const listStatus = statusLine();
  const list = h('ul', { class: 'orgs', 'aria-label': 'Your organizations' });
  const detail = h('section', { class: 'card', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Create or choose an organization.'));

  async function loadList(): Promise<void> {
    try {
      const { organizations } = await request(ConsoleOrganizationsDocument);
      replace(
        list,
        organizations.items.length
          ? organizations.items.map((o) =>
              h(
                'li',
                null,
                h('button', { type: 'button', class: 'link', 'data-id': o.id, ...(o.id === selected ? { 'aria-current': 'true' } : {}), onclick: () => void open(o.id) }, o.name),
                h('small', null, ` ${o.viewerRole} · ${o.memberCount} member${o.memberCount === 1 ? '' : 's'}`),
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
        const { createOrganization: o } = await request(ConsoleCreateOrganizationDocument, { input: { name: name.value.trim(), ...(slug.value.trim() ? { slug: slug.value.trim() } : {}), ...(description.value.trim() ? { description: description.value.trim() } : {}) } });
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
    const admin = org.viewerRole === 'owner' || org.viewerRole === 'admin';

    const members = h(
      'table',
      null,
      h('caption', null, `Members (${org.members.total})`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Joined'))),
      h('tbody', null, org.members.items.map((m) => h('tr', null, h('th', { scope: 'row' }, m.user.username), h('td', null, m.user.email), h('td', null, m.role), h('td', null, formatDate(m.joinedAt))))),
    );

    // Adding a member.
    const email = h('input', { name: 'member-email', type: 'email', required: true, autocomplete: 'off' });
    const role = h('select', { name: 'member-role' }, (['member', 'admin', ...(org.viewerRole === 'owner' ? ['owner'] : [])] as OrgRole[]).map((r) => h('option', { value: r }, r)));
    const addButton = h('button', { type: 'submit' }, 'Add member');
    const addStatus = statusLine();
    const addForm = h('form', { class: 'inline', 'aria-labelledby': 'member-add-h' }, h('h3', { id: 'member-add-h' }, 'Add a member'), field('Their email', email, 'They need an account already.'), field('Role', role), addButton, addStatus);
    addForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void busy(addButton, async () => {
        try {
          const { addMember: m } = await request(ConsoleAddMemberDocument, { organizationId: id, input: { email: email.value.trim(), role: role.value as OrgRole } });
          setStatus(addStatus, `${m.user.username} joined as ${m.role}.`);
          await open(id);
          await loadList();
        } catch (err) {
          setStatus(addStatus, explain(err), 'error');
        }
      });
    });

    // API keys: created here, shown once.
    const keyName = h('input', { name: 'key-name', required: true, maxlength: 100 });
    const scopeBoxes = SCOPES.map((s) => h('input', { type: 'checkbox', name: 'scope', value: s, id: `scope-${s.replace(':', '-')}`, checked: s === 'api:read' }));
    const keyButton = h('button', { type: 'submit' }, 'Create API key');
    const keyStatus = statusLine();
    const shown = h('div', { 'aria-live': 'polite' });
    const keys = h('ul', { class: 'keys', 'aria-label': 'API keys' });
    async function loadKeys(): Promise<void> {
      try {
        const { apiKeys } = await request(ConsoleApiKeysDocument, { organizationId: id });
        replace(
          keys,
          apiKeys.length
            ? apiKeys.map((k) =>
                h(
                  'li',
                  null,
                  h('strong', null, k.name),
                  ` ${k.prefix}… · ${k.scopes.join(', ')} · ${k.lastUsedAt ? `last used ${formatDate(k.lastUsedAt)}` : 'never used'} `,
                  h('button', {
                    type: 'button',
                    class: 'secondary small',
                    'aria-label': `Revoke ${k.name}`,
                    onclick: async () => {
                      try {
                        await request(ConsoleRevokeApiKeyDocument, { id: k.id });
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
      h('fieldset', { class: 'scopes' }, h('legend', null, 'Scopes'), scopeBoxes.map((b) => h('label', { for: b.id }, b, ` ${b.value}`))),
      keyButton,
      keyStatus,
      shown,
    );
    keyForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const scopes = scopeBoxes.filter((b) => b.checked).map((b) => b.value);
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
      h('p', null, `${org.slug} · you are ${org.viewerRole}`, org.description ? ` · ${org.description}` : ''),
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
